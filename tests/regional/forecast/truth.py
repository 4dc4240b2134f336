"""A synthetic truth for forecast tests: a run of a small network with other parameters than
the forecasting model's, cut into a daily census history and daily admissions.

The truth differs from the model (``model_scenario``) in its demand level (+10%), the spread
of its stays (lognormal CV 1.1 for the model's 0.9) and the model's ignorance of both; the
counts are the twin's own (no reporting noise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
TRUTH: dict[str, Any] = {
    **MODEL,
    "demand.admissions_per_1000_year": 93.5,
    "demand.los_cv": 1.1,
    "demand.trend_per_week": 0.02,
}


def model_scenario(days: float = 14, **overrides: Any) -> Scenario:
    """The forecasting model's scenario on the small network."""
    return scenario(
        **{"name": "model", "start": START, "days": days, "seed": 5, **MODEL, **overrides}
    )


def truth_scenario(days: float = 42, **overrides: Any) -> Scenario:
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


def write_truth(folder: Path, days: float = 42) -> tuple[Path, Path, RunResult]:
    """Run the truth and write its censuses.csv and admissions.csv into ``folder``
    (``regional.history.from_run``: the histories a network would have recorded)."""
    from regional.history.from_run import admissions_from_run, censuses_from_run
    from regional.results import write_run_directory

    scn = truth_scenario(days + 1 / 12)
    result = run_scenario(scn, network=small_network(scn))
    run_dir = write_run_directory(result, folder / "truth-run")
    censuses, admissions = folder / "censuses.csv", folder / "admissions.csv"
    censuses_from_run(run_dir).to_csv(censuses, index=False)
    admissions_from_run(run_dir).to_csv(admissions, index=False)
    return censuses, admissions, result
