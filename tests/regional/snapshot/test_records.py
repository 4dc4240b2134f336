"""Census files: the three forms read into census patients, and every bad row named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regional.snapshot import CensusError, read_census

AT = dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC)
HEADER = "patient,facility,bed_type,admitted_at,condition,ventilated,waiting_since\n"


def _write(tmp_path: Path, text: str, name: str = "census.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_patient_census_gives_hours_in_bed_and_waits(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "p1,CL-H1,ward,2025-05-30T08:00:00Z,respiratory,false,\n"
        + "p2,CL-H1,icu,2025-06-01T06:00:00Z,,true,\n"
        + "p3,CL-H2,icu,2025-06-01T02:00:00Z,cardiac,no,2025-06-01T04:00:00Z\n",
    )
    census = read_census(path, AT)
    assert census["patient"].tolist() == ["p1", "p2", "p3"]
    assert census["elapsed_hours"].tolist()[:2] == [48.0, 2.0]
    assert np.isnan(census.loc[2, "elapsed_hours"]) and census.loc[2, "waiting_hours"] == 4.0
    assert census["ventilated"].tolist() == [False, True, False]
    assert census["condition"].tolist() == ["respiratory", "", "cardiac"]


def test_a_parquet_census_reads_like_its_csv(tmp_path: Path) -> None:
    csv = _write(tmp_path, HEADER + "p1,CL-H1,ward,2025-05-31T08:00:00Z,other,0,\n")
    parquet = tmp_path / "census.parquet"
    pd.read_csv(csv, dtype=str, keep_default_na=False).to_parquet(parquet)
    pd.testing.assert_frame_equal(read_census(csv, AT), read_census(parquet, AT))


def test_a_facility_census_becomes_patients_from_its_latest_count(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "facility,time,ward_occupied,icu_occupied,intermediate_occupied,ventilators_in_use,"
        "waiting_ward,waiting_icu\n"
        "CL-H1,2025-05-31T08:00:00Z,9,9,9,0,9,9\n"
        "CL-H1,2025-06-01T07:00:00Z,3,2,1,1,1,1\n",
    )
    census = read_census(path, AT)
    assert len(census) == 3 + 2 + 1 + 1 + 1
    counts = census.groupby(["bed_type", census["waiting_hours"].notna()]).size().to_dict()
    assert counts == {
        ("icu", False): 2,
        ("icu", True): 1,
        ("intermediate", False): 1,
        ("ward", False): 3,
        ("ward", True): 1,
    }
    assert census["ventilated"].sum() == 1
    assert census["elapsed_hours"].isna().all()  # drawn when the run starts


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("p1,CL-H1,uci,2025-05-31T08:00:00Z,,,", "row 2, column 'bed_type': expected ward, icu"),
        ("p1,CL-H1,ward,yesterday,,,", "row 2, column 'admitted_at': expected a time"),
        ("p1,CL-H1,ward,2025-06-02T08:00:00Z,,,", "is after the census time"),
        ("p1,CL-H1,ward,2025-05-31T08:00:00Z,flu,,", "column 'condition': 'flu'"),
        ("p1,CL-H1,ward,2025-05-31T08:00:00Z,,maybe,", "column 'ventilated': expected true"),
        ("p1,CL-H1,ward,2025-05-31T08:00:00Z,,true,", "ventilated patients need the ICU"),
        (",CL-H1,ward,2025-05-31T08:00:00Z,,,", "column 'patient': empty"),
        ("p1,,ward,2025-05-31T08:00:00Z,,,", "column 'facility': empty"),
    ],
)
def test_a_bad_row_is_named(tmp_path: Path, row: str, message: str) -> None:
    path = _write(tmp_path, HEADER + row + "\n")
    with pytest.raises(CensusError, match=r"census\.csv: ") as error:
        read_census(path, AT)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_repeated_patient_names_both_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "p1,A,ward,2025-05-31T08:00:00Z,,,\n" * 2)
    with pytest.raises(CensusError, match="row 3, column 'patient': 'p1' is also on row 2"):
        read_census(path, AT)


def test_missing_columns_and_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(CensusError, match="no column 'admitted_at'"):
        read_census(_write(tmp_path, "patient,facility,bed_type\np1,A,ward\n"), AT)
    with pytest.raises(CensusError, match="no such file"):
        read_census(tmp_path / "none.csv", AT)
    with pytest.raises(CensusError, match="ventilators in use"):
        read_census(
            _write(
                tmp_path,
                "facility,time,ward_occupied,icu_occupied,ventilators_in_use\n"
                "A,2025-06-01T00:00:00Z,1,1,3\n",
                "f.csv",
            ),
            AT,
        )
