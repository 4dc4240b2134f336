"""The two baselines a forecast is scored against, as quantile forecasts of the hubs' levels.

- persistence: every future day equals the last value known (the census at the reference
  time; for admissions, the last whole day before it);
- seasonal-naive: each future day equals the same weekday in the last week known.

Their intervals come from their own past errors, as the FluSight hub's baseline does: the
quantiles of the rule's errors at that lead over the history before the reference time, the
errors and their negatives pooled so the intervals are symmetric around the point, and the
values held at 0 or more. With fewer than ``MIN_ERRORS`` past errors a baseline is a point.
"""

from __future__ import annotations

import numpy as np

from regional.forecast.quantiles import LEVELS

MIN_ERRORS = 3
MODELS = ("persistence", "seasonal_naive")


def _spread(point: float, errors: np.ndarray) -> np.ndarray:
    errors = errors[~np.isnan(errors)]
    if len(errors) < MIN_ERRORS:
        return np.full(len(LEVELS), point)
    pooled = np.concatenate([errors, -errors])
    return np.maximum(point + np.quantile(pooled, LEVELS), 0.0)


def persistence(series: np.ndarray, last: int, lead: int) -> np.ndarray:
    """The 23 quantiles of the persistence forecast ``lead`` steps after index ``last`` of a
    daily series (NaN where unknown), from its changes over ``lead`` steps up to ``last``."""
    point = series[last]
    if np.isnan(point):
        return np.full(len(LEVELS), np.nan)
    past = series[: last + 1]
    errors = past[lead:] - past[:-lead] if len(past) > lead else np.array([])
    return _spread(float(point), errors)


def seasonal_naive(series: np.ndarray, last: int, lead: int, period: int = 7) -> np.ndarray:
    """The 23 quantiles of the seasonal-naive forecast ``lead`` steps after index ``last``:
    the value ``period * ceil(lead / period)`` steps before the target, spread by that rule's
    past errors."""
    back = period * int(np.ceil(lead / period))
    source = last + lead - back
    if source < 0 or np.isnan(series[source]):
        return np.full(len(LEVELS), np.nan)
    past = series[: last + 1]
    errors = past[back:] - past[:-back] if len(past) > back else np.array([])
    return _spread(float(series[source]), errors)
