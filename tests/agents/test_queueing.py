"""Queueing theory: one hospital with Poisson arrivals and exponential stays.

Boarding patients who wait without limit make an M/M/c queue (Erlang C: the chance of waiting
and the mean wait); patients sent on at once when all beds are full make an M/M/c/c loss system
(Erlang B: the share turned away). Averaged over seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from regional.runner import run_scenario
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


def _single_hospital_run(
    beds: int, load: float, los_days: float, seed: int, transfer_after_hours: float, days: float
) -> Any:
    arrivals_per_hour = load / (los_days * 24.0)
    population = round(arrivals_per_hour * HOURS_PER_YEAR * 1000.0 / RATE_PER_1000_YEAR)
    same = {
        "share": 1.0,
        "p_icu": 0.0,
        "p_escalate": 0.0,
        "los_ward_days": los_days,
        "p_death_ward": 0.0,
    }
    scn = scenario(
        **{
            "days": days,
            "seed": seed,
            "window_hours": 24,
            "sample_hours": 24,
            "demand.admissions_per_1000_year": RATE_PER_1000_YEAR,
            "demand.los_distribution": "exponential",
            "demand.conditions": {
                c: same for c in ("respiratory", "cardiac", "trauma", "obstetric", "other")
            },
            "care.transfer_after_hours_ward": transfer_after_hours,
        }
    )
    places = make_places([(-70.0, -33.0, population), (-69.0, -33.0, 500)])
    facilities = make_facilities(
        [
            {"place": 0, "ward_beds": beds},
            {"place": 1, "ward_beds": 2000},
        ],
        places,
    )
    result = run_scenario(scn, network=network(scn, places, facilities))
    patients = result.to_pandas("patients")
    return patients[patients["first_facility"] == 0], result


@pytest.mark.slow
def test_boarding_queue_matches_erlang_c() -> None:
    beds, load, los_days = 8, 6.0, 1.0
    waited, waits = [], []
    for seed in range(8):
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


def test_erlang_formulas() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_b(5, 4.0) == pytest.approx(0.1991, abs=1e-4)
