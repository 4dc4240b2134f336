"""The forecast example's files (examples/forecast, `make forecast-example`): small, readable
against the forecaster's network, and the CSV census the same as its FHIR bundle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from regional.history import read_admissions
from regional.history.calibrate import fit
from regional.network import build_network
from regional.scenario import load_scenario
from regional.snapshot import read_census

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "forecast"
AT = dt.datetime(2025, 6, 9, tzinfo=dt.UTC)


def test_the_example_is_small() -> None:
    assert sum(p.stat().st_size for p in EXAMPLE.iterdir()) < 1_000_000


@pytest.mark.slow
def test_the_example_history_fits_the_model_and_its_censuses_agree() -> None:
    scenario = load_scenario(EXAMPLE / "model.yaml")
    network = build_network(scenario)
    history = read_admissions(EXAMPLE / "admissions.csv", network)
    assert history["date"].min() == pd.Timestamp("2025-03-03")
    calibration = fit(history, scenario, network, until=AT.date())
    # the truth has 10% more episodes (5% of them unreported) and grows: the fit sees more
    assert calibration.region_factors["factor"].iloc[0] > 1.0
    from_csv = read_census(EXAMPLE / "census.csv", AT)
    from_fhir = read_census(EXAMPLE / "census.fhir.json", AT)
    columns = ["patient", "facility", "bed_type", "condition", "ventilated"]
    pd.testing.assert_frame_equal(
        from_csv[columns].sort_values("patient").reset_index(drop=True),
        from_fhir[columns].sort_values("patient").reset_index(drop=True),
    )
    # the census of 9 June is the census history's row of that time, hospital by hospital
    history_rows = pd.read_csv(EXAMPLE / "censuses.csv")
    at = history_rows[history_rows["time"] == "2025-06-09T00:00:00Z"].set_index("facility")
    in_bed = from_csv[from_csv["waiting_hours"].isna()]
    for bed in ("ward", "icu", "intermediate"):
        counts = in_bed[in_bed["bed_type"] == bed].groupby("facility").size()
        assert counts.reindex(at.index, fill_value=0).tolist() == at[f"{bed}_occupied"].tolist()
    waiting = from_csv[from_csv["waiting_hours"].notna()]
    assert len(waiting) == int(at["waiting_ward"].sum() + at["waiting_icu"].sum())
