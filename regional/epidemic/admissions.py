"""Hospital admissions caused by new infections: a ratio and a delay from infection."""

from __future__ import annotations

import numpy as np
from scipy.stats import gamma


def delay_weights(mean_days: float, cv: float, max_days: int) -> np.ndarray:
    """Share of admissions on each day after infection (a gamma delay, discretised by day,
    cut at ``max_days`` and renormalised)."""
    shape = 1.0 / cv**2
    edges = np.arange(max_days + 2, dtype=np.float64)
    cdf = gamma.cdf(edges, a=shape, scale=mean_days / shape)
    weights = np.diff(cdf)
    return weights / weights.sum()


def admissions_from_infections(
    new_infections: np.ndarray,
    hospitalisation_ratio: float,
    delay_mean_days: float = 10.0,
    delay_cv: float = 0.5,
) -> np.ndarray:
    """Expected admissions (days x places) from new infections (days x places)."""
    days = new_infections.shape[0]
    weights = delay_weights(delay_mean_days, delay_cv, max(days, 1) - 1)
    out = np.zeros_like(new_infections, dtype=np.float64)
    for lag, w in enumerate(weights):
        if w > 0 and lag < days:
            out[lag:] += w * new_infections[: days - lag]
    return out * hospitalisation_ratio
