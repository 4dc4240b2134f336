"""The exchange protocol between shards: Arrow schemas, inboxes, outboxes and their total order.

Everything that crosses facilities is a message, also inside one shard: transfers (a patient in
an ambulance, with everything that travels with them), teleconsult requests and answers, and the
capacity board. Messages produced in a window are delivered at its end and applied in a total
order (time, then stable patient id), never in arrival order, so the result does not depend on
how facilities are grouped into shards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PROTOCOL_VERSION = 2


class ProtocolError(ValueError):
    """A message table that does not match its declared schema."""


def _schema(name: str, fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema(
        fields,
        metadata={"regional.table": name, "regional.protocol_version": str(PROTOCOL_VERSION)},
    )


PATIENT_FIELDS: list[tuple[str, pa.DataType]] = [
    ("patient_id", pa.int64()),
    ("origin_place", pa.int64()),
    ("condition", pa.int8()),
    ("acuity", pa.int8()),
    ("need", pa.int8()),
    ("ventilator", pa.bool_()),
    ("los_hours", pa.float64()),
    ("escalate_after_hours", pa.float64()),
    ("los_icu_after_hours", pa.float64()),
    ("death_clock", pa.float64()),
    ("u_tele", pa.float64()),
    ("onset_time", pa.float64()),
    ("arrival_time", pa.float64()),
    ("first_facility", pa.int32()),
    ("waited_hours", pa.float64()),
    ("admit_time", pa.float64()),
    ("icu_time", pa.float64()),
    ("n_transfers", pa.int16()),
    ("teleconsulted", pa.bool_()),
    ("escalated", pa.bool_()),
    ("vent_on_escalation", pa.bool_()),
    ("los_stepdown_hours", pa.float64()),
    ("readmit_after_hours", pa.float64()),
    ("hazard", pa.float64()),
    ("hazard_since", pa.float64()),
    ("hazard_rate", pa.float64()),
    ("icu_denied", pa.bool_()),
    ("stepdown", pa.bool_()),
    ("readmitted", pa.bool_()),
]

TRANSFER_SCHEMA = _schema(
    "transfers",
    [
        *PATIENT_FIELDS,
        ("from_facility", pa.int32()),
        ("to_facility", pa.int32()),
        ("depart_time", pa.float64()),
        ("arrive_time", pa.float64()),
        ("reason", pa.string()),
    ],
)

REFERRAL_SCHEMA = _schema(
    "referrals",
    [
        ("patient_id", pa.int64()),
        ("clinic", pa.int32()),
        ("hub", pa.int32()),
        ("request_time", pa.float64()),
        ("need", pa.int8()),
        ("u_tele", pa.float64()),
    ],
)

ANSWER_SCHEMA = _schema(
    "answers",
    [
        ("patient_id", pa.int64()),
        ("clinic", pa.int32()),
        ("hub", pa.int32()),
        ("request_time", pa.float64()),
        ("answer_time", pa.float64()),
        ("decision", pa.string()),
    ],
)

BOARD_SCHEMA = _schema(
    "board",
    [
        ("facility_id", pa.int32()),
        ("ward_free", pa.int32()),
        ("icu_free", pa.int32()),
        ("ventilators_free", pa.int32()),
        ("waiting", pa.int32()),
    ],
)

# Where each message goes and the order it is applied in.
ROUTING: dict[str, tuple[str, tuple[str, ...]]] = {
    "transfers": ("to_facility", ("arrive_time", "patient_id")),
    "referrals": ("hub", ("request_time", "patient_id")),
    "answers": ("clinic", ("answer_time", "patient_id")),
}
SCHEMAS = {
    "transfers": TRANSFER_SCHEMA,
    "referrals": REFERRAL_SCHEMA,
    "answers": ANSWER_SCHEMA,
    "board": BOARD_SCHEMA,
}


def validate(table: pa.Table, name: str) -> pa.Table:
    """Check a message table against its schema; name the first bad column."""
    schema = SCHEMAS[name]
    for f in schema:
        if f.name not in table.column_names:
            raise ProtocolError(
                f"{name} table: column {f.name!r} is missing (schema v{PROTOCOL_VERSION})"
            )
        got = table.schema.field(f.name).type
        if got != f.type:
            raise ProtocolError(
                f"{name} table: column {f.name!r} has type {got}, "
                f"expected {f.type} (schema v{PROTOCOL_VERSION})"
            )
    return table.select(schema.names).replace_schema_metadata(schema.metadata)


def table_from_columns(name: str, columns: dict[str, list[Any]]) -> pa.Table:
    """Build a message table from Python column lists (in the schema's order)."""
    schema = SCHEMAS[name]
    arrays = [pa.array(columns[f.name], type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def empty(name: str) -> pa.Table:
    """An empty table of a message kind."""
    return SCHEMAS[name].empty_table()


def to_ipc(table: pa.Table) -> pa.Buffer:
    """A table as one Arrow IPC stream: what crosses processes (a slice carries only its rows).

    One C++ call per table, where pickling a table walks its columns in Python: a message of
    two dozen columns crosses to an actor and back in a fraction of the time.
    """
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def from_ipc(buffer: pa.Buffer | bytes) -> pa.Table:
    """The table of an Arrow IPC stream written by ``to_ipc`` (no copy of its buffers)."""
    return pa.ipc.open_stream(buffer).read_all()


@dataclass
class Inbox:
    """What a shard receives at the start of a window: messages for its facilities, the board."""

    board: pa.Table
    transfers: pa.Table = field(default_factory=lambda: empty("transfers"))
    referrals: pa.Table = field(default_factory=lambda: empty("referrals"))
    answers: pa.Table = field(default_factory=lambda: empty("answers"))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (as Ray does between processes) as Arrow IPC streams."""
        parts = (self.board, self.transfers, self.referrals, self.answers)
        return _inbox_from_ipc, tuple(to_ipc(t) for t in parts)


@dataclass
class WindowStats:
    """What a shard reports for a window: enough for progress bars and conservation checks."""

    shard: int
    window: int
    census: int = 0
    new_patients: int = 0
    finished: int = 0
    live: int = 0
    waiting: int = 0
    in_bed: int = 0
    arriving: int = 0
    events: int = 0
    compute_seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """Plain values for logs and manifests."""
        return dict(self.__dict__)


@dataclass
class Outbox:
    """What a shard sends at the end of a window."""

    transfers: pa.Table
    referrals: pa.Table
    answers: pa.Table
    board: pa.Table
    stats: WindowStats

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (as Ray does between processes) as Arrow IPC streams."""
        parts = (self.transfers, self.referrals, self.answers, self.board)
        return _outbox_from_ipc, (*(to_ipc(t) for t in parts), self.stats)


def _inbox_from_ipc(*parts: pa.Buffer) -> Inbox:
    return Inbox(*(from_ipc(p) for p in parts))


def _outbox_from_ipc(
    transfers: pa.Buffer,
    referrals: pa.Buffer,
    answers: pa.Buffer,
    board: pa.Buffer,
    stats: WindowStats,
) -> Outbox:
    return Outbox(
        from_ipc(transfers), from_ipc(referrals), from_ipc(answers), from_ipc(board), stats
    )


def route(outboxes: list[Outbox], shard_of_facility: np.ndarray, n_shards: int) -> list[Inbox]:
    """Deliver a window's messages: merge, put in total order, split by destination shard."""
    board = pa.concat_tables([o.board for o in outboxes]).sort_by("facility_id")
    inboxes = [Inbox(board=board) for _ in range(n_shards)]
    for kind, (dest, order) in ROUTING.items():
        merged = pa.concat_tables([getattr(o, kind) for o in outboxes])
        if merged.num_rows == 0:
            continue
        shard = pa.array(shard_of_facility[merged.column(dest).to_numpy()], type=pa.int32())
        merged = merged.append_column("_shard", shard)
        merged = merged.sort_by([("_shard", "ascending")] + [(c, "ascending") for c in order])
        shards = merged.column("_shard").to_numpy()
        bounds = np.searchsorted(shards, np.arange(n_shards + 1))
        body = merged.drop_columns(["_shard"])
        for s in range(n_shards):
            if bounds[s + 1] > bounds[s]:
                setattr(inboxes[s], kind, body.slice(bounds[s], bounds[s + 1] - bounds[s]))
    return inboxes


def total_order_ok(table: pa.Table, kind: str) -> bool:
    """Whether a delivered message table is in the protocol's total order."""
    if table.num_rows < 2:
        return True
    _, order = ROUTING[kind]
    expected = table.sort_by([(c, "ascending") for c in order])
    return bool(pc.all(pc.equal(expected.column("patient_id"), table.column("patient_id"))).as_py())
