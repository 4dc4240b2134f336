"""The Ray backend: each shard is an actor; the driver routes messages between windows.

Each window the driver submits every shard's step, then gathers them once. Inboxes and
outboxes are Arrow tables (numeric columns travel through the object store without copies);
the outboxes are return values, owned by the driver, so no object outlives the actor that made
it (see NOTES-ray-gis.md on ownership).

Recovery: a shard actor that dies is restarted by Ray (``max_restarts``) and reloads the last
committed checkpoint; the retried ``step`` (or ``collect``, at the end) finds the shard behind
the requested window and says so, and the driver replays the windows since that checkpoint from
the inboxes it kept.
Messages are applied in a total order, so the replay reproduces the lost windows exactly and
the run ends with the same tables as a run that lost nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import ray

from regional import checkpoint, protocol
from regional.network import build_network, care_policy, demand_model, shard_specs
from regional.runner import peak_rss_mb
from regional.scenario import Scenario, ScenarioError, load_scenario
from regional.shard import ShardModel, ShardSpec

MAX_RESTARTS = 3
log = logging.getLogger("regional.cluster")


class Handover(NamedTuple):
    """What a shard actor hands over when the run ends."""

    tables: dict[str, pa.Buffer]  # Arrow IPC streams
    cpu_seconds: float
    peak_rss_mb: float
    node_id: str
    pid: int


@ray.remote(max_restarts=MAX_RESTARTS, max_task_retries=-1)
class ShardActor:
    """One shard model in a Ray worker process (its repr, with the shard id, prefixes logs)."""

    def __init__(
        self, shard: int, scenario: dict[str, Any], checkpoints: str | None, fingerprint: str
    ) -> None:
        began = time.process_time()
        resolved = load_scenario(scenario)
        # the network is built here from the scenario (deterministic, a fraction of a second),
        # so a restarted actor needs nothing from the object store
        spec = shard_specs(build_network(resolved))[shard]
        self.shard = shard
        root = Path(checkpoints) if checkpoints else None
        self.resume_at: tuple[int, protocol.Inbox] | None = None
        if root is not None and checkpoint.committed_window(root) is not None:
            self.model = ShardModel(
                spec, demand_model(resolved), care_policy(resolved), census=False
            )
            self.resume_at = checkpoint.load(self.model, root, fingerprint)
            print(f"restored from the checkpoint of window {self.resume_at[0]}", flush=True)
        else:
            self.model = ShardModel(spec, demand_model(resolved), care_policy(resolved))
        self.cpu = time.process_time() - began

    def __repr__(self) -> str:
        return f"ShardActor(shard={self.shard})"

    def board(self) -> pa.Table:
        """This shard's board rows now."""
        return self.model.board()

    def resume_point(self) -> tuple[int, protocol.Inbox]:
        """The window this shard steps next and its inbox, after a restore."""
        if self.resume_at is None:
            raise RuntimeError(f"shard {self.shard} was not restored from a checkpoint")
        return self.resume_at

    def step(
        self, window: int, inbox: protocol.Inbox, board: pa.Buffer | None = None
    ) -> protocol.Outbox | int:
        """Advance one window; if the shard is at another window, return that window.

        The board, the same for every shard, may come apart from the inbox (as an Arrow IPC
        stream): one object in the object store read by all shards instead of a copy in each
        inbox.
        """
        if self.model.window != window:
            return self.model.window
        if board is not None:
            inbox = dataclasses.replace(inbox, board=protocol.from_ipc(board))
        began = time.process_time()
        out = self.model.step_window(window, inbox)
        self.cpu += time.process_time() - began
        return out

    def checkpoint(self, window: int, inbox: protocol.Inbox, root: str, fingerprint: str) -> str:
        """Write this shard's state before ``window``."""
        began = time.process_time()
        path = checkpoint.save(self.model, window, inbox, Path(root), fingerprint)
        self.cpu += time.process_time() - began
        return str(path)

    def whereabouts(self) -> tuple[str, int, float]:
        """The node and process this shard runs in, and its peak memory so far in MB."""
        return ray.get_runtime_context().get_node_id(), os.getpid(), peak_rss_mb()

    def collect(self, window: int) -> Handover | int:
        """Close the shard once it has stepped every window before ``window``; hand over its
        tables, the CPU seconds it used, its peak memory and where its process runs. A shard
        restarted from a checkpoint is behind: return the window it is at instead."""
        if self.model.window != window:
            return self.model.window
        began = time.process_time()
        self.model.close()
        tables = {name: protocol.to_ipc(table) for name, table in self.model.hand_over()}
        self.cpu += time.process_time() - began
        node, pid, peak_mb = self.whereabouts()
        return Handover(tables, self.cpu, peak_mb, node, pid)


