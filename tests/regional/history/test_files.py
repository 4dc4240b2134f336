"""The admissions history format: rows read back as written, and each mistake named in one line
(file, row, column, and what to do)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regional.history import HistoryError, read_admissions, write_admissions
from tests.networks import make_facilities, make_places, network, scenario

HEADER = "date,facility,need,admissions\n"


def _file(tmp_path: Path, body: str, name: str = "admissions.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def _network():  # type: ignore[no-untyped-def]
    scn = scenario()
    places = make_places([(-70.6, -33.4, 10_000)])
    return network(scn, places, make_facilities([{"place": 0, "ward_beds": 10}], places))


def test_a_history_round_trips_through_csv_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-06-02", "2025-06-01", "2025-06-01"]),
            "facility": ["T-000", "T-000", "T-000"],
            "need": ["ward", "ward", "icu"],
            "admissions": [4, 3, 0],
        }
    )
    for name in ("h.csv", "h.parquet"):
        path = write_admissions(frame, tmp_path / name)
        back = read_admissions(path, _network())
        assert back["date"].dt.strftime("%Y-%m-%d").tolist() == [
            "2025-06-01",
            "2025-06-01",
            "2025-06-02",
        ]
        assert back["need"].tolist() == ["icu", "ward", "ward"]
        assert back["admissions"].tolist() == [0, 3, 4]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("2025-06-01,T-000,ward,-1\n", "row 2, column 'admissions': expected a whole number"),
        ("2025-06-01,T-000,ward,1.5\n", "row 2, column 'admissions'"),
        ("2025-06-01,T-000,ward,x\n", "row 2, column 'admissions'"),
        ("2025-06-01,T-000,ward,1\n01/06/2025,T-000,ward,1\n", "row 3, column 'date'"),
        ("2025-06-01,T-000,bed,1\n", "row 2, column 'need': expected ward, icu or intermediate"),
        ("2025-06-01,T-999,ward,1\n", "row 2, column 'facility': 'T-999' is not a facility"),
        (
            "2025-06-01,T-000,ward,1\n2025-06-01,T-000,ward,2\n",
            "row 3, column 'date': 2025-06-01, T-000, ward is also on row 2",
        ),
        ("2025-06-01,,ward,1\n", "row 2, column 'facility': empty"),
    ],
)
def test_a_bad_row_is_named_in_one_line(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(HistoryError) as caught:
        read_admissions(_file(tmp_path, body), _network())
    message = str(caught.value)
    assert message.startswith("admissions.csv: ")
    assert expected in message
    assert "\n" not in message


def test_dates_from_until_on_are_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, "2025-06-01,T-000,ward,1\n2025-06-10,T-000,ward,1\n")
    assert len(read_admissions(path, until=dt.date(2025, 6, 11))) == 2
    with pytest.raises(HistoryError, match=r"row 3, column 'date': 2025-06-10 is not before"):
        read_admissions(path, until=dt.date(2025, 6, 10))


def test_missing_columns_and_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("day,facility,need,admissions\n2025-06-01,T-000,ward,1\n")
    with pytest.raises(HistoryError, match=r"bad.csv: no column 'date'"):
        read_admissions(bad)
    with pytest.raises(HistoryError, match=r"no such file"):
        read_admissions(tmp_path / "none.csv")


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(
        st.tuples(
            st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
            st.sampled_from(["T-000", "CL-H00001", "x y"]),
            st.sampled_from(["ward", "icu", "intermediate"]),
        ),
        st.integers(0, 1_000_000),
        max_size=40,
    ),
    st.sampled_from(["h.csv", "h.parquet"]),
)
def test_any_history_written_reads_back_the_same(
    rows: dict[tuple[dt.date, str, str], int], name: str
) -> None:
    frame = pd.DataFrame(
        [(pd.Timestamp(d), f, n, a) for (d, f, n), a in rows.items()],
        columns=["date", "facility", "need", "admissions"],
    )
    with tempfile.TemporaryDirectory() as folder:
        back = read_admissions(write_admissions(frame, Path(folder) / name))
    expected = frame.sort_values(["date", "facility", "need"]).reset_index(drop=True)
    assert back["date"].tolist() == expected["date"].tolist()
    assert (
        back[["facility", "need"]].values.tolist() == expected[["facility", "need"]].values.tolist()
    )
    assert back["admissions"].tolist() == expected["admissions"].tolist()
