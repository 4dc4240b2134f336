"""Messages cross processes as Arrow IPC streams and come back exactly as they left."""

from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa

from regional import protocol


def _board(n: int) -> pa.Table:
    ids = pa.array(np.arange(n), pa.int32())
    return pa.Table.from_arrays([ids, ids, ids, ids, ids], schema=protocol.BOARD_SCHEMA)


def _answers(n: int) -> pa.Table:
    return protocol.table_from_columns(
        "answers",
        {
            "patient_id": list(range(n)),
            "clinic": [7] * n,
            "hub": [3] * n,
            "request_time": [0.5] * n,
            "answer_time": [1.5] * n,
            "decision": ["transfer", "treat_locally"] * (n // 2),
        },
    )


def test_inbox_and_outbox_survive_pickling_with_schemas_and_rows() -> None:
    inbox = protocol.Inbox(board=_board(10), answers=_answers(4))
    back = pickle.loads(pickle.dumps(inbox, protocol=5))
    for part in ("board", "transfers", "referrals", "answers"):
        assert getattr(back, part).equals(getattr(inbox, part), check_metadata=True)
    stats = protocol.WindowStats(shard=1, window=2, events=9, compute_seconds=0.25)
    outbox = protocol.Outbox(
        protocol.empty("transfers"), protocol.empty("referrals"), _answers(2), _board(3), stats
    )
    back_out = pickle.loads(pickle.dumps(outbox, protocol=5))
    assert back_out.answers.equals(outbox.answers, check_metadata=True)
    assert back_out.board.equals(outbox.board, check_metadata=True)
    assert back_out.transfers.schema == protocol.TRANSFER_SCHEMA
    assert back_out.stats == stats


def test_a_slice_carries_only_its_own_rows() -> None:
    big = _board(100_000)
    piece = big.slice(10, 5)
    assert protocol.from_ipc(protocol.to_ipc(piece)).equals(piece)
    assert protocol.to_ipc(piece).size < protocol.to_ipc(big).size / 100
