"""Row buffers that become Arrow tables: cheap appends in the event loop, columnar storage after.

Rows are appended as tuples (one list append per row) and turned into an Arrow chunk at the end
of each window, so finished patients cost a few bytes each rather than a Python object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

LOG_SCHEMAS: dict[tuple[str, ...], pa.Schema] = {}


def log_schema(columns: tuple[str, ...]) -> pa.Schema | None:
    """The declared schema of a result log with these columns, if any."""
    return LOG_SCHEMAS.get(columns)


def _register(fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    schema = pa.schema(fields)
    LOG_SCHEMAS[tuple(schema.names)] = schema
    return schema


PATIENT_LOG_SCHEMA = _register(
    [
        ("patient_id", pa.int64()),
        ("origin_place", pa.int64()),
        ("first_facility", pa.int32()),
        ("final_facility", pa.int32()),
        ("condition", pa.int8()),
        ("acuity", pa.int8()),
        ("need", pa.int8()),
        ("ventilator", pa.bool_()),
        ("onset_time", pa.float64()),
        ("arrival_time", pa.float64()),
        ("admit_time", pa.float64()),
        ("icu_time", pa.float64()),
        ("end_time", pa.float64()),
        ("outcome", pa.string()),
        ("n_transfers", pa.int16()),
        ("teleconsulted", pa.bool_()),
        ("escalated", pa.bool_()),
        ("waited_hours", pa.float64()),
    ]
)
TRANSFER_LOG_SCHEMA = _register(
    [
        ("patient_id", pa.int64()),
        ("from_facility", pa.int32()),
        ("to_facility", pa.int32()),
        ("depart_time", pa.float64()),
        ("arrive_time", pa.float64()),
        ("reason", pa.string()),
    ]
)
REFERRAL_LOG_SCHEMA = _register(
    [
        ("patient_id", pa.int64()),
        ("clinic", pa.int32()),
        ("hub", pa.int32()),
        ("request_time", pa.float64()),
        ("answer_time", pa.float64()),
        ("decision", pa.string()),
    ]
)
TIMESERIES_LOG_SCHEMA = _register(
    [
        ("facility_id", pa.int32()),
        ("time", pa.float64()),
        ("ward_occupied", pa.int32()),
        ("icu_occupied", pa.int32()),
        ("ventilators_in_use", pa.int32()),
        ("waiting", pa.int32()),
        ("in_ed", pa.int32()),
    ]
)


class ColumnBuffer:
    """Rows appended as tuples, kept as Arrow chunks once flushed."""

    def __init__(self, columns: Sequence[str], schema: pa.Schema | None = None) -> None:
        self.columns = tuple(columns)
        self.schema = schema or log_schema(self.columns)
        self.rows: list[tuple[Any, ...]] = []
        self.chunks: list[pa.Table] = []
        self.append = self.rows.append

    def __len__(self) -> int:
        return len(self.rows) + sum(c.num_rows for c in self.chunks)

    def clear(self) -> None:
        """Drop everything buffered."""
        self.rows.clear()
        self.chunks.clear()

    def _rows_table(self, schema: pa.Schema | None) -> pa.Table:
        schema = schema or self.schema
        if not self.rows:
            if schema is None:
                return pa.table({c: pa.array([]) for c in self.columns})
            return schema.empty_table()
        columns = list(zip(*self.rows, strict=True))
        if schema is None:
            return pa.table({c: pa.array(v) for c, v in zip(self.columns, columns, strict=True)})
        arrays = [
            pa.array(v, type=f.type, from_pandas=True) for f, v in zip(schema, columns, strict=True)
        ]
        return pa.Table.from_arrays(arrays, schema=schema)

    def flush(self) -> None:
        """Move the buffered rows into a columnar chunk."""
        if self.rows:
            self.chunks.append(self._rows_table(None))
            self.rows.clear()

    def to_table(self, schema: pa.Schema | None = None) -> pa.Table:
        """Everything appended so far as one table."""
        if schema is not None and not self.chunks:
            return self._rows_table(schema)
        self.flush()
        if not self.chunks:
            return self._rows_table(schema)
        return pa.concat_tables(self.chunks)
