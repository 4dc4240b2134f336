"""The scenario x replication grid of an ensemble, its seeds, and the checks of its inputs.

Replication ``r`` of every scenario runs with the same seed, so a comparison between
scenarios is paired: both draw the same arriving episodes (common random numbers, see
docs/streams.md). The seed of replication ``r`` is a pure function of the base seed and ``r``
(``replication_seed``): SplitMix64's finaliser of ``base_seed * golden + r``, cut to 31 bits,
so replication 3 of base seed 42 is the same run today, on one worker or forty, and in an
ensemble of 10 or 100 replications; ``regional run --seed <its seed>`` reproduces it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from regional.scenario import Scenario

if TYPE_CHECKING:
    from regional.network import Network

_GAMMA = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


class EnsembleError(ValueError):
    """An ensemble asked for wrongly; the message is one line saying what to change."""


def replication_seed(base_seed: int, replication: int) -> int:
    """The seed of replication ``replication`` (from 0) of an ensemble with ``base_seed``."""
    x = (int(base_seed) * _GAMMA + int(replication)) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return int((x ^ (x >> 31)) >> 33)


@dataclass(frozen=True)
class Cell:
    """One run of the grid: a scenario's replication and its seed."""

    scenario: str
    replication: int
    seed: int

    @property
    def label(self) -> str:
        """How the run is named in messages: ``chile r3``."""
        return f"{self.scenario} r{self.replication}"


@dataclass
class Plan:
    """Scenarios (the first is the base of comparisons), replications and the base seed."""

    scenarios: list[Scenario]
    replications: int
    base_seed: int
    precision: float | None = None
    max_replications: int | None = None
    targets: tuple[str, ...] = ()
    fingerprints: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fingerprints = {s.name: scenario_fingerprint(s) for s in self.scenarios}

    @property
    def names(self) -> list[str]:
        """Scenario names, the base first."""
        return [s.name for s in self.scenarios]

    def seeds(self, replications: int | None = None) -> list[int]:
        """The seed of each replication 0..n-1."""
        n = self.replications if replications is None else replications
        return [replication_seed(self.base_seed, r) for r in range(n)]

    def cells(self, replications: Sequence[int] | None = None) -> Iterator[Cell]:
        """Every run of the grid, replication by replication (each scenario's r together)."""
        for r in replications if replications is not None else range(self.replications):
            seed = replication_seed(self.base_seed, r)
            for s in self.scenarios:
                yield Cell(s.name, r, seed)

    def scenario(self, name: str) -> Scenario:
        """The scenario of that name, with its own seed (replications replace it)."""
        return next(s for s in self.scenarios if s.name == name)

    def to_dict(self) -> dict[str, object]:
        """What identifies the plan on disk (resuming checks it)."""
        return {
            "scenarios": self.names,
            "fingerprints": self.fingerprints,
            "base_seed": self.base_seed,
        }


def scenario_fingerprint(scenario: Scenario) -> str:
    """What a replication's results depend on: the scenario less its seed and workers."""
    data = scenario.model_dump(mode="json")
    for key in ("seed", "workers", "checkpoint_every_windows", "checkpoint_every_minutes"):
        data.pop(key, None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def check_inputs(
    scenarios: Sequence[Scenario],
    replications: int,
    precision: float | None,
    max_replications: int | None,
) -> None:
    """Refuse what cannot make an ensemble, in one line (before anything is built or written)."""
    check_numbers(replications, precision, max_replications)
    check_scenarios(scenarios)


def check_numbers(replications: int, precision: float | None, max_replications: int | None) -> None:
    """Refuse a number of replications, a precision or a cap that cannot be."""
    if isinstance(replications, bool) or not isinstance(replications, int | np.integer):
        raise EnsembleError(f"--replications: expected a whole number, got {replications!r}")
    if replications < 1:
        raise EnsembleError(
            f"--replications: expected at least 1, got {replications}; an ensemble needs one "
            "run of each scenario (10 or more give useful intervals)"
        )
    if precision is not None and not 0.0 < precision < 1.0:
        raise EnsembleError(
            f"--precision: expected a share between 0 and 1 (0.05 is 5% of the mean), "
            f"got {precision:g}"
        )
    if max_replications is not None:
        if precision is None:
            raise EnsembleError(
                "--max-replications caps --precision; give --precision too, or drop it"
            )
        if max_replications < replications:
            raise EnsembleError(
                f"--max-replications: {max_replications} is fewer than --replications "
                f"{replications}; give at least {replications}"
            )


def check_scenarios(scenarios: Sequence[Scenario]) -> None:
    """Refuse scenarios that cannot be paired: the same name twice, other periods."""
    names = [s.name for s in scenarios]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise EnsembleError(
                f"scenario {name!r} is given twice; a comparison needs scenarios with different "
                "names (set `name:` in the scenario file)"
            )
        seen.add(name)
    base = scenarios[0]
    for other in scenarios[1:]:
        for key in ("days", "start", "window_hours", "sample_hours"):
            if getattr(other, key) != getattr(base, key):
                raise EnsembleError(
                    f"scenario {other.name!r}: its {key} ({getattr(other, key)}) differs from "
                    f"{base.name!r}'s ({getattr(base, key)}); paired comparisons need the same "
                    f"period; set {key} alike (--days sets it for all)"
                )


def check_same_network(networks: dict[str, Network]) -> dict[str, float]:
    """Refuse scenarios whose networks have other places: a paired comparison sets each place
    against itself. Facilities may differ (a hospital added or closed): demand points keep
    their streams by their place and first facility (docs/streams.md), so only the points of
    the towns whose facilities changed draw other episodes.

    Returns, for each scenario after the first, the share of the first's expected episodes
    drawn from a demand point it shares at the same rate (1.0: every arriving episode is
    paired; a point whose town's people are shared otherwise keeps its stream, not its rate).
    """
    names = list(networks)
    base = networks[names[0]]
    base_places = np.unique(base.places["place_id"].to_numpy())
    paired: dict[str, float] = {}
    for name in names[1:]:
        other = networks[name]
        places = np.unique(other.places["place_id"].to_numpy())
        if not np.array_equal(places, base_places):
            extra = np.setdiff1d(places, base_places)
            if not len(extra):
                extra = np.setdiff1d(base_places, places)
            raise EnsembleError(
                f"scenario {name!r}: its network has {len(places)} places and "
                f"{names[0]!r}'s {len(base_places)} (e.g. place {int(extra[0])} is in only one); "
                "a paired comparison needs the same network of places; compare scenarios on the "
                "same geography and place files"
            )
        base_weight = _expected_by_point(base)
        other_weight = _expected_by_point(other).reindex(base_weight.index)
        same = np.isclose(base_weight.to_numpy(), other_weight.to_numpy(), rtol=1e-9, atol=0.0)
        paired[name] = round(float(base_weight[same].sum() / max(base_weight.sum(), 1e-12)), 6)
    return paired


def _expected_by_point(network: Network) -> pd.Series:
    """Each demand point's expected episodes a year (people x rates), by its stream key."""
    d = network.demand
    weight = d["population"].to_numpy() * (
        d["hospital_rate_per_1000_year"].to_numpy() + d["minor_rate_per_1000_year"].to_numpy()
    )
    return pd.Series(weight, index=d["stream_key"].to_numpy())
