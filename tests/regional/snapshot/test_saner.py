"""Capacity censuses as HL7 SANER MeasureReports: written from counts, read back the same, and
a run from them the same as from the per-facility CSV."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regional.runner import run_scenario
from regional.snapshot.records import CensusError, facility_census, read_census
from regional.snapshot.saner import measure_report_bundle
from tests.regional.snapshot.test_start import _network

AT = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
COUNTS = pd.DataFrame(
    [
        {"facility": "T-000", "time": "2025-05-31T20:00:00Z", "ward_occupied": 25,
         "icu_occupied": 4, "intermediate_occupied": 0, "ventilators_in_use": 2,
         "waiting_ward": 3, "waiting_icu": 1},
        {"facility": "T-001", "time": "2025-05-31T20:00:00Z", "ward_occupied": 12,
         "icu_occupied": 0, "intermediate_occupied": 0, "ventilators_in_use": 0,
         "waiting_ward": 0, "waiting_icu": 2},
    ]
)  # fmt: skip


def _write(tmp_path: Path, bundle: dict, name: str = "capacity.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(bundle))
    return path


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    key = ["facility", "bed_type", "ventilated", "waiting_hours"]
    return (
        a.sort_values(key).reset_index(drop=True).equals(b.sort_values(key).reset_index(drop=True))
    )


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.integers(0, 30)] * 4, st.integers(0, 5), st.integers(0, 5)),
        min_size=1,
        max_size=4,
    )
)
def test_reports_round_trip_to_the_same_census(rows: list[tuple[int, ...]]) -> None:
    counts = pd.DataFrame(
        [
            {"facility": f"H-{k}", "time": "2025-05-31T12:00:00Z", "ward_occupied": w,
             "icu_occupied": i, "intermediate_occupied": m, "ventilators_in_use": min(v, i),
             "waiting_ward": q, "waiting_icu": r}
            for k, (w, i, m, v, q, r) in enumerate(rows)
        ]
    )  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), measure_report_bundle(counts))
        assert _same(read_census(path, AT), facility_census(counts, "counts", AT))


@pytest.mark.slow
def test_a_run_from_measure_reports_is_the_run_from_the_csv(tmp_path: Path) -> None:
    csv = tmp_path / "capacity.csv"
    COUNTS.to_csv(csv, index=False)
    saner = _write(tmp_path, measure_report_bundle(COUNTS))
    runs = []
    for path in (csv, saner):
        scn, net = _network(path)
        runs.append(run_scenario(scn, network=net))
    for name in ("patients", "transfers", "timeseries"):
        assert runs[0].tables[name].equals(runs[1].tables[name]), name
    first = runs[1].to_pandas("timeseries").groupby("facility_id").first()
    # the waiting patients take the free beds at once: 25 + 3 ward, 4 + 1 ICU
    assert first.loc[0, "ward_occupied"] == 28 and first.loc[0, "icu_occupied"] == 5


def test_a_bad_report_is_one_line(tmp_path: Path) -> None:
    bundle = measure_report_bundle(COUNTS)
    del bundle["entry"][1]["resource"]["subject"]
    with pytest.raises(CensusError, match=r"entry 1 \(MeasureReport capacity-1\): no subject"):
        read_census(_write(tmp_path, bundle), AT)
    bundle = measure_report_bundle(COUNTS)
    population = bundle["entry"][0]["resource"]["group"][0]["population"]
    population[0]["count"] = 2  # numBedsOcc below the ICU patients
    with pytest.raises(CensusError, match="numBedsOcc 2 is fewer than the 4"):
        read_census(_write(tmp_path, bundle), AT)
    bundle = measure_report_bundle(COUNTS)
    bundle["entry"][0]["resource"]["group"][0]["population"][1]["count"] = "many"
    with pytest.raises(CensusError, match="not a FHIR R4 Bundle"):
        read_census(_write(tmp_path, bundle), AT)


def test_a_patients_census_written_as_reports_reads_back_as_its_counts(tmp_path: Path) -> None:
    from regional.snapshot.saner import counts_of_census, write_measure_reports

    patients = facility_census(COUNTS, "counts", AT)
    path = write_measure_reports(patients, AT, tmp_path / "census.saner.json")
    assert _same(read_census(path, AT), patients)
    counts = counts_of_census(patients, AT).set_index("facility")
    assert counts.loc["T-000", "waiting_icu"] == 1 and counts.loc["T-001", "waiting_icu"] == 2
