"""Queueing theory: one hospital with Poisson arrivals and exponential stays.

Boarding patients who wait without limit make an M/M/c queue (Erlang C: the chance of waiting
and the mean wait); patients sent on at once when all beds are full make an M/M/c/c loss system
(Erlang B: the share turned away); ICU requests that end after a fixed wait make an M/M/c+D
queue (the share of requests that end). Averaged over seeds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from agents.pathway import Need
from regional.runner import run_scenario
from regional.scenario import CONDITIONS
from tests.networks import make_facilities, make_places, network, scenario

RATE_PER_1000_YEAR = 100.0
HOURS_PER_YEAR = 8766.0


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Probability of waiting in M/M/c."""
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1.0 - b))


def abandonment_mmc_deterministic_patience(
    servers: int, load: float, service_rate: float, patience: float
) -> float:
    """Share of arrivals to M/M/c+D that leave unserved, all waiting at most ``patience``.

    By level crossing on the virtual waiting time V: below the patience its density is
    lambda p_(c-1) exp((lambda - c mu) x); an arrival leaves if V > patience.
    """
    lam, c_mu = load * service_rate, servers * service_rate
    free = np.array([load**n / math.factorial(n) for n in range(servers)])  # p_n / p_0, n < c
    grow = math.exp((lam - c_mu) * patience)
    below = (grow - 1.0) / (lam - c_mu) if lam != c_mu else patience
    p_last = free[-1] / (free.sum() + lam * free[-1] * (below + grow / c_mu))
    return lam * p_last * grow / c_mu


def _poisson_run(
    load: float,
    los_days: float,
    seed: int,
    days: float,
    course: dict[str, Any],
    hospitals: list[dict[str, Any]],
    **overrides: Any,
) -> Any:
    """A run whose first place sends ``load`` bed-days a day (Poisson arrivals, exponential
    stays of ``los_days``) to the first of ``hospitals``; every condition follows ``course``."""
    arrivals_per_hour = load / (los_days * 24.0)
    population = round(arrivals_per_hour * HOURS_PER_YEAR * 1000.0 / RATE_PER_1000_YEAR)
    scn = scenario(
        **{
            "days": days,
            "seed": seed,
            "window_hours": 24,
            "sample_hours": 24,
            "demand.admissions_per_1000_year": RATE_PER_1000_YEAR,
            "demand.los_distribution": "exponential",
            "demand.conditions": {c: course for c in CONDITIONS},
            **overrides,
        }
    )
    places = make_places([(-70.0, -33.0, population), (-69.0, -33.0, 500)])
    facilities = make_facilities(hospitals, places)
    return run_scenario(scn, network=network(scn, places, facilities))


def _single_hospital_run(
    beds: int, load: float, los_days: float, seed: int, transfer_after_hours: float, days: float
) -> Any:
    ward_only = {
        "share": 1.0,
        "p_icu": 0.0,
        "p_escalate": 0.0,
        "los_ward_days": los_days,
        "p_death_ward": 0.0,
    }
    result = _poisson_run(
        load,
        los_days,
        seed,
        days,
        ward_only,
        [{"place": 0, "ward_beds": beds}, {"place": 1, "ward_beds": 2000}],
        **{"care.transfer_after_hours_ward": transfer_after_hours},
    )
    patients = result.to_pandas("patients")
    return patients[patients["first_facility"] == 0], result


@pytest.mark.slow
def test_boarding_queue_matches_erlang_c() -> None:
    beds, load, los_days = 8, 6.0, 1.0
    waited, waits = [], []
    # near saturation the chance of waiting drifts slowly; 16 seeds keep its standard error
    # near 0.015
    for seed in range(16):
        patients, _ = _single_hospital_run(beds, load, los_days, seed, 720.0, days=300)
        admitted = patients[patients["admit_time"].notna()]
        # skip the first days, while the empty hospital fills up
        admitted = admitted[
            admitted["arrival_time"] > admitted["arrival_time"].min() + np.timedelta64(5, "D")
        ]
        waited.append(float((admitted["waited_hours"] > 0).mean()))
        waits.append(float(admitted["waited_hours"].mean()))
    c = erlang_c(beds, load)
    mean_wait = c / (beds / (los_days * 24.0) - load / (los_days * 24.0))
    assert np.mean(waited) == pytest.approx(c, abs=0.04)
    assert np.mean(waits) == pytest.approx(mean_wait, rel=0.2)


