"""Running the replications of an ensemble: serially here, or as Ray tasks.

Each replication is ``regional.runner.run_scenario`` on the serial backend, with the network
built once for its scenario (``build_network``) and the replication's seed. The network does
not depend on the seed, except for the scenario it carries (each replication puts its own)
and a stochastic epidemic's admissions (integrated again per replication, see ``seeded``).
With Ray, each network is put once in the object store and every replication of that scenario
is a task that reads it; Ray starts once per ensemble. Both ways run the same function on the
same inputs, so they give the same tables.

A replication that raises is run once more; if it fails again it is reported by name
(``Failure``) and the others go on. The driver commits each finished replication as it comes
(``dataset.commit``), so an interrupted ensemble keeps every replication that finished.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from regional.ensembles.dataset import key_tables
from regional.ensembles.plan import Cell, Plan
from regional.network import Network
from regional.scenario import Scenario

ATTEMPTS = 2  # a failing replication is tried once more


@dataclass
class Finished:
    """A replication that ran: its key tables and timings."""

    cell: Cell
    tables: dict[str, pa.Table]
    timings: dict[str, float]


@dataclass
class Failure:
    """A replication that failed twice: which, and the last error in one line."""

    cell: Cell
    error: str

    def __str__(self) -> str:
        return f"{self.cell.label} (seed {self.cell.seed}): {self.error}"


Done = Callable[[Finished | Failure], None]


def seeded(network: Network, scenario: Scenario, seed: int) -> tuple[Scenario, Network]:
    """The scenario and its network with a replication's seed.

    Places, facilities and demand points do not depend on the seed; a stochastic epidemic
    (``epidemic.stochastic``, a chain binomial drawn from the seed) does, so its expected
    admissions are integrated again for the replication's seed, from the shared network's
    places and demand points, exactly as ``build_network`` would.
    """
    scn = scenario.model_copy(update={"seed": int(seed)})
    net = dataclasses.replace(network, scenario=scn)
    if depends_on_seed(scn):
        from regional.epidemic.network import epidemic_admissions

        net.epidemic_per_point, net.epidemic = epidemic_admissions(scn, net.places, net.demand)
    return scn, net


def depends_on_seed(scenario: Scenario) -> bool:
    """Whether the network built for a scenario changes with its seed."""
    return scenario.epidemic is not None and scenario.epidemic.stochastic


def run_replication(scenario: Scenario, network: Network, cell: Cell) -> Finished:
    """One replication: the scenario run with the cell's seed, on the serial backend."""
    from regional.runner import run_scenario

    scn, net = seeded(network, scenario, cell.seed)
    began = time.perf_counter()
    result = run_scenario(scn, network=net)
    timings = {
        "wall_seconds": round(time.perf_counter() - began, 3),
        "simulate_seconds": float(result.manifest["simulate_seconds"]),
        "cpu_seconds": float(result.manifest["cpu_seconds"]),
    }
    return Finished(cell, key_tables(result, cell), timings)


def error_line(error: BaseException) -> str:
    """An error in one line: its type and first line (Ray's wrapper unwrapped)."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        error = cause
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class SerialExecutor:
    """Replications one after the other in this process."""

    name = "serial"
    workers = 1

    def __init__(self, plan: Plan, networks: dict[str, Network]) -> None:
        self.plan = plan
        self.networks = networks
        self.start_seconds = 0.0

    def run(self, cells: Iterable[Cell], done: Done) -> None:
        """Run every cell, telling ``done`` of each as it ends."""
        for cell in cells:
            scenario = self.plan.scenario(cell.scenario)
            last = ""
            for _ in range(ATTEMPTS):
                try:
                    finished = run_replication(scenario, self.networks[cell.scenario], cell)
                except Exception as error:  # reported by name below; the others go on
                    last = error_line(error)
                    continue
                done(finished)
                break
            else:
                done(Failure(cell, last))

    def close(self) -> None:
        """Nothing to release."""


def _remote_replication(scenario: Scenario, network: Network, cell: Cell) -> Finished:
    """The task body: the same function the serial executor calls."""
    return run_replication(scenario, network, cell)


class RayExecutor:
    """Replications as Ray tasks of one CPU each, on a local instance or a cluster."""

    name = "ray"

    def __init__(
        self,
        plan: Plan,
        networks: dict[str, Network],
        workers: int,
        address: str | None = None,
    ) -> None:
        import ray

        from cluster.backend import RayBackend

        began = time.perf_counter()
        self.plan = plan
        self.workers = workers
        self.session = RayBackend(workers=workers, address=address)
        self.session.connect()
        self.task = ray.remote(num_cpus=1, max_retries=0)(_remote_replication)
        self.refs = {name: ray.put(net) for name, net in networks.items()}
        self.start_seconds = round(time.perf_counter() - began, 3)

    def run(self, cells: Iterable[Cell], done: Done) -> None:
        """Submit every cell (at most a few per worker at a time), collect them as they end."""
        import ray

        queue = list(cells)
        pending: dict[Any, tuple[Cell, int]] = {}
        limit = max(1, 2 * self.workers)

        def submit(cell: Cell, attempt: int) -> None:
            scenario = self.plan.scenario(cell.scenario)
            ref = self.task.remote(scenario, self.refs[cell.scenario], cell)
            pending[ref] = (cell, attempt)

        while queue or pending:
            while queue and len(pending) < limit:
                submit(queue.pop(0), 1)
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                cell, attempt = pending.pop(ref)
                try:
                    done(ray.get(ref))
                except Exception as error:  # retried once, then reported by name
                    if attempt < ATTEMPTS:
                        submit(cell, attempt + 1)
                    else:
                        done(Failure(cell, error_line(error)))

    def close(self) -> None:
        """Stop Ray if this ensemble started it."""
        self.session.shutdown()


def executor(
    plan: Plan, networks: dict[str, Network], workers: int, address: str | None
) -> SerialExecutor | RayExecutor:
    """Serial on one worker without a cluster address; Ray otherwise."""
    if workers <= 1 and address is None:
        return SerialExecutor(plan, networks)
    return RayExecutor(plan, networks, workers, address)
