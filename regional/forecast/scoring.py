"""Scores of quantile forecasts, as the forecast hubs compute them.

The weighted interval score (WIS) of Bracher, Ray, Gneiting and Reich (2021, PLOS Comput Biol
17(2): e1008618) for a median ``m`` and K central intervals [l_k, u_k] at levels 1 - alpha_k::

    IS_alpha(l, u; y) = (u - l) + 2/alpha (l - y) 1(y < l) + 2/alpha (y - u) 1(y > u)
    WIS = 1 / (K + 1/2) * (1/2 |y - m| + sum_k alpha_k / 2 * IS_alpha_k)

With the hubs' 23 quantiles, K = 11 (alpha = 0.02, 0.05, 0.1, 0.2, ..., 0.9). The same score
from the quantiles' pinball losses, ``WIS = 1 / (K + 1/2) * sum_i (1(y < q_i) - tau_i)(q_i - y)``
(``pinball_wis``), is the second derivation the tests check it against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

Floats = NDArray[np.float64]


def interval_score(lower: ArrayLike, upper: ArrayLike, y: ArrayLike, alpha: float) -> Floats:
    """The interval score of central (1 - alpha) intervals [lower, upper] for outcomes y."""
    lo, hi, obs = (np.asarray(a, dtype=np.float64) for a in (lower, upper, y))
    below = np.maximum(lo - obs, 0.0)
    above = np.maximum(obs - hi, 0.0)
    return np.asarray((hi - lo) + 2.0 / alpha * below + 2.0 / alpha * above)


def central_pairs(levels: Sequence[float]) -> list[tuple[int, int, float]]:
    """The central intervals among quantile levels: (index of lower, index of upper, alpha).

    Raises:
        ValueError: the levels are not symmetric around a median of 0.5.
    """
    tau = np.round(np.asarray(levels, dtype=np.float64), 10)
    if np.any(np.diff(tau) <= 0):
        raise ValueError("quantile levels must increase")
    index = {float(t): i for i, t in enumerate(tau)}
    if 0.5 not in index:
        raise ValueError("quantile levels need the median (0.5)")
    pairs = []
    for t in tau[tau < 0.5]:
        upper = round(1.0 - float(t), 10)
        if upper not in index:
            raise ValueError(f"quantile level {t:g} has no mirror {upper:g}")
        pairs.append((index[float(t)], index[upper], 2.0 * float(t)))
    return pairs


def wis(levels: Sequence[float], quantiles: ArrayLike, y: ArrayLike) -> Floats:
    """The weighted interval score of quantile forecasts (``quantiles[..., i]`` at
    ``levels[i]``) for outcomes ``y`` (broadcast over the leading axes)."""
    q = np.asarray(quantiles, dtype=np.float64)
    obs = np.asarray(y, dtype=np.float64)
    pairs = central_pairs(levels)
    median = q[..., list(np.round(levels, 10)).index(0.5)]
    total = 0.5 * np.abs(obs - median)
    for lo, hi, alpha in pairs:
        total = total + alpha / 2.0 * interval_score(q[..., lo], q[..., hi], obs, alpha)
    return np.asarray(total / (len(pairs) + 0.5))


def pinball_wis(levels: Sequence[float], quantiles: ArrayLike, y: ArrayLike) -> Floats:
    """The same score from the quantiles' pinball losses (for symmetric levels with a median)."""
    q = np.asarray(quantiles, dtype=np.float64)
    obs = np.asarray(y, dtype=np.float64)[..., None]
    tau = np.asarray(levels, dtype=np.float64)
    loss = ((obs < q).astype(np.float64) - tau) * (q - obs)
    k = len(central_pairs(levels))
    return np.asarray(loss.sum(axis=-1) / (k + 0.5))


def covered(
    levels: Sequence[float], quantiles: ArrayLike, y: ArrayLike, level: float
) -> NDArray[np.bool_]:
    """Whether each outcome lies in the central interval of ``level`` (such as 0.9), bounds in."""
    q = np.asarray(quantiles, dtype=np.float64)
    obs = np.asarray(y, dtype=np.float64)
    tau = list(np.round(levels, 10))
    alpha = 1.0 - level
    lo = tau.index(round(alpha / 2.0, 10))
    hi = tau.index(round(1.0 - alpha / 2.0, 10))
    return np.asarray((q[..., lo] <= obs) & (obs <= q[..., hi]))


def median_error(levels: Sequence[float], quantiles: ArrayLike, y: ArrayLike) -> Floats:
    """The absolute error of the median."""
    q = np.asarray(quantiles, dtype=np.float64)
    median = q[..., list(np.round(levels, 10)).index(0.5)]
    return np.asarray(np.abs(np.asarray(y, dtype=np.float64) - median))
