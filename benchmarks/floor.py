"""The floor: a bare ``heapq`` loop replaying a number of events with no model work at all."""

from __future__ import annotations

import heapq
import random
import time


def _noop(_: int) -> None:
    return None


def replay(events: int, pending: int = 20_000, seed: int = 0) -> dict[str, float]:
    """Push and pop ``events`` events through a heap of ``pending`` (a shard's calendar size),
    calling a trivial handler for each; return CPU seconds and events per CPU-second."""
    rng = random.Random(seed)
    heap = [(rng.random() * 24.0, 0, i) for i in range(pending)]
    heapq.heapify(heap)
    began = time.process_time()
    now = 0.0
    for i in range(events):
        t, kind, ident = heapq.heappop(heap)
        now = t
        _noop(ident)
        heapq.heappush(heap, (now + rng.expovariate(1.0 / 24.0), kind, pending + i))
    cpu = time.process_time() - began
    return {"events": events, "cpu_seconds": cpu, "events_per_cpu_second": events / cpu}
