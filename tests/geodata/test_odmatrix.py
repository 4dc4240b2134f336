"""Road travel times from an origin-destination table: reading, matching, catchments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.loaders import LoadError, Source
from geodata.odmatrix import match_matrix, read_matrix, road_catchments, transfer_fallbacks

PLACES = pd.DataFrame({"place_id": [1, 2, 3], "code": ["3550308", "3304557", "2927408"]})
FACILITIES = pd.DataFrame(
    {
        "facility_id": np.array([0, 1, 2], dtype=np.int32),
        "code": ["H1", "H2", "C1"],
        "kind": ["hospital", "hospital", "clinic"],
    }
)


def write_csv(path: Path, rows: list[tuple[object, object, object]]) -> Source:
    pd.DataFrame(rows, columns=["origem", "destino", "minutos"]).to_csv(path, index=False)
    return Source(path, {"from_id": "origem", "to_id": "destino", "minutes": "minutos"})


def test_reads_a_mapped_csv_and_a_parquet_alike(tmp_path: Path) -> None:
    rows = [(3550308, "H1", 12.5), ("H1", "H2", 40)]
    from_csv = read_matrix(write_csv(tmp_path / "od.csv", rows))
    frame = pd.DataFrame(rows, columns=["from_id", "to_id", "minutes"]).astype(
        {"from_id": str, "to_id": str}
    )
    frame.to_parquet(tmp_path / "od.parquet")
    from_parquet = read_matrix(Source(tmp_path / "od.parquet"))
    pd.testing.assert_frame_equal(from_csv, from_parquet)
    assert from_csv["from_id"].tolist() == ["3550308", "H1"]
    assert from_csv["minutes"].tolist() == [12.5, 40.0]


@pytest.mark.parametrize("minutes", ["-3", "soon", "", "36000"])  # 36,000: seconds, not minutes
def test_a_bad_minutes_value_names_file_row_and_column(tmp_path: Path, minutes: str) -> None:
    source = write_csv(tmp_path / "od.csv", [("A", "H1", 5), ("B", "H1", minutes)])
    with pytest.raises(LoadError, match=r"od\.csv: row 3, column 'minutes'"):
        read_matrix(source)


def test_a_pair_twice_is_an_error(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "od.csv", [("A", "H1", 5), ("A", "H1", 6)])
    with pytest.raises(LoadError, match=r"row 3, column 'to_id': the pair 'A' -> 'H1'"):
        read_matrix(source)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "od.csv"
    pd.DataFrame({"from_id": ["A"], "to_id": ["H1"]}).to_csv(path, index=False)
    with pytest.raises(LoadError, match="required column 'minutes' is missing"):
        read_matrix(Source(path))


def test_pairs_are_matched_to_access_and_transfer_trips() -> None:
    matrix = pd.DataFrame(
        {
            "from_id": ["3550308", "3304557", "H1", "C1", "H1", "nowhere"],
            "to_id": ["H2", "C1", "H2", "H1", "C1", "H1"],
            "minutes": [30.0, 8.0, 55.0, 20.0, 9.0, 1.0],
        }
    )
    road = match_matrix(matrix, PLACES, FACILITIES)
    assert road.access.to_dict("list") == {
        "place_row": [0, 1],
        "facility_id": [1, 2],
        "minutes": [30.0, 8.0],
    }
    # a trip to a clinic is no transfer; an unknown id matches nothing
    assert road.transfer.to_dict("list") == {
        "from_facility": [0, 2],
        "to_facility": [1, 0],
        "minutes": [55.0, 20.0],
    }
    assert road.unmatched == 2
    # 3 facilities x 2 hospitals less the 2 trips from a hospital to itself, 2 given
    assert transfer_fallbacks(road, FACILITIES) == (2, 4)


def test_catchments_take_the_quicker_road_and_keep_the_default_elsewhere() -> None:
    default = pd.DataFrame(
        {
            "place_id": [1, 2, 3],
            "facility_id": np.array([0, 0, 1], dtype=np.int32),
            "access_minutes": [20.0, 15.0, 25.0],
        }
    )
    matrix = pd.DataFrame(
        {
            # place 1: a slower road to H2 and the real minutes to its default H1
            # place 2: a quicker road to the clinic; place 3: no pair
            "from_id": ["3550308", "3550308", "3304557"],
            "to_id": ["H2", "H1", "C1"],
            "minutes": [50.0, 35.0, 8.0],
        }
    )
    road = match_matrix(matrix, PLACES, FACILITIES)
    out, no_pair = road_catchments(default, road)
    assert out["facility_id"].tolist() == [0, 2, 1]
    assert out["access_minutes"].tolist() == [35.0, 8.0, 25.0]
    assert out["place_id"].tolist() == [1, 2, 3]
    assert no_pair == 1
