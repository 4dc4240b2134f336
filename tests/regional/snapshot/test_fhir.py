"""FHIR R4 census bundles: written from a census table, read back the same."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regional.scenario import CONDITIONS
from regional.snapshot import CensusError, read_census
from regional.snapshot.fhir import write_bundle
from regional.snapshot.records import _frame

AT = dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC)

patients = st.lists(
    st.fixed_dictionaries(
        {
            "facility": st.sampled_from(["CL-H1", "CL-H2", "BR 2077.4"]),
            "bed_type": st.sampled_from(["ward", "icu", "intermediate"]),
            "hours": st.integers(0, 24 * 60),
            "condition": st.sampled_from(["", *CONDITIONS]),
            "ventilated": st.booleans(),
            "waiting": st.booleans(),
        }
    ),
    max_size=30,
)


def _census(rows: list[dict]) -> pd.DataFrame:
    out = []
    for k, r in enumerate(rows):
        out.append(
            {
                "patient": f"p{k}",
                "facility": r["facility"],
                "bed_type": r["bed_type"],
                "elapsed_hours": np.nan if r["waiting"] else float(r["hours"]),
                "condition": r["condition"],
                "ventilated": r["ventilated"] and r["bed_type"] == "icu",
                "waiting_hours": float(r["hours"]) if r["waiting"] else np.nan,
            }
        )
    return _frame(out)


@settings(max_examples=40, deadline=None)
@given(patients)
def test_a_census_comes_back_from_its_bundle(
    tmp_path_factory: pytest.TempPathFactory, rows: list
) -> None:
    census = _census(rows)
    path = write_bundle(census, AT, tmp_path_factory.mktemp("fhir") / "census.json")
    back = read_census(path, AT)
    pd.testing.assert_frame_equal(back, census)


def test_a_bundle_names_its_resources_as_fhir_does(tmp_path: Path) -> None:
    census = _census(
        [
            {
                "facility": "CL-H1",
                "bed_type": "icu",
                "hours": 5,
                "condition": "cardiac",
                "ventilated": True,
                "waiting": False,
            }
        ]
    )
    data = json.loads(write_bundle(census, AT, tmp_path / "b.json").read_text())
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert kinds.count("Location") == 4 and kinds.count("Encounter") == 1
    encounter = data["entry"][-1]["resource"]
    assert encounter["status"] == "in-progress"
    assert encounter["period"]["start"].startswith("2025-06-01T03:00:00")


def test_an_encounter_on_an_unknown_location_is_named(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Encounter",
                    "id": "e1",
                    "status": "in-progress",
                    "class": {"code": "IMP"},
                    "period": {"start": "2025-06-01T00:00:00Z"},
                    "location": [{"location": {"reference": "Location/x"}, "status": "active"}],
                }
            }
        ],
    }
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    with pytest.raises(CensusError, match="Encounter e1: location 'Location/x' is not"):
        read_census(path, AT)


def test_a_file_that_is_not_a_bundle_is_named(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    encounter = {"resourceType": "Encounter", "id": "e1", "class": {"code": "IMP"}}  # no status
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": encounter}]}
    path.write_text(json.dumps(bundle))
    with pytest.raises(CensusError, match="not a FHIR R4 Bundle: "):
        read_census(path, AT)
    path.write_text("{")
    with pytest.raises(CensusError, match="not a JSON file"):
        read_census(path, AT)
