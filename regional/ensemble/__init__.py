"""Monte Carlo ensembles: replications of scenarios with common random numbers.

``run_ensemble`` runs every scenario's replications (replication r of every scenario with the
same seed, so comparisons are paired), serially or as Ray tasks, into one partitioned Parquet
dataset; ``EnsembleResult`` holds it with intervals, paired comparisons and bottleneck
rankings. Modules: ``plan`` (the grid and its checks), ``execute`` (where replications run),
``dataset`` (the Parquet partitions), ``stats`` (intervals and comparisons), ``charts``
(PNGs), ``driver`` (all of it in order).
"""

from __future__ import annotations

from regional.ensemble.driver import run_ensemble
from regional.ensemble.plan import EnsembleError, replication_seed
from regional.ensemble.result import EnsembleResult, read_ensemble

__all__ = ["EnsembleError", "EnsembleResult", "read_ensemble", "replication_seed", "run_ensemble"]
