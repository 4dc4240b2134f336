"""Hospital sizes drawn from a country's published size distribution.

A registry's p10/p50/p90 of hospital beds fix a lognormal: its median is p50 and its spread
``sigma = (ln p90 - ln p10) / (2 z_0.9)``. A country's ``n`` hospitals take the lognormal's
quantiles at the plotting positions ``(i + 0.5) / n``, scaled so that they add up to the
national beds total (the shape is the registry's, the scale the national figure's), and the
largest go to the hospitals with the largest catchment-and-tier weight.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

Z90 = float(norm.ppf(0.9))


def lognormal_from_quantiles(p10: float, p50: float, p90: float) -> tuple[float, float]:
    """``(mu, sigma)`` of the lognormal with median ``p50`` and the p10-p90 spread given."""
    if not 0 < p10 < p50 < p90:
        raise ValueError(f"quantiles must rise and be positive, got {p10}, {p50}, {p90}")
    return math.log(p50), (math.log(p90) - math.log(p10)) / (2.0 * Z90)


def share_below(x: float, mu: float, sigma: float) -> float:
    """Share of a lognormal(mu, sigma) below ``x``."""
    return float(norm.cdf((math.log(x) - mu) / sigma))


def lognormal_sizes(n: int, sigma: float, total: int, lower: int = 1) -> np.ndarray:
    """``n`` integer sizes, largest first, of a lognormal shape ``sigma``, adding up to ``total``.

    The sizes are the lognormal's quantiles at ``(i + 0.5) / n`` times one scale, rounded by
    largest remainder with ``lower`` as the floor; ``total`` below ``n * lower`` gives every
    size ``lower``.
    """
    from geodata.facilities import largest_remainder

    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    positions = (np.arange(n)[::-1] + 0.5) / n
    shape = np.exp(sigma * norm.ppf(positions))
    return largest_remainder(shape, int(total), lower=lower)


def rank_order(weight: np.ndarray) -> np.ndarray:
    """Indices from the largest weight down, ties by index: who gets the largest size."""
    weight = np.asarray(weight, dtype=np.float64)
    return np.lexsort((np.arange(len(weight)), -weight))


def sizes_by_weight(weight: np.ndarray, sigma: float, total: int, lower: int = 1) -> np.ndarray:
    """Lognormal sizes (``lognormal_sizes``) given out by rank of ``weight``."""
    sizes = lognormal_sizes(len(weight), sigma, total, lower)
    out = np.zeros(len(weight), dtype=np.int64)
    out[rank_order(weight)] = sizes
    return out
