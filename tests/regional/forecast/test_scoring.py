"""The weighted interval score and coverage: closed forms, a hand-computed example, invariants,
and the same numbers as scoringrules' (when it is installed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regional.forecast.quantiles import LEVELS
from regional.forecast.scoring import (
    central_pairs,
    covered,
    interval_score,
    median_error,
    pinball_wis,
    wis,
)

values = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
quantile_sets = st.lists(values, min_size=len(LEVELS), max_size=len(LEVELS)).map(sorted)


def test_the_hub_levels_make_eleven_intervals_and_a_median() -> None:
    assert len(LEVELS) == 23 and LEVELS[:3] == (0.01, 0.025, 0.05) and LEVELS[-1] == 0.99
    alphas = [a for _, _, a in central_pairs(LEVELS)]
    assert alphas == pytest.approx([0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])


def test_the_interval_score_by_hand() -> None:
    # [2, 6] at 80%: its width inside, plus 2 / 0.2 times the miss outside
    assert interval_score(2, 6, 4, 0.2) == pytest.approx(4.0)
    assert interval_score(2, 6, 1, 0.2) == pytest.approx(4.0 + 10.0 * 1)
    assert interval_score(2, 6, 8, 0.2) == pytest.approx(4.0 + 10.0 * 2)


def test_the_weighted_interval_score_by_hand() -> None:
    # median 4 and an 80% interval [2, 6], outcome 7: (|7 - 4| / 2 + 0.2 / 2 * 14) / 1.5
    assert wis((0.1, 0.5, 0.9), [2, 4, 6], 7) == pytest.approx((1.5 + 1.4) / 1.5)
    # a median alone is the absolute error
    assert wis((0.5,), [4.0], 7.0) == pytest.approx(3.0)


def test_a_point_mass_at_the_outcome_scores_zero() -> None:
    assert wis(LEVELS, np.full(len(LEVELS), 12.0), 12.0) == 0.0


@settings(max_examples=200, deadline=None)
@given(quantile_sets, values)
def test_the_score_is_never_negative_and_equals_its_pinball_form(q: list[float], y: float) -> None:
    score = float(wis(LEVELS, q, y))
    assert score >= 0.0
    assert score == pytest.approx(float(pinball_wis(LEVELS, q, y)), rel=1e-9, abs=1e-9)
    assert float(median_error(LEVELS, q, y)) == pytest.approx(abs(y - q[LEVELS.index(0.5)]))


@settings(max_examples=200, deadline=None)
@given(quantile_sets, values)
def test_coverage_grows_with_the_level(q: list[float], y: float) -> None:
    inside = [bool(covered(LEVELS, q, y, level)) for level in (0.2, 0.5, 0.8, 0.9, 0.98)]
    assert inside == sorted(inside)  # once covered, covered by every wider interval


@settings(max_examples=100, deadline=None)
@given(quantile_sets, values, st.floats(min_value=0.01, max_value=100))
def test_a_wider_miss_costs_more(q: list[float], y: float, more: float) -> None:
    top = q[-1]
    far, farther = top + abs(y), top + abs(y) + more
    assert wis(LEVELS, q, farther) > wis(LEVELS, q, far)


def test_the_same_interval_scores_as_scoringrules() -> None:
    """scoringrules (0.10 is the last for Python 3.11) gives the same interval scores; its WIS
    on the numpy backend adds the median itself where Bracher et al. add |y - m| (its numba
    path has |y - m|), so the WIS is checked from its interval scores and the paper's weights."""
    sr = pytest.importorskip("scoringrules")
    rng = np.random.default_rng(3)
    q = np.sort(rng.normal(50, 10, (40, len(LEVELS))), axis=1)
    y = rng.normal(50, 12, 40)
    pairs = central_pairs(LEVELS)
    total = 0.5 * np.abs(y - q[:, LEVELS.index(0.5)])
    for lo, hi, alpha in pairs:
        theirs = np.asarray(sr.interval_score(y, q[:, lo], q[:, hi], alpha, backend="numpy"))
        assert interval_score(q[:, lo], q[:, hi], y, alpha) == pytest.approx(theirs, rel=1e-12)
        total = total + alpha / 2 * theirs
    assert wis(LEVELS, q, y) == pytest.approx(total / (len(pairs) + 0.5), rel=1e-12)
