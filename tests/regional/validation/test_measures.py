"""The validation measures against closed forms on one hospital with Poisson arrivals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from regional.demand import DemandModel
from regional.runner import run_scenario
from regional.scenario import CONDITIONS
from regional.validation import measures
from regional.validation.check import mean_season_offset_days
from tests.networks import make_facilities, make_places, network, scenario

RATE_PER_1000_YEAR = 100.0
LOS_DAYS = 2.0
P_DEATH = 0.2


def _run(load: float, beds: int, days: float, seed: int) -> tuple[Any, float]:
    """One hospital of ``beds`` ward beds sent ``load`` bed-days a day; returns the run and
    the population."""
    arrivals_per_hour = load / (LOS_DAYS * 24.0)
    population = round(arrivals_per_hour * 24 * 365 * 1000.0 / RATE_PER_1000_YEAR)
    course = {
        "share": 1.0,
        "p_icu": 0.0,
        "p_escalate": 0.0,
        "los_ward_days": LOS_DAYS,
        "p_death_ward": P_DEATH,
    }
    scn = scenario(
        days=days,
        seed=seed,
        **{
            "demand.admissions_per_1000_year": RATE_PER_1000_YEAR,
            "demand.los_distribution": "exponential",
            "demand.conditions": {c: course for c in CONDITIONS},
        },
    )
    places = make_places([(-70.0, -33.0, population)])
    facilities = make_facilities([{"place": 0, "ward_beds": beds}], places)
    return run_scenario(scn, network=network(scn, places, facilities)), float(population)


@pytest.fixture(scope="module")
def steady() -> tuple[dict[str, float], float]:
    load, beds, days = 20.0, 100, 60.0
    result, population = _run(load, beds, days, seed=3)
    start = pd.Timestamp(result.to_pandas("timeseries")["time"].min())
    # the first ten days (five mean stays) are left out while the empty hospital fills
    return measures.activity(result, start, 240.0, days * 24.0, population), load / beds


@pytest.mark.slow
def test_length_of_stay_is_bed_days_over_separations(steady: Any) -> None:
    figures, _ = steady
    # about 500 separations: the mean of exponential stays has a standard error near 4.5%
    assert figures["alos_days"] == pytest.approx(LOS_DAYS, rel=0.12)


@pytest.mark.slow
def test_occupancy_is_the_offered_load_over_beds(steady: Any) -> None:
    figures, occupancy = steady
    # no blocking at a fifth of the beds: occupancy is the offered load (Little's law)
    assert figures["ward_occupancy_mean"] == pytest.approx(occupancy, rel=0.12)


@pytest.mark.slow
def test_admissions_and_mortality_carry_the_inputs(steady: Any) -> None:
    figures, _ = steady
    assert figures["admissions_per_1000_year"] == pytest.approx(RATE_PER_1000_YEAR, rel=0.1)
    # binomial standard error over about 500 separations: 0.018
    assert figures["in_hospital_mortality"] == pytest.approx(P_DEATH, abs=0.055)


def test_structure_counts_and_quantiles() -> None:
    facilities = pd.DataFrame(
        {
            "kind": ["hospital"] * 4 + ["clinic"] * 3,
            "ward_beds": [10, 30, 60, 200, 0, 0, 0],
            "icu_beds": [0, 0, 8, 20, 0, 0, 0],
        }
    )
    figures = measures.structure(facilities, population=100_000.0)
    assert figures["hospitals"] == 4
    assert figures["rural_posts"] == 3
    assert figures["beds_per_1000"] == pytest.approx(328 / 100.0)
    assert figures["icu_beds_per_100k"] == pytest.approx(28.0)
    assert figures["share_hospitals_with_icu"] == 0.5
    assert figures["share_hospitals_under_50_beds"] == 0.5
    assert figures["icu_unit_beds_p50"] == 14.0
    assert figures["hospital_beds_p50"] == pytest.approx(np.median([10, 30, 68, 220]))


def test_the_mean_season_day_has_the_yearly_mean_multiplier() -> None:
    demand = DemandModel.__new__(DemandModel)
    offset = mean_season_offset_days()
    bump_at = DemandModel._season_bump(demand, np.array([offset]), np.array([0.0]))[0]
    days = np.arange(0.0, 365.25, 0.01)
    yearly = DemandModel._season_bump(demand, days, np.zeros_like(days)).mean()
    assert bump_at == pytest.approx(yearly, abs=1e-4)
    assert 0 < offset < 365.25 / 2
    assert not math.isnan(offset)
