"""A synthetic truth for forecast tests: a run of a small network with other parameters than
the forecasting model's, cut into a daily census history and daily admissions.

The truth differs from the model (``model_scenario``) in its demand level (+10%), the spread
of its stays (lognormal CV 1.1 for the model's 0.9) and the model's ignorance of both; the
counts are the twin's own (no reporting noise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regional.network import Network
from regional.results import RunResult
from regional.runner import run_scenario
from regional.scenario import Scenario
from tests.networks import make_facilities, make_places, network, scenario

START = "2025-05-05T00:00:00Z"  # a Monday
MODEL: dict[str, Any] = {
    "demand.admissions_per_1000_year": 85.0,
    "capacity.start": "steady",
    "capacity.extra_beds": [],
}
TRUTH: dict[str, Any] = {**MODEL, "demand.admissions_per_1000_year": 93.5, "demand.los_cv": 1.1}


def model_scenario(days: float = 14, **overrides: Any) -> Scenario:
    """The forecasting model's scenario on the small network."""
    return scenario(
        **{"name": "model", "start": START, "days": days, "seed": 5, **MODEL, **overrides}
    )


def truth_scenario(days: float = 35, **overrides: Any) -> Scenario:
    """The truth's scenario: more demand and longer-tailed stays than the model's."""
    return scenario(
        **{"name": "truth", "start": START, "days": days, "seed": 11, **TRUTH, **overrides}
    )


def small_network(scn: Scenario) -> Network:
    """Two regions: a city with a large and a middle hospital, a town with a small one."""
    places = make_places([(-70.6, -33.4, 50_000), (-71.2, -33.9, 12_000)])
    facilities = make_facilities(
        [
            {"place": 0, "ward_beds": 60, "icu_beds": 8, "is_hub": True},
            {"place": 0, "ward_beds": 35, "icu_beds": 4, "dlon": 0.02},
            {"place": 1, "ward_beds": 22, "icu_beds": 0},
        ],
        places,
    )
    return network(scn, places, facilities)


def census_history(result: RunResult, every_hours: float = 24.0) -> pd.DataFrame:
    """The run's hospitals counted every ``every_hours`` from its start (the per-facility census
    form; the waiting are all put as waiting for the ward, the time series does not split them)."""
    ts = result.to_pandas("timeseries")
    f = result.to_pandas("facilities")
    f = f[f["kind"] == "hospital"]
    start = ts["time"].min()
    hours = (ts["time"] - start) / pd.Timedelta(hours=1)
    keep = np.isclose(np.mod(hours, every_hours), 0.0) & ts["facility_id"].isin(f["facility_id"])
    ts = ts[keep]
    code = dict(zip(f["facility_id"], f["code"], strict=True))
    return pd.DataFrame(
        {
            "facility": ts["facility_id"].map(code).to_numpy(),
            "time": ts["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
            "ward_occupied": ts["ward_occupied"].to_numpy(),
            "icu_occupied": ts["icu_occupied"].to_numpy(),
            "intermediate_occupied": ts["intermediate_occupied"].to_numpy(),
            "ventilators_in_use": np.minimum(
                ts["ventilators_in_use"], ts["icu_occupied"]
            ).to_numpy(),
            "waiting_ward": ts["waiting"].to_numpy(),
            "waiting_icu": 0,
        }
    )


def admissions_history(result: RunResult) -> pd.DataFrame:
    """Daily admissions per hospital: a patient's first bed at a hospital (as the forecast counts
    them), by the bed's need."""
    stays = result.to_pandas("stays")
    f = result.to_pandas("facilities")
    code = dict(zip(f["facility_id"], f["code"], strict=True))
    first = stays.sort_values("start_time").groupby(["patient_id", "facility_id"]).first()
    first = first.reset_index()
    start = result.to_pandas("timeseries")["time"].min()
    first = first[first["start_time"] > start]
    first["date"] = (first["start_time"] - pd.Timedelta(microseconds=1)).dt.floor("D")
    first["need"] = np.where(first["bed"] == "ward", "ward", "icu")
    out = first.groupby(["date", "facility_id", "need"]).size().rename("admissions").reset_index()
    out["facility"] = out["facility_id"].map(code)
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out[["date", "facility", "need", "admissions"]]


def write_truth(folder: Path, days: float = 35) -> tuple[Path, Path, RunResult]:
    """Run the truth and write censuses.csv and admissions.csv into ``folder``."""
    scn = truth_scenario(days + 1 / 12)
    result = run_scenario(scn, network=small_network(scn))
    censuses, admissions = folder / "censuses.csv", folder / "admissions.csv"
    census_history(result).to_csv(censuses, index=False)
    admissions_history(result).to_csv(admissions, index=False)
    return censuses, admissions, result