@pytest.mark.slow
def test_loss_system_matches_erlang_b() -> None:
    beds, load = 5, 4.0
    blocked = []
    for seed in range(4):
        patients, result = _single_hospital_run(beds, load, 1.0, seed, 0.0, days=150)
        transfers = result.to_pandas("transfers")
        out_of_first = transfers[transfers["from_facility"] == 0]
        blocked.append(len(out_of_first) / len(patients))
    assert np.mean(blocked) == pytest.approx(erlang_b(beds, load), abs=0.03)


@pytest.mark.slow
def test_icu_requests_that_end_at_the_wait_limit_match_mmc_with_deterministic_patience() -> None:
    beds, load, los_days, limit = 6, 7.5, 1.0, 8.0
    ended = []
    for seed in range(10):
        patients = _icu_run(beds, load, los_days, limit, seed, days=200)
        never_in_icu = patients["icu_time"].isna()
        still_waiting = (patients["need"] == Need.ICU) & (patients["outcome"] == "in_system")
        gone = patients[never_in_icu & ~still_waiting]
        ended.append(len(gone) / len(patients[~still_waiting]))
        assert gone["icu_denied"].all()
    expected = abandonment_mmc_deterministic_patience(beds, load, 1.0 / (los_days * 24.0), limit)
    assert np.mean(ended) == pytest.approx(expected, abs=0.03)


def _icu_run(beds: int, load: float, los_days: float, limit: float, seed: int, days: int) -> Any:
    """One hospital whose patients all need an ICU bed (no ventilators, no step-down, no
    readmission, no deaths), none transferred."""
    icu_only = {
        "share": 1.0,
        "p_icu": 1.0,
        "p_ventilator": 0.0,
        "p_escalate": 0.0,
        "los_icu_days": los_days,
        "p_death_ward": 0.0,
        "p_death_icu": 0.0,
        "los_stepdown_days": 0.0,
        "p_icu_readmission": 0.0,
    }
    result = _poisson_run(
        load,
        los_days,
        seed,
        days,
        icu_only,
        [{"place": 0, "ward_beds": 2000, "icu_beds": beds}, {"place": 1, "ward_beds": 10}],
        **{
            "capacity.initial_icu_occupancy": 0.0,
            "capacity.initial_ward_occupancy": 0.0,
            "care.max_transfers_per_patient": 0,
            "care.icu_wait_limit_hours": limit,
        },
    )
    patients = result.to_pandas("patients")
    patients = patients[patients["first_facility"] == 0]
    warm = patients["arrival_time"].min() + np.timedelta64(5, "D")
    return patients[patients["arrival_time"] > warm]


def test_erlang_formulas() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_b(5, 4.0) == pytest.approx(0.1991, abs=1e-4)
    # no patience: those who find every bed taken leave (Erlang B); endless patience below
    # capacity: nobody leaves
    assert abandonment_mmc_deterministic_patience(5, 4.0, 0.5, 0.0) == pytest.approx(
        erlang_b(5, 4.0)
    )
    assert abandonment_mmc_deterministic_patience(5, 4.0, 0.5, 500.0) < 1e-9
    # overloaded with endless patience: all beyond capacity leave, 1 - c / load
    assert abandonment_mmc_deterministic_patience(5, 8.0, 0.5, 50.0) == pytest.approx(
        1 - 5 / 8.0, abs=1e-6
    )
