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


def test_a_forecast_that_is_the_truth_scores_zero_and_covers_everything() -> None:
    import datetime as dt

    import pandas as pd

    from regional.forecast.backtest import score_forecast
    from regional.forecast.history import histories
    from regional.forecast.quantiles import long_rows

    days = pd.date_range("2025-05-01", periods=30, freq="D", tz="UTC")
    ward = 20 + np.arange(30) % 5
    census = pd.DataFrame(
        {
            "facility": "A",
            "time": days,
            "ward_occupied": ward,
            "icu_occupied": 2,
            "intermediate_occupied": 0,
            "waiting_ward": 0,
            "waiting_icu": 0,
        }
    )
    hist = histories(census, None)
    ref = days[20]
    future = np.repeat(ward[20:25][None, None, :], 8, axis=0).astype(float)  # h = 0..4
    hub = long_rows(dt.date(2025, 5, 21), "ward_occupied", ["A"], future)
    locations = pd.DataFrame(
        {"location": ["A"], "level": ["facility"], "name": ["A"], "region": ["R"]}
    )
    scores = score_forecast(hub, hist, ref, locations)
    twin = scores[scores["model"] == "twin"]
    assert list(twin["horizon"]) == [1, 2, 3, 4]
    assert (twin["wis"] == 0).all() and (twin["coverage_90"] == 1).all()
    assert (twin["observed"].to_numpy() == ward[21:25]).all()
    persistence = scores[scores["model"] == "persistence"]
    assert (persistence["median"] == ward[20]).all()
    seasonal = scores[scores["model"] == "seasonal_naive"].set_index("horizon")["median"]
    assert seasonal[1] == ward[21 - 7]
