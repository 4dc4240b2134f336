"""The steady start: stays seen at a random instant against their closed forms, Erlang's laws,
and a one-hospital network that starts where its own demand keeps it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import ndtr

from regional.census import (
    StayShape,
    census_loads,
    erlang_a,
    erlang_a_distribution,
    seen_in_bed,
)
from regional.network import care_policy, demand_model, shard_specs
from regional.runner import run_scenario
from regional.shard import ShardModel
from tests.networks import make_facilities, make_places, network, scenario

N = 40_000


def _seen(cv: float | None, mean: float, hazard: float, part: bool = False) -> tuple[Any, Any]:
    rng = np.random.default_rng(3)
    return seen_in_bed(
        rng, StayShape(cv), np.full(N, mean), np.full(N, hazard), np.full(N, part, dtype=bool)
    )


def test_exponential_stays_seen_in_bed_have_the_stay_left_and_an_age_cut_by_death() -> None:
    # exponential stays of mean m and death at rate h: what is left is exponential of mean m
    # (memoryless), the age exponential of rate 1/m + h
    m, h = 100.0, 0.004
    age, left = _seen(None, m, h)
    assert stats.kstest(left, stats.expon(scale=m).cdf).pvalue > 1e-3
    assert stats.kstest(age, stats.expon(scale=1.0 / (1.0 / m + h)).cdf).pvalue > 1e-3


def test_lognormal_stays_seen_in_bed_have_the_equilibrium_law_without_death() -> None:
    # the remaining stay R has density P(S > r) / E[S]: mean E[S^2] / 2E[S] = m (1 + cv^2) / 2
    m, cv = 120.0, 0.9
    age, left = _seen(cv, m, 0.0)
    assert left.mean() == pytest.approx(m * (1 + cv * cv) / 2.0, rel=0.03)
    sigma = math.sqrt(math.log1p(cv * cv))
    mu = math.log(m) - sigma * sigma / 2.0

    def survival(t: float) -> float:
        return 1.0 - float(ndtr((math.log(t) - mu) / sigma)) if t > 0 else 1.0

    grid = np.quantile(left, [0.1, 0.25, 0.5, 0.75, 0.9])
    closed = [integrate.quad(survival, 0, g, limit=200)[0] / m for g in grid]
    np.testing.assert_allclose(closed, [0.1, 0.25, 0.5, 0.75, 0.9], atol=0.01)
    # age and remaining stay have the same law
    assert age.mean() == pytest.approx(left.mean(), rel=0.03)


def test_lognormal_stays_seen_in_bed_with_death_match_the_double_integral() -> None:
    # E[R] = int int (x - a) f(x) exp(-h a) da dx / int int f(x) exp(-h a) da dx
    m, cv, h = 150.0, 0.9, 0.003
    _, left = _seen(cv, m, h)
    sigma = math.sqrt(math.log1p(cv * cv))
    law = stats.lognorm(s=sigma, scale=m * math.exp(-sigma * sigma / 2.0))
    x = law.ppf(np.linspace(0.5 / 4000, 1 - 0.5 / 4000, 4000))
    weight = -np.expm1(-h * x) / h  # int_0^x exp(-h a) da
    mean_left = (x - (1 - np.exp(-h * x) * (1 + h * x)) / (h * h) / weight) * weight
    assert left.mean() == pytest.approx(mean_left.sum() / weight.sum(), rel=0.03)


def test_a_part_of_a_stay_seen_in_bed_is_length_biased_too() -> None:
    # X = U S, S exponential of mean m: E[X^2] / 2E[X] = (2 m^2 / 3) / m = 2m / 3
    m = 90.0
    _, left = _seen(None, m, 0.0, part=True)
    assert left.mean() == pytest.approx(2.0 * m / 3.0, rel=0.03)


def test_erlang_a_is_erlang_b_when_nobody_waits_and_erlang_c_when_all_do() -> None:
    load, beds = np.array([7.0, 18.0]), np.array([10, 15])
    # impatient patients (patience far above the stays): Erlang's loss system
    busy, _, waits = erlang_a(load, beds, np.array([1e9, 1e9]))
    b = [1.0, 1.0]
    for k, (a, c) in enumerate(zip(load, beds, strict=True)):
        for n in range(1, c + 1):
            b[k] = a * b[k] / (n + a * b[k])
    np.testing.assert_allclose(waits, b, rtol=1e-6)
    np.testing.assert_allclose(busy, load * (1 - np.array(b)), rtol=1e-6)
    # patient ones and a load the beds carry: M/M/c, every patient is served
    p = erlang_a_distribution(np.array([7.0]), np.array([10]), np.array([0.0]))[0]
    assert np.dot(np.minimum(np.arange(len(p)), 10), p) == pytest.approx(7.0, rel=1e-6)


# -- a one-hospital network -------------------------------------------------------------------

WARD_ONLY = {
    name: {"p_icu": 0.0, "p_escalate": 0.0, "los_ward_days": 5.0}
    for name in ("respiratory", "cardiac", "trauma", "obstetric", "other")
}


def _one_hospital(seed: int, ward_beds: int = 60, icu_beds: int = 0, **extra: Any) -> Any:
    places = make_places([(-71.0, -33.0, 60_000)])
    facilities = make_facilities(
        [{"place": 0, "ward_beds": ward_beds, "icu_beds": icu_beds}], places
    )
    scn = scenario(
        **{
            "seed": seed,
            "capacity.start": "steady",
            "demand.admissions_per_1000_year": 60.0,
            **extra,
        }
    )
    return scn, network(scn, places, facilities)


def _census(scn: Any, net: Any) -> ShardModel:
    return ShardModel(shard_specs(net)[0], demand_model(scn), care_policy(scn))


def test_the_starting_census_of_one_hospital_is_poisson_of_its_offered_load() -> None:
    # Little's law: 60,000 people x 60 a year / 8766 h x 120 h a stay; 60 beds hardly truncate
    load = 60_000 * 60 / 1000 / 8766.0 * 120.0
    scn, net = _one_hospital(0, **{"demand.conditions": WARD_ONLY})
    loads, _ = census_loads(net)
    assert loads[0].sum() == pytest.approx(load, rel=1e-3)
    counts = []
    for seed in range(60):
        scn, net = _one_hospital(seed, **{"demand.conditions": WARD_ONLY})
        counts.append(_census(scn, net).hospitals[0].ward_occupied)
    counts = np.array(counts)
    assert abs(counts.mean() - load) < 4 * math.sqrt(load / len(counts))
    # a Poisson's variance is its mean: the dispersion statistic is chi-square
    dispersion = counts.var(ddof=1) * (len(counts) - 1) / load
    assert stats.chi2(len(counts) - 1).cdf(dispersion) == pytest.approx(0.5, abs=0.49)


@pytest.mark.slow
@pytest.mark.parametrize("start", ["steady", "fixed"])
def test_a_hospital_started_steady_stays_where_it_started(start: str) -> None:
    """Occupancy at the start and after 12 days agree within the Poisson spread (seeds are
    independent, so the difference of the means has variance 2 x load / seeds); a start at
    30% of the beds fails it."""
    first, last = [], []
    for seed in range(16):
        scn, net = _one_hospital(
            seed,
            ward_beds=60,
            icu_beds=8,
            days=12,
            window_hours=6.0,
            **{
                "capacity.start": start,
                "capacity.initial_ward_occupancy": 0.3,
                "capacity.initial_icu_occupancy": 0.3,
            },
        )
        ts = run_scenario(scn, network=net).tables["timeseries"].to_pandas()
        first.append(ts["ward_occupied"].iloc[0] + ts["icu_occupied"].iloc[0])
        last.append(ts["ward_occupied"].iloc[-1] + ts["icu_occupied"].iloc[-1])
    spread = 4 * math.sqrt(2 * np.mean(last) / len(last))
    agree = abs(np.mean(first) - np.mean(last)) < spread
    assert agree == (start == "steady"), (np.mean(first), np.mean(last), spread)
