"""Row buffers that become Arrow tables: cheap appends in the event loop, columnar storage after.

Rows are appended as tuples (one list append per row) and turned into an Arrow chunk at the end
of each window, so finished patients cost a few bytes each rather than a Python object.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from regional.protocol import ANSWER_SCHEMA, TRANSFER_SCHEMA

PATIENT_LOG_SCHEMA = pa.schema(
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
        ("icu_denied", pa.bool_()),
        ("readmitted", pa.bool_()),
        ("died_waiting", pa.bool_()),
        # the episode's last wait ended without the bed it waited for: still waiting at the
        # end, died waiting, or its ICU request ended (a censored wait)
        ("wait_censored", pa.bool_()),
    ]
)
# A transfer as logged by its sender: the message less the patient it carries.
TRANSFER_LOG_SCHEMA = pa.schema(
    [
        TRANSFER_SCHEMA.field(name)
        for name in (
            "patient_id",
            "from_facility",
            "to_facility",
            "depart_time",
            "arrive_time",
            "reason",
        )
    ]
)
# A referral as logged by the hub that answered it: the answer message itself.
REFERRAL_LOG_SCHEMA = pa.schema(list(ANSWER_SCHEMA))
# One bed segment: a patient in one bed of one facility, from the moment it took the bed to the
# moment it left it (NaN: still in it at the end). Hours since the clock's start; a segment of
# the starting census began before hour 0. A facility's occupancy at a sample time t is the
# number of its segments with start < t <= end (events at t come after the sample).
STAY_LOG_SCHEMA = pa.schema(
    [
        ("patient_id", pa.int64()),
        ("facility_id", pa.int32()),
        ("bed", pa.int8()),  # 1 ward, 2 ICU (agents.pathway.Bed)
        ("start_time", pa.float64()),
        ("end_time", pa.float64()),
    ]
)
TIMESERIES_LOG_SCHEMA = pa.schema(
    [
        ("facility_id", pa.int32()),
        ("time", pa.float64()),
        ("ward_occupied", pa.int32()),
        ("icu_occupied", pa.int32()),
        ("ventilators_in_use", pa.int32()),
        ("waiting", pa.int32()),
        ("in_ed", pa.int32()),
        ("ward_staffed", pa.int32()),
        ("icu_staffed", pa.int32()),
        ("ventilators_available", pa.int32()),
        ("oxygen_short", pa.int32()),
        ("nurses_on_duty", pa.float64()),
        ("nurse_hours_short", pa.float64()),
        ("intermediate_occupied", pa.int32()),
        ("intermediate_staffed", pa.int32()),
        ("ward_beds", pa.int32()),
        ("icu_beds", pa.int32()),
        ("intermediate_beds", pa.int32()),
    ]
)


class ColumnBuffer:
    """Rows appended as tuples in the schema's column order, kept as Arrow chunks once flushed."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = pa.schema(list(schema))  # without metadata: chunks concatenate cleanly
        self.rows: list[tuple[Any, ...]] = []
        self.chunks: list[pa.Table] = []
        self.append = self.rows.append

    def __len__(self) -> int:
        return len(self.rows) + sum(c.num_rows for c in self.chunks)

    def clear(self) -> None:
        """Drop everything buffered."""
        self.rows.clear()
        self.chunks.clear()

    def _rows_table(self) -> pa.Table:
        if not self.rows:
            return self.schema.empty_table()
        columns = zip(*self.rows, strict=True)
        arrays = [
            pa.array(values, type=f.type, from_pandas=True)
            for f, values in zip(self.schema, columns, strict=True)
        ]
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def flush(self) -> None:
        """Move the buffered rows into a columnar chunk."""
        if self.rows:
            self.chunks.append(self._rows_table())
            self.rows.clear()

    def to_table(self) -> pa.Table:
        """Everything appended so far as one table."""
        self.flush()
        if not self.chunks:
            return self.schema.empty_table()
        return pa.concat_tables(self.chunks)

    def take(self, schema: pa.Schema | None = None) -> pa.Table:
        """Everything buffered, as a table (with ``schema``'s metadata if given); the buffer is
        emptied."""
        table = self.to_table()
        if schema is not None:
            table = table.replace_schema_metadata(schema.metadata)
        self.clear()
        return table