def _process_runs(pid: int) -> bool:
    """Whether a process of this machine still runs (a zombie has exited and freed its memory);
    without ``/proc`` (not Linux), say no."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _wait_until_gone(pid: int, timeout: float = 30.0) -> None:
    """Wait for a process of this machine to exit (see ``_process_runs``)."""
    deadline = time.monotonic() + timeout
    while _process_runs(pid):
        if time.monotonic() >= deadline:
            log.warning(
                "worker process %d still runs %.0f s after its actor was killed", pid, timeout
            )
            return
        time.sleep(0.02)


def _memory_available_mb() -> float:
    """Memory this machine can still give without swapping (``MemAvailable``); 0 if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def _stop_autoscaler_monitor() -> None:
    """Stop the autoscaler's monitor of a local instance before ``ray.shutdown``.

    A local instance has nothing to scale. ``ray.shutdown`` stops the GCS before the monitor,
    whose handler of SIGTERM then reports to the GCS that has gone, so Ray kills it only after
    a second's grace: 1.0 s of a 1.4 s shutdown. Killed first, it goes at once.
    """
    node = getattr(ray._private.worker, "_global_node", None)
    kill_monitor = getattr(node, "kill_monitor", None)
    if callable(kill_monitor):
        kill_monitor(check_alive=False)


