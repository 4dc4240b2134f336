"""The cost of one round of coordination, X(S), for SCALING.md: ``python -m benchmarks.round_cost``.

S stub shard actors that do no model work receive a Brazil-sized capacity board (6,400 rows)
and send their rows of it back, through the same calls, Arrow IPC streams and
``protocol.route`` as the real backend; the median wall time of a round is printed per S.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time

import numpy as np
import pyarrow as pa
import ray

from regional import protocol


@ray.remote(num_cpus=0)
class StubShard:
    """A shard that owns every S-th hospital of the board and does nothing in a window."""

    def __init__(self, shard: int, shards: int, hospitals: int) -> None:
        ids = np.arange(shard, hospitals, shards, dtype=np.int32)
        zeros = pa.array(np.zeros(len(ids), np.int32))
        self.board = pa.Table.from_arrays(
            [pa.array(ids), zeros, zeros, zeros, zeros], schema=protocol.BOARD_SCHEMA
        )
        self.shard = shard

    def step(self, window: int, inbox: protocol.Inbox, board: pa.Buffer) -> protocol.Outbox:
        """Read the board, send this shard's rows of it."""
        protocol.from_ipc(board)
        return protocol.Outbox(
            protocol.empty("transfers"),
            protocol.empty("referrals"),
            protocol.empty("answers"),
            self.board,
            protocol.WindowStats(self.shard, window),
        )


def round_ms(shards: int, hospitals: int, rounds: int) -> float:
    """Median milliseconds of a round (submit, gather, route) with ``shards`` stub actors."""
    actors = [StubShard.remote(s, shards, hospitals) for s in range(shards)]  # type: ignore[attr-defined]
    shard_of = np.arange(hospitals) % shards
    empty = protocol.empty("board")
    inboxes = [protocol.Inbox(board=empty) for _ in range(shards)]
    times = []
    for window in range(rounds + 10):
        began = time.perf_counter()
        board = ray.put(protocol.to_ipc(inboxes[0].board))
        outboxes = ray.get(
            [
                a.step.remote(window, dataclasses.replace(inbox, board=empty), board)
                for a, inbox in zip(actors, inboxes, strict=True)
            ]
        )
        inboxes = protocol.route(outboxes, shard_of, shards)
        times.append(time.perf_counter() - began)
    for actor in actors:
        ray.kill(actor)
    return statistics.median(times[10:]) * 1000.0


def main(argv: list[str] | None = None) -> int:
    """Print the round's cost for each shard count."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.round_cost")
    parser.add_argument("--shards", default="1,2,4,8,16", help="comma-separated shard counts")
    parser.add_argument("--hospitals", type=int, default=6_400, help="rows of the board")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)
    ray.init(address="local", include_dashboard=False, log_to_driver=False)
    try:
        for shards in (int(s) for s in args.shards.split(",") if s):
            print(f"{shards} shards: {round_ms(shards, args.hospitals, args.rounds):.1f} ms")
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
