"""The baselines: persistence and seasonal-naive points, intervals from their own past errors."""

from __future__ import annotations

import numpy as np
import pytest

from regional.forecast.baselines import persistence, seasonal_naive
from regional.forecast.quantiles import LEVELS

MEDIAN = LEVELS.index(0.5)


def test_persistence_is_the_last_value_and_a_flat_past_gives_a_point() -> None:
    series = np.full(20, 7.0)
    q = persistence(series, 14, 3)
    assert np.all(q == 7.0)


def test_persistence_intervals_come_from_past_changes_and_widen_with_the_lead() -> None:
    rng = np.random.default_rng(0)
    series = 50 + np.cumsum(rng.normal(0, 2, 60))
    near, far = persistence(series, 50, 1), persistence(series, 50, 7)
    assert near[MEDIAN] == pytest.approx(series[50]) == pytest.approx(far[MEDIAN])
    assert far[-1] - far[0] > near[-1] - near[0]
    assert near[-1] - near[MEDIAN] == pytest.approx(near[MEDIAN] - near[0])  # symmetric


def test_seasonal_naive_takes_the_same_weekday_of_the_last_week_known() -> None:
    series = np.tile([10.0, 12, 14, 16, 18, 20, 22], 4)  # a weekly cycle
    for lead in (1, 3, 7, 8, 14):
        q = seasonal_naive(series, 20, lead)
        assert q[MEDIAN] == series[20 + lead - 7 * int(np.ceil(lead / 7))]
        assert q[MEDIAN] == series[(20 + lead) % 7]  # the cycle, exactly
        assert np.all(q == q[MEDIAN])  # an exact cycle has made no errors


def test_counts_stay_at_zero_or_more() -> None:
    series = np.array([0.0, 5, 0, 6, 0, 4, 0, 5, 0, 1])
    assert persistence(series, 9, 1).min() >= 0.0
