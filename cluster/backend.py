"""The Ray backend: each shard is an actor; the driver routes messages between windows.

Each window the driver submits every shard's step, then gathers them once. Inboxes are Arrow
tables (numeric columns travel through the object store without copies); the returned
outboxes belong to the driver, so no object outlives the actor that made it.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pyarrow as pa
import ray

from regional import protocol
from regional.network import care_policy, demand_model
from regional.scenario import Scenario, ScenarioError, load_scenario
from regional.shard import ShardModel, ShardSpec


@ray.remote
class ShardActor:
    """One shard model in a Ray worker process."""

    def __init__(self, spec: ShardSpec, scenario: dict[str, Any]) -> None:
        began = time.process_time()
        resolved = load_scenario(scenario)
        self.model = ShardModel(spec, demand_model(resolved), care_policy(resolved))
        self.cpu = time.process_time() - began
        self.shard = spec.shard

    def board(self) -> pa.Table:
        """This shard's initial board rows."""
        return self.model.board()

    def step(self, window: int, inbox: protocol.Inbox) -> protocol.Outbox:
        """Advance one window."""
        began = time.process_time()
        out = self.model.step_window(window, inbox)
        self.cpu += time.process_time() - began
        return out

    def collect(self) -> tuple[dict[str, pa.Table], float, int]:
        """Close the shard; return its tables, the CPU seconds it used and its process id."""
        began = time.process_time()
        self.model.close()
        tables = self.model.results()
        self.cpu += time.process_time() - began
        return tables, self.cpu, os.getpid()


class RayBackend:
    """Shards as Ray actors on a local instance (``workers`` CPUs) or a running cluster."""

    name = "ray"

    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        self.workers = workers
        self.address = address
        self.actors: list[Any] = []
        self.worker_cpu_seconds = 0.0
        self._started_ray = False

    def _connect(self) -> None:
        if ray.is_initialized():
            return
        try:
            if self.address:
                ray.init(address=self.address, log_to_driver=True)
            else:
                ray.init(
                    address="local",
                    num_cpus=self.workers,
                    include_dashboard=False,
                    log_to_driver=True,
                )
        except (ConnectionError, RuntimeError, ValueError) as error:
            where = self.address or "a local instance"
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise ScenarioError(
                f"--address {where}: cannot reach Ray ({first}); start a "
                "cluster with `ray start --head` or drop --address"
            ) from None
        self._started_ray = True

    def start(self, specs: list[ShardSpec], scenario: Scenario) -> list[pa.Table]:
        """Start one actor per shard, spread over the workers."""
        self._connect()
        available = ray.cluster_resources().get("CPU", 0)
        if available < min(self.workers, 1):
            raise ScenarioError(
                f"--workers {self.workers}: the cluster has {available:g} CPUs; "
                "ask for fewer workers"
            )
        share = min(1.0, self.workers / len(specs))
        data = scenario.model_dump(mode="json")
        self.actors = [
            ShardActor.options(num_cpus=share, name=None).remote(spec, data)  # type: ignore[attr-defined]
            for spec in specs
        ]
        return list(ray.get([a.board.remote() for a in self.actors]))

    def step(self, window: int, inboxes: list[protocol.Inbox]) -> list[protocol.Outbox]:
        """Submit every shard's step, then gather once."""
        refs = [a.step.remote(window, inbox) for a, inbox in zip(self.actors, inboxes, strict=True)]
        return list(ray.get(refs))

    def collect(self) -> list[dict[str, pa.Table]]:
        """Gather each shard's tables and CPU time."""
        gathered = ray.get([a.collect.remote() for a in self.actors])
        self.worker_cpu_seconds = sum(cpu for _, cpu, _ in gathered)
        return [tables for tables, _, _ in gathered]

    def shutdown(self) -> None:
        """Stop the actors, and Ray itself if this backend started it."""
        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False
