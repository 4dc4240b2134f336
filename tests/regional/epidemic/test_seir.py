"""The metapopulation SEIR against its closed forms, and its draws keyed by place."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import brentq

from regional.epidemic import (
    EpidemicRules,
    admissions_from_infections,
    gravity_coupling,
    simulate,
)


def final_size(r0: float) -> float:
    """The share ever infected: z = 1 - exp(-R0 z) (Kermack-McKendrick)."""
    return brentq(lambda z: z - 1.0 + math.exp(-r0 * z), 1e-9, 1.0)


def _one_place(rules: EpidemicRules, days: int = 300) -> np.ndarray:
    epidemic = simulate(np.array([1_000_000.0]), sp.identity(1, format="csr"), rules, days)
    return epidemic.recovered[-1] + epidemic.infectious[-1] + epidemic.exposed[-1]


@pytest.mark.parametrize("r0", [1.5, 2.0, 3.0])
def test_the_final_size_of_one_place_is_kermack_mckendricks(r0: float) -> None:
    rules = EpidemicRules(r0, seeds=((0, 0.0, 10.0),), steps_per_day=24)
    ever = _one_place(rules)[0] / 1_000_000.0
    assert ever == pytest.approx(final_size(r0), abs=0.005)


def test_the_chain_binomial_averages_to_the_deterministic_epidemic() -> None:
    seeds = ((0, 0.0, 200.0),)
    mean = _one_place(EpidemicRules(2.0, seeds=seeds))[0]
    draws = [
        _one_place(EpidemicRules(2.0, seeds=seeds, stochastic=True, seed=k))[0] for k in range(3)
    ]
    # with a million people the final size varies by well under a percent
    assert np.mean(draws) == pytest.approx(mean, rel=0.01)
    assert len(set(draws)) == 3  # the seed changes the draws


def test_a_place_infected_from_its_neighbour_peaks_later() -> None:
    lon, lat = np.array([-70.6, -70.0, -60.0]), np.array([-33.4, -33.0, -40.0])
    pop = np.array([5e6, 1e6, 2e5])
    coupling = gravity_coupling(lon, lat, pop, away_share=0.05, neighbours=2)
    epidemic = simulate(pop, coupling, EpidemicRules(2.0, seeds=((0, 0.0, 50.0),)), 365)
    peaks = epidemic.new_infections.argmax(axis=0)
    # the near town follows within days, the small far one weeks later
    assert peaks[0] <= peaks[1] < peaks[0] + 10
    assert peaks[2] > peaks[1] + 20
    assert (epidemic.recovered[-1] / pop > 0.5).all()  # all three were reached


def test_the_draws_of_a_place_do_not_depend_on_the_order_of_places() -> None:
    lon, lat = np.array([-70.6, -70.0, -71.0]), np.array([-33.4, -33.0, -34.0])
    pop = np.array([2e5, 1e5, 5e4])
    ids = np.array([3871336, 3874960, 3875024])
    order = np.array([2, 0, 1])

    def run(k: np.ndarray) -> np.ndarray:
        coupling = gravity_coupling(lon[k], lat[k], pop[k], neighbours=2)
        seed_row = int(np.flatnonzero(k == 0)[0])
        rules = EpidemicRules(2.0, seeds=((seed_row, 0.0, 20.0),), stochastic=True, seed=7)
        return simulate(pop[k], coupling, rules, 120, place_ids=ids[k]).new_infections

    straight, shuffled = run(np.arange(3)), run(order)
    np.testing.assert_allclose(shuffled, straight[:, order], rtol=1e-12)


def test_a_lower_reproduction_number_from_a_date_turns_the_wave() -> None:
    rules = EpidemicRules(2.5, seeds=((0, 0.0, 100.0),), changes=((30.0, 0.6),))
    new = simulate(np.array([1e6]), sp.identity(1, format="csr"), rules, 90).new_infections[:, 0]
    assert new[29] > new[28]  # growing until the change
    assert new[89] < 0.2 * new[35]  # declining after it
    growth = np.log(new[25] / new[15]) / 10.0
    # early growth rate of SEIR: r solves (1 + r L)(1 + r D) = R0
    expected = brentq(lambda r: (1 + 3.0 * r) * (1 + 5.0 * r) - 2.5, 0.0, 5.0)
    assert growth == pytest.approx(expected, rel=0.1)


def test_admissions_keep_the_ratio_of_infections_and_come_later() -> None:
    new = np.zeros((80, 2))
    new[5, 0], new[10, 1] = 1000.0, 500.0
    admitted = admissions_from_infections(new, 0.04, delay_mean_days=10.0, delay_cv=0.5)
    assert admitted.sum(axis=0) == pytest.approx([40.0, 20.0], rel=1e-6)
    mean_day = (admitted[:, 0] * np.arange(80)).sum() / admitted[:, 0].sum()
    # admitted on the day the delay falls in: the whole days of a gamma of mean 10, 9.5 on average
    assert mean_day == pytest.approx(5 + 10.0 - 0.5, abs=0.1)
