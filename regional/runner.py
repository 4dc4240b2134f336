"""Running a scenario: shards advanced together window by window, on a backend.

The coordinator loop is the same for every backend:

1. build the network and one shard specification per shard;
2. start the shards on the backend and read the first capacity board (or restore every shard
   from the last committed checkpoint, with the inboxes it was about to receive);
3. for each window: when a checkpoint is due (every ``checkpoint_every_windows`` windows, or
   by default ``checkpoint_every_minutes`` of wall time after the last one), let every shard
   write its state and commit the window; step every shard with its inbox; route the outboxes
   (``protocol.route``) into the next window's inboxes;
4. close the shards, gather their results, and add the patients still in transit.

``SerialBackend`` runs all shards in this process; ``cluster.backend.RayBackend`` runs them as
Ray actors. Both see the same messages in the same order, so they give the same tables.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from regional import checkpoint, protocol
from regional.network import Network, build_network, care_policy, demand_model, shard_specs
from regional.results import RunResult, assemble_results
from regional.scenario import Scenario
from regional.shard import ShardModel, ShardSpec


class Backend(Protocol):
    """Where shards live and how they are stepped."""

    name: str
    workers: int

    def start(
        self,
        specs: list[ShardSpec],
        scenario: Scenario,
        checkpoints: Path | None = None,
        fingerprint: str = "",
    ) -> list[pa.Table]:
        """Build the shards; return each shard's initial board rows."""

    def restore(
        self, specs: list[ShardSpec], scenario: Scenario, root: Path, fingerprint: str
    ) -> tuple[int, list[protocol.Inbox]]:
        """Build the shards from the last committed checkpoint; return its window and inboxes."""

    def checkpoint(
        self, window: int, inboxes: list[protocol.Inbox], root: Path, fingerprint: str
    ) -> None:
        """Let every shard write its state before ``window``."""

    def step(self, window: int, inboxes: list[protocol.Inbox]) -> list[protocol.Outbox]:
        """Advance every shard by one window."""

    def collect(self) -> list[dict[str, pa.Table]]:
        """Close the shards and return their result tables."""

    def shutdown(self) -> None:
        """Release whatever the backend holds."""


class SerialBackend:
    """All shards in this process, stepped one after the other: the reference backend."""

    name = "serial"
    workers = 1

    def __init__(self) -> None:
        self.shards: list[ShardModel] = []
        self.census_seconds = 0.0

    def start(
        self,
        specs: list[ShardSpec],
        scenario: Scenario,
        checkpoints: Path | None = None,
        fingerprint: str = "",
    ) -> list[pa.Table]:
        """Build every shard model here."""
        demand = demand_model(scenario)
        policy = care_policy(scenario)
        self.shards = [ShardModel(spec, demand, policy) for spec in specs]
        self.census_seconds = sum(shard.census_seconds for shard in self.shards)
        return [shard.board() for shard in self.shards]

    def restore(
        self, specs: list[ShardSpec], scenario: Scenario, root: Path, fingerprint: str
    ) -> tuple[int, list[protocol.Inbox]]:
        """Rebuild each shard from the committed checkpoint."""
        demand = demand_model(scenario)
        policy = care_policy(scenario)
        self.shards = [ShardModel(spec, demand, policy, census=False) for spec in specs]
        loaded = [checkpoint.load(shard, root, fingerprint) for shard in self.shards]
        return loaded[0][0], [inbox for _, inbox in loaded]

    def checkpoint(
        self, window: int, inboxes: list[protocol.Inbox], root: Path, fingerprint: str
    ) -> None:
        """Write each shard's state."""
        for shard, inbox in zip(self.shards, inboxes, strict=True):
            checkpoint.save(shard, window, inbox, root, fingerprint)

    def step(self, window: int, inboxes: list[protocol.Inbox]) -> list[protocol.Outbox]:
        """Step each shard in turn."""
        return [
            shard.step_window(window, inbox)
            for shard, inbox in zip(self.shards, inboxes, strict=True)
        ]

    def collect(self) -> list[dict[str, pa.Table]]:
        """Close each shard and take its tables."""
        out = []
        for shard in self.shards:
            shard.close()
            out.append(dict(shard.hand_over()))
        return out

    def shutdown(self) -> None:
        """Drop the shard models and hand what their windows froze back to the collector.

        The shard models themselves hold reference cycles (agents and their model), so a run
        that ends must unfreeze them, or a process that runs many scenarios would keep them all.
        """
        for shard in self.shards:
            shard.release()
        self.shards = []
        gc.unfreeze()


