"""SEIR in every place, coupled by mobility, one day at a time.

A person of place i meets people where they spend their contacts (row i of the coupling C):
the force of infection is ``lambda_i = beta(t) * sum_j C_ij * I*_j / N*_j``, where ``I*_j`` and
``N*_j`` are the infectious and the people present in j (``C^T I`` and ``C^T N``). Each day, a
susceptible is infected with probability ``1 - exp(-lambda dt)``, an exposed becomes infectious
with ``1 - exp(-dt / latent_days)``, an infectious recovers with ``1 - exp(-dt /
infectious_days)``; ``beta = R / infectious_days``. The deterministic variant moves those
expected shares; the chain binomial draws them, from uniforms keyed by (seed, place id, day),
so the draws of a place do not depend on which other places are simulated or in what order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.stats import binom

from regional.streams import uniforms

STREAM_EPIDEMIC = 4  # regional.streams: ventilators are 2, staff absence 3


@dataclass(frozen=True)
class EpidemicRules:
    """The epidemic's parameters (times in days)."""

    reproduction_number: float
    latent_days: float = 3.0
    infectious_days: float = 5.0
    seeds: tuple[tuple[int, float, float], ...] = ()  # (place row, day, people infected)
    changes: tuple[tuple[float, float], ...] = ()  # (day, reproduction number from then on)
    stochastic: bool = False
    seed: int = 0
    steps_per_day: int = 4


@dataclass
class Epidemic:
    """Daily compartments (days x places) and new infections."""

    susceptible: np.ndarray
    exposed: np.ndarray
    infectious: np.ndarray
    recovered: np.ndarray
    new_infections: np.ndarray
    place_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def reproduction_number(rules: EpidemicRules, day: float) -> float:
    """R in force on ``day``."""
    value = rules.reproduction_number
    for start, r in sorted(rules.changes):
        if day >= start:
            value = r
    return value


def _draw(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Binomial(n, p) from uniforms by the inverse distribution function."""
    out = binom.ppf(u, n.astype(np.int64), np.clip(p, 0.0, 1.0))
    return np.nan_to_num(out, nan=0.0).astype(np.float64)


def simulate(
    population: np.ndarray,
    coupling: sp.csr_matrix,
    rules: EpidemicRules,
    days: int,
    place_ids: np.ndarray | None = None,
) -> Epidemic:
    """Integrate the epidemic for ``days`` days from the seeds."""
    n = len(population)
    ids = np.arange(n, dtype=np.int64) if place_ids is None else np.asarray(place_ids, np.int64)
    pop = np.asarray(population, dtype=np.float64)
    s, e, i, r = pop.copy(), np.zeros(n), np.zeros(n), np.zeros(n)
    out = {k: np.zeros((days, n)) for k in ("s", "e", "i", "r", "new")}
    ct = coupling.T.tocsr()
    present = np.maximum(ct @ pop, 1e-12)
    dt = 1.0 / rules.steps_per_day
    p_onset = 1.0 - np.exp(-dt / rules.latent_days)
    p_recover = 1.0 - np.exp(-dt / rules.infectious_days)
    for day in range(days):
        new_today = np.zeros(n)
        for place, at, people in rules.seeds:
            if int(np.floor(at)) == day:
                moved = min(float(people), s[place])
                s[place] -= moved
                e[place] += moved
                new_today[place] += moved
        for step in range(rules.steps_per_day):
            beta = reproduction_number(rules, day + step * dt) / rules.infectious_days
            force = beta * (coupling @ ((ct @ i) / present))
            p_infect = 1.0 - np.exp(-force * dt)
            if rules.stochastic:
                counter = (day * rules.steps_per_day + step) * 3
                infected = _draw(s, p_infect, uniforms(rules.seed, STREAM_EPIDEMIC, ids, counter))
                onset = _draw(e, p_onset, uniforms(rules.seed, STREAM_EPIDEMIC, ids, counter + 1))
                recover = _draw(
                    i, p_recover, uniforms(rules.seed, STREAM_EPIDEMIC, ids, counter + 2)
                )
            else:
                infected, onset, recover = s * p_infect, e * p_onset, i * p_recover
            s, e, i, r = s - infected, e + infected - onset, i + onset - recover, r + recover
            new_today += infected
        out["s"][day], out["e"][day], out["i"][day], out["r"][day] = s, e, i, r
        out["new"][day] = new_today
    return Epidemic(out["s"], out["e"], out["i"], out["r"], out["new"], ids)
