"""Monte Carlo ensembles: replications of scenarios with common random numbers.

``run_ensemble`` runs every scenario's replications (replication r of every scenario with the
same seed, so comparisons are paired), serially or as Ray tasks, into one partitioned Parquet
dataset; ``EnsembleResult`` holds it with intervals, paired comparisons and bottleneck
rankings. Modules: ``plan`` (the grid and its checks), ``execute`` (where replications run),
``dataset`` (the Parquet partitions), ``stats`` (intervals and comparisons), ``charts``
(PNGs), ``driver`` (all of it in order), ``command`` (``regional ensemble``).

The names below are imported when first asked for, so that the command line can check its
numbers before the network code is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regional.ensembles.driver import run_ensemble
    from regional.ensembles.plan import EnsembleError, replication_seed
    from regional.ensembles.result import EnsembleResult, read_ensemble

__all__ = ["EnsembleError", "EnsembleResult", "read_ensemble", "replication_seed", "run_ensemble"]
_HOMES = {
    "run_ensemble": "driver",
    "EnsembleError": "plan",
    "replication_seed": "plan",
    "EnsembleResult": "result",
    "read_ensemble": "result",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(f"regional.ensembles.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'regional.ensembles' has no attribute {name!r}")