@dataclass
class Progress:
    """What the coordinator knows after a window, for progress bars."""

    window: int
    windows: int
    simulated_hours: float
    patients: int
    live: int
    in_transit: int
    wall_seconds: float
    stats: list[protocol.WindowStats] = field(default_factory=list)
    # the capacity board after the window (free staffed beds and queues of every facility),
    # what a live view draws before the run's tables exist
    board: pa.Table | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass
class CheckpointCadence:
    """When the coordinator checkpoints: every ``windows`` windows (0: never) or, without
    them, once ``seconds`` of wall time have passed since the last checkpoint."""

    windows: int | None
    seconds: float
    last: float = field(default_factory=time.perf_counter)

    @classmethod
    def of(cls, scenario: Scenario) -> CheckpointCadence:
        """The cadence a scenario asks for, its clock started now."""
        return cls(scenario.checkpoint_every_windows, scenario.checkpoint_every_minutes * 60.0)

    def due(self, window: int) -> bool:
        """Whether to checkpoint before stepping ``window``."""
        if self.windows is not None:
            return self.windows > 0 and window % self.windows == 0
        return time.perf_counter() - self.last >= self.seconds

    def written(self) -> None:
        """Restart the clock after a checkpoint."""
        self.last = time.perf_counter()


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports it in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def fingerprint(scenario: Scenario) -> str:
    """What a checkpoint must match to be resumed: the scenario less what cannot change its
    results (the worker count and how often it checkpoints)."""
    data = scenario.model_dump(mode="json")
    for key in ("workers", "checkpoint_every_windows", "checkpoint_every_minutes"):
        data.pop(key, None)
    data["protocol_version"] = protocol.PROTOCOL_VERSION
    data["checkpoint_schema_version"] = checkpoint.CHECKPOINT_SCHEMA_VERSION
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_scenario(
    scenario: Scenario,
    backend: Backend | None = None,
    progress: ProgressCallback | None = None,
    network: Network | None = None,
    checkpoints: Path | None = None,
    resume: bool = False,
    warn: Callable[[str], None] | None = None,
) -> RunResult:
    """Run a scenario to its end and return its results (see the module doc for the loop).

    A checkpoint that the disk refuses (full, read-only, no permission) is not a failure: the
    run goes on from the last good checkpoint, which stays committed, and ``warn`` says so.

    Args:
        scenario: what to run.
        backend: where the shards live (default: this process).
        progress: called after every window.
        network: a network already built for the scenario.
        checkpoints: folder for checkpoints (none are written without it).
        resume: continue from the last committed checkpoint in ``checkpoints``.
        warn: told, in one line, of a checkpoint that could not be written.
    """
    began_wall = time.perf_counter()
    began_cpu = time.process_time()
    backend = backend or SerialBackend()
    network = network or build_network(scenario)
    built = time.perf_counter()
    specifying = time.process_time()
    specs = shard_specs(network)
    specs_cpu = time.process_time() - specifying
    shard_of_facility = network.shard_of_facility
    n = scenario.shards
    compute = 0.0
    exchange = 0.0
    cadence = CheckpointCadence.of(scenario) if checkpoints is not None else None
    refusing = False  # the disk refused the last checkpoint
    stamp = fingerprint(scenario)
    windows = math.ceil(scenario.simulated_hours / scenario.window_hours - 1e-9)
    try:
        first = 0
        if (
            resume
            and checkpoints is not None
            and checkpoint.committed_window(checkpoints) is not None
        ):
            first, inboxes = backend.restore(specs, scenario, checkpoints, stamp)
        else:
            boards = backend.start(specs, scenario, checkpoints, stamp)
            board = pa.concat_tables(boards).sort_by("facility_id")
            inboxes = [protocol.Inbox(board=board) for _ in range(n)]
        started = time.perf_counter()
        patients = 0
        events = 0
        for window in range(first, windows):
            if cadence is not None and window > first and cadence.due(window):
                assert checkpoints is not None
                refused = _checkpoint(backend, window, inboxes, checkpoints, stamp, n)
                if refused is not None and not refusing:  # said once, not every checkpoint
                    _say(warn, refused + " (later checkpoints are still tried)")
                elif refused is None and refusing:
                    _say(warn, f"{checkpoints}: the checkpoint of window {window} fits again")
                refusing = refused is not None
                cadence.written()
            t0 = time.perf_counter()
            outboxes = backend.step(window, inboxes)
            t1 = time.perf_counter()
            inboxes = protocol.route(outboxes, shard_of_facility, n)
            t2 = time.perf_counter()
            stats = [o.stats for o in outboxes]
            # shards sharing a CPU run one after the other: their compute is the sum over the
            # CPUs' busiest share, and whatever remains of the window's wall time is exchange
            # and coordination
            window_compute = max(
                max(s.compute_seconds for s in stats),
                sum(s.compute_seconds for s in stats) / max(1, min(backend.workers, n)),
            )
            compute += window_compute
            exchange += (t1 - t0 - window_compute) + (t2 - t1)
            patients += sum(s.new_patients for s in stats)
            events += sum(s.events for s in stats)
            if progress is not None:
                progress(
                    Progress(
                        window=window + 1,
                        windows=windows,
                        simulated_hours=min(
                            (window + 1) * scenario.window_hours, scenario.simulated_hours
                        ),
                        patients=patients,
                        live=sum(s.live for s in stats),
                        in_transit=sum(i.transfers.num_rows for i in inboxes),
                        wall_seconds=time.perf_counter() - began_wall,
                        stats=stats,
                        board=inboxes[0].board if inboxes else None,
                    )
                )
        in_transit = pa.concat_tables([i.transfers for i in inboxes])
        shard_tables = backend.collect()
    finally:
        backend.shutdown()
    ended = time.perf_counter()
    timings = {
        "wall_seconds": round(ended - began_wall, 3),
        "cpu_seconds": round(time.process_time() - began_cpu + _worker_cpu(backend), 3),
        "build_seconds": round(built - began_wall, 3),
        "start_seconds": round(started - built, 3),
        # of the start, CPU: the shards' specifications (the steady start's offered loads
        # among them) and, where the shards are in this process, drawing the census
        "specs_seconds": round(specs_cpu, 3),
        "census_seconds": round(float(getattr(backend, "census_seconds", 0.0)), 3),
        "simulate_seconds": round(ended - started, 3),
        "shard_compute_seconds": round(compute, 3),
        "exchange_seconds": round(max(exchange, 0.0), 3),
        "windows": windows,
        "events": events,
        "resumed_from_window": first if first else None,
        "recovered_shards": int(getattr(backend, "recoveries", 0)),
        "driver_peak_rss_mb": round(peak_rss_mb(), 1),
        "worker_peak_rss_mb": list(getattr(backend, "worker_peak_rss_mb", [])),
    }
    return assemble_results(
        network, shard_tables, in_transit, timings, backend.name, backend.workers
    )


