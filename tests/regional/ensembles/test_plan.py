"""The ensemble's grid: seeds shared by every scenario's replication r, and refused inputs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regional.ensembles.plan import EnsembleError, Plan, check_inputs, replication_seed
from tests.regional.ensembles.small import small_scenario


@given(st.integers(0, 2**63 - 1), st.integers(0, 10_000))
def test_a_seed_is_a_valid_scenario_seed_and_a_pure_function(base: int, r: int) -> None:
    seed = replication_seed(base, r)
    assert 0 <= seed < 2**31
    assert seed == replication_seed(base, r)


def test_seeds_differ_across_replications_and_base_seeds() -> None:
    seeds = [replication_seed(42, r) for r in range(2000)]
    assert len(set(seeds)) == len(seeds)
    # two ensembles of neighbouring base seeds share no run (unlike base + r)
    assert not set(seeds[:100]) & {replication_seed(43, r) for r in range(100)}


def test_replication_r_of_every_scenario_has_the_same_seed() -> None:
    plan = Plan([small_scenario("a"), small_scenario("b", **{"capacity.absenteeism": 0.2})], 3, 7)
    cells = list(plan.cells())
    assert [(c.scenario, c.replication) for c in cells] == [
        ("a", 0),
        ("b", 0),
        ("a", 1),
        ("b", 1),
        ("a", 2),
        ("b", 2),
    ]
    for r in range(3):
        assert {c.seed for c in cells if c.replication == r} == {replication_seed(7, r)}
    # a longer ensemble begins with the same runs
    assert Plan(plan.scenarios, 10, 7).seeds()[:3] == plan.seeds()
    # the seed and worker count are no part of what a replication's results depend on
    same = Plan([small_scenario("a", seed=99, workers=2)], 1, 7)
    assert same.fingerprints["a"] == plan.fingerprints["a"]
    assert plan.fingerprints["a"] != plan.fingerprints["b"]


@pytest.mark.parametrize(
    ("replications", "precision", "cap", "expected"),
    [
        (0, None, None, "--replications: expected at least 1, got 0"),
        (-3, None, None, "--replications: expected at least 1, got -3"),
        (2, 0.0, None, "--precision: expected a share between 0 and 1"),
        (2, 1.0, None, "--precision: expected a share between 0 and 1"),
        (2, -0.1, None, "--precision: expected a share between 0 and 1"),
        (5, 0.05, 3, "--max-replications: 3 is fewer than --replications 5"),
        (5, None, 30, "--max-replications caps --precision"),
    ],
)
def test_bad_numbers_are_refused(
    replications: int, precision: float | None, cap: int | None, expected: str
) -> None:
    with pytest.raises(EnsembleError, match="^" + expected.replace("-", r"\-")):
        check_inputs([small_scenario()], replications, precision, cap)


def test_scenarios_that_cannot_be_paired_are_refused() -> None:
    a = small_scenario("a")
    with pytest.raises(EnsembleError, match="given twice"):
        check_inputs([a, small_scenario("a")], 2, None, None)
    with pytest.raises(EnsembleError, match=r"its days .* differs"):
        check_inputs([a, small_scenario("b", days=9)], 2, None, None)