def _reachable(address: str, timeout: float = 3.0) -> bool:
    """Whether a host:port answers (Ray itself waits minutes on a dead address)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return True  # not host:port (e.g. ray://...): let Ray judge it
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


class RayBackend:
    """Shards as Ray actors on a local instance (``workers`` CPUs) or a running cluster."""

    name = "ray"

    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        self.workers = workers
        self.address = address
        self.actors: list[Any] = []
        self.worker_cpu_seconds = 0.0
        self.worker_peak_rss_mb: list[float] = []
        self.recoveries = 0
        self._started_ray = False
        self._history: dict[int, list[protocol.Inbox]] = {}
        self._next_window = 0
        self._checkpoints: str | None = None
        self._fingerprint = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def connect(self) -> None:
        """Join the cluster of ``address``, or start a local instance of ``workers`` CPUs
        (``shutdown`` stops it again); one line naming the option when neither can be."""
        self._connect()

    def _connect(self) -> None:
        if ray.is_initialized():
            return
        address = self.address
        cpus = os.cpu_count() or 1
        if not address and self.workers > cpus:
            raise ScenarioError(
                f"--workers {self.workers}: this machine has {cpus} CPUs; ask for "
                f"at most {cpus}, or join a cluster with --address"
            )
        if address and address != "auto" and not _reachable(address):
            raise ScenarioError(
                f"--address {address}: no Ray cluster answers there; start one "
                "with `ray start --head` or give the right host:port"
            )
        try:
            if address:
                ray.init(address=address, log_to_driver=True)
            else:
                ray.init(
                    address="local",
                    num_cpus=self.workers,
                    include_dashboard=False,
                    log_to_driver=True,
                )
        except (ConnectionError, RuntimeError, ValueError) as error:
            text = str(error).strip().splitlines()
            first = text[0] if text else type(error).__name__
            raise ScenarioError(
                f"--address {address or 'local'}: cannot reach Ray ({first}); "
                "start a cluster with `ray start --head` or drop --address"
            ) from None
        self._started_ray = True

    def _spawn(self, specs: list[ShardSpec], scenario: Scenario) -> None:
        self._connect()
        available = ray.cluster_resources().get("CPU", 0.0)
        if available < self.workers:
            self.shutdown()
            raise ScenarioError(
                f"--workers {self.workers}: the Ray cluster has {available:g} "
                f"CPUs; ask for at most {int(available)} workers"
            )
        share = min(1.0, self.workers / len(specs))
        data = scenario.model_dump(mode="json")
        self.actors = [
            # spread shards over the nodes; fractional CPUs let the survivors of a lost node
            # host its shards again
            ShardActor.options(  # type: ignore[attr-defined]
                num_cpus=share, scheduling_strategy="SPREAD"
            ).remote(spec.shard, data, self._checkpoints, self._fingerprint)
            for spec in specs
        ]

    def start(
        self,
        specs: list[ShardSpec],
        scenario: Scenario,
        checkpoints: Path | None = None,
        fingerprint: str = "",
    ) -> list[pa.Table]:
        """Start one actor per shard, spread over the workers; return their board rows."""
        self._checkpoints = str(checkpoints) if checkpoints else None
        self._fingerprint = fingerprint
        self._spawn(specs, scenario)
        return list(ray.get([a.board.remote() for a in self.actors]))

    def restore(
        self, specs: list[ShardSpec], scenario: Scenario, root: Path, fingerprint: str
    ) -> tuple[int, list[protocol.Inbox]]:
        """Start the actors from the committed checkpoint; return its window and inboxes."""
        self._checkpoints = str(root)
        self._fingerprint = fingerprint
        self._spawn(specs, scenario)
        points = ray.get([a.resume_point.remote() for a in self.actors])
        self._next_window = points[0][0]
        return points[0][0], [inbox for _, inbox in points]

    # -- windows -----------------------------------------------------------------------------

    def checkpoint(
        self, window: int, inboxes: list[protocol.Inbox], root: Path, fingerprint: str
    ) -> None:
        """Every shard writes its state; windows before it need no replay any more."""
        ray.get(
            [
                a.checkpoint.remote(window, inbox, str(root), fingerprint)
                for a, inbox in zip(self.actors, inboxes, strict=True)
            ]
        )
        self._history = {w: v for w, v in self._history.items() if w >= window}

    def step(self, window: int, inboxes: list[protocol.Inbox]) -> list[protocol.Outbox]:
        """Submit every shard's step, then gather once; replay a shard that was restarted."""
        self._history[window] = inboxes
        self._next_window = window + 1
        board = ray.put(protocol.to_ipc(inboxes[0].board))
        empty = protocol.empty("board")
        refs = [
            a.step.remote(window, dataclasses.replace(inbox, board=empty), board)
            for a, inbox in zip(self.actors, inboxes, strict=True)
        ]
        results = ray.get(refs)
        outboxes = []
        for shard, result in enumerate(results):
            while isinstance(result, int):
                result = self._replay(shard, result, window)
            outboxes.append(result)
        return outboxes

    def _replay(
        self, shard: int, behind: int, window: int, actor: Any = None
    ) -> protocol.Outbox | int:
        """Bring a restarted shard (its actor, by default the shard's in ``actors``) from
        ``behind`` up to ``window`` again."""
        self.recoveries += 1
        log.warning(
            "shard %d restarted at window %d; replaying to window %d", shard, behind, window
        )
        actor = actor if actor is not None else self.actors[shard]
        for w in range(behind, window):
            if w not in self._history:
                raise RuntimeError(
                    f"shard {shard} restarted at window {behind}, but the inboxes "
                    f"since then were not kept"
                )
            replayed = ray.get(actor.step.remote(w, self._history[w][shard]))
            if isinstance(replayed, int):
                return replayed  # restarted again during the replay
        result: protocol.Outbox | int = ray.get(
            actor.step.remote(window, self._history[window][shard])
        )
        return result

    def collect(self) -> list[dict[str, pa.Table]]:
        """Gather each shard's tables and CPU time.

        A worker about doubles its memory while it turns its logs into tables. Together, the
        workers add the sum of their memory at once, one at a time only the largest. So they
        build their tables together when every worker runs on this machine and the difference
        is under an eighth of the memory it still has available (Brazil's two workers of under
        1 GB each, with 20 GB available); otherwise one at a time (latam's two of about
        3 GB: together its peak in use went from 9.7 to 12.5 GiB), each let go once its tables
        are in the object store and, on this machine, waited for until its process is gone
        (killing an actor does not wait), so that the next one does not build its tables
        beside it.
        """
        here = ray.get_runtime_context().get_node_id()
        places = ray.get([a.whereabouts.remote() for a in self.actors])
        local = all(node == here for node, _, _ in places)
        memory = [rss for _, _, rss in places]
        extra_mb = sum(memory) - max(memory, default=0.0)
        gathered: list[Handover] = []
        if local and extra_mb <= _memory_available_mb() / 8.0:
            results = ray.get([a.collect.remote(self._next_window) for a in self.actors])
            gathered = [
                self._hand_over(shard, actor, result)
                for shard, (actor, result) in enumerate(zip(self.actors, results, strict=True))
            ]
            self._let_go(len(self.actors), here, gathered)
        while self.actors:
            shard = len(gathered)
            actor = self.actors[0]
            handover = self._hand_over(
                shard, actor, ray.get(actor.collect.remote(self._next_window))
            )
            gathered.append(handover)
            self._let_go(1, here, [handover])
        self.worker_cpu_seconds = sum(h.cpu_seconds for h in gathered)
        self.worker_peak_rss_mb = [round(h.peak_rss_mb, 1) for h in gathered]
        return [
            {name: protocol.from_ipc(stream) for name, stream in h.tables.items()} for h in gathered
        ]

    def _hand_over(self, shard: int, actor: Any, result: Handover | int) -> Handover:
        """The shard's handover; a shard restarted since its last window (the ``int`` it
        answered) replays the windows since its checkpoint first."""
        while isinstance(result, int):
            if result > self._next_window:
                raise RuntimeError(
                    f"shard {shard} is at window {result}, past the run's {self._next_window}"
                )
            if result < self._next_window:
                self._replay(shard, result, self._next_window - 1, actor)
            result = ray.get(actor.collect.remote(self._next_window))
        return result

    def _let_go(self, count: int, here: str, handovers: list[Handover]) -> None:
        """Kill the first ``count`` actors, which handed over ``handovers``, and wait for the
        processes of those on this machine to exit."""
        for actor in self.actors[:count]:
            ray.kill(actor, no_restart=True)
        del self.actors[:count]
        for handover in handovers:
            if handover.node_id == here:
                _wait_until_gone(handover.pid)

    def shutdown(self) -> None:
        """Stop the actors, and Ray itself if this backend started it."""
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []
        self._history = {}
        if self._started_ray:
            _stop_autoscaler_monitor()
            ray.shutdown()
            self._started_ray = False