def _checkpoint(
    backend: Backend,
    window: int,
    inboxes: list[protocol.Inbox],
    root: Path,
    stamp: str,
    shards: int,
) -> str | None:
    """Write and commit a checkpoint of ``window``; when the disk refuses it, keep the last
    committed one (an uncommitted window is never resumed from) and return what to say."""
    from regional.storage import StorageError, guarded

    try:
        with guarded(root, f"the checkpoint of window {window}"):
            backend.checkpoint(window, inboxes, root, stamp)
            checkpoint.commit(root, window, shards)
    except StorageError as error:
        for shard in range(shards):  # what did fit of this window frees its space again
            shutil.rmtree(checkpoint.shard_dir(root, shard) / f"window-{window:07d}", True)
        last = checkpoint.committed_window(root)
        kept = (
            f"the run goes on; --resume would start from window {last}"
            if last is not None
            else "the run goes on without a checkpoint"
        )
        return f"{error}; {kept}"
    return None


def _say(warn: Callable[[str], None] | None, message: str) -> None:
    if warn is None:
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=3)
    else:
        warn(message)


def _worker_cpu(backend: Backend) -> float:
    """CPU seconds spent in worker processes (none for the serial backend)."""
    return float(getattr(backend, "worker_cpu_seconds", 0.0))
