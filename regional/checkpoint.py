"""Shard checkpoints at window boundaries: Arrow/Parquet files with a schema version, no pickle.

A checkpoint of window ``w`` holds a shard's whole state before it steps window ``w``: its
patients (each with its one pending event), facility counters and teleconsult desks, the
unconsumed arrivals, the result logs so far, and the inbox it will receive for ``w``. Restoring
it and stepping on gives the same results, row for row, as a run that never stopped.

Layout: ``<root>/shard-<k>/window-<w>/`` with ``meta.json`` and Parquet files, written into a
temporary sibling and renamed into place. Once every shard has written window ``w``, the
coordinator commits it: ``<root>/LATEST`` names it and older windows are removed, so a crash
at any moment leaves one complete, consistent set to resume from.
"""

from __future__ import annotations

import json
import math
import operator
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from agents import Patient
from agents.pathway import Bed, Event, Need
from regional import protocol
from regional.shard import ShardModel

CHECKPOINT_SCHEMA_VERSION = 4
# what a patient carries as attributes, then where it stands on the calendar
PATIENT_ATTRIBUTE_FIELDS: list[tuple[str, pa.DataType]] = [
    *protocol.PATIENT_FIELDS,
    ("facility", pa.int32()),
    ("bed", pa.int8()),
    ("bed_since", pa.float64()),
    ("wait_since", pa.float64()),
    ("decision", pa.string()),
    ("depart_reason", pa.string()),
    ("on_ventilator", pa.bool_()),
    ("plan_time", pa.float64()),
    ("plan_kind", pa.int8()),
    ("arrived_for", pa.string()),
]
PATIENT_STATE_FIELDS: list[tuple[str, pa.DataType]] = [
    *PATIENT_ATTRIBUTE_FIELDS,
    ("event_time", pa.float64()),
    ("event_kind", pa.int8()),
    ("awaiting_answer", pa.bool_()),
]
PATIENT_STATE_SCHEMA = pa.schema(PATIENT_STATE_FIELDS)
# a patient's attributes as one NumPy record (strings as Python objects)
_ATTRIBUTE_DTYPE = np.dtype(
    [
        (name, object if pa.types.is_string(type_) else type_.to_pandas_dtype())
        for name, type_ in PATIENT_ATTRIBUTE_FIELDS
    ]
)
COUNTERS = (
    "arrivals",
    "admissions",
    "transfer_admissions",
    "icu_admissions",
    "intermediate_admissions",
    "transfer_icu_admissions",
    "transfers_out",
    "transfers_in",
    "deaths",
    "icu_readmissions",
    "died_waiting",
    "icu_requests_withdrawn",
    "discharges",
    "teleconsults",
    "teleconsults_answered",
    "treated_locally",
)
LOGS = ("patients_log", "transfers_log", "referrals_log", "timeseries_log", "stays_log")
INBOX_PARTS = ("board", "transfers", "referrals", "answers")


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt or from an incompatible version."""


def shard_dir(root: Path, shard: int) -> Path:
    """The folder of one shard's checkpoints."""
    return Path(root) / f"shard-{shard:04d}"


def save(
    model: ShardModel, window: int, inbox: protocol.Inbox, root: Path, fingerprint: str
) -> Path:
    """Write the shard's state before ``window`` (and that window's inbox), atomically."""
    folder = shard_dir(root, model.spec.shard)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"window-{window:07d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".window-{window:07d}.", dir=folder))
    try:
        pq.write_table(_patients_table(model), tmp / "patients.parquet")
        pq.write_table(_facilities_table(model), tmp / "facilities.parquet")
        pq.write_table(_arrivals_table(model), tmp / "arrivals.parquet")
        _save_log_segments(model, window, folder / "logs")
        for part in INBOX_PARTS:
            pq.write_table(getattr(inbox, part), tmp / f"inbox_{part}.parquet")
        meta = {
            "checkpoint_schema_version": CHECKPOINT_SCHEMA_VERSION,
            "protocol_version": protocol.PROTOCOL_VERSION,
            "fingerprint": fingerprint,
            "shard": model.spec.shard,
            "window": window,
            "sample_index": model.sampler.index,
            "block": model.feed.block,
            "census_patients": model.census_patients,
            "surge": model.surge.state(),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def commit(root: Path, window: int, shards: int) -> None:
    """Make ``window`` the checkpoint to resume from, once every shard has written it."""
    root = Path(root)
    for shard in range(shards):
        if not (shard_dir(root, shard) / f"window-{window:07d}" / "meta.json").is_file():
            raise CheckpointError(f"{root}: shard {shard} has no checkpoint of window {window}")
    tmp = root / ".LATEST.tmp"
    tmp.write_text(str(window))
    os.replace(tmp, root / "LATEST")
    for shard in range(shards):
        for old in shard_dir(root, shard).glob("window-*"):
            if old.name != f"window-{window:07d}":
                shutil.rmtree(old, ignore_errors=True)


def committed_window(root: Path) -> int | None:
    """The window every shard can resume from, or None."""
    pointer = Path(root) / "LATEST"
    if not pointer.is_file():
        return None
    try:
        return int(pointer.read_text().strip())
    except ValueError:
        raise CheckpointError(
            f"{pointer}: corrupt checkpoint pointer; the run cannot be resumed, start it again"
        ) from None


def load(
    model: ShardModel, root: Path, fingerprint: str, window: int | None = None
) -> tuple[int, protocol.Inbox]:
    """Put a freshly built shard (``census=False``) into the state of its checkpoint.

    Returns the window to step next and its inbox.

    Raises:
        CheckpointError: one line naming the folder and what is wrong.
    """
    shard = model.spec.shard
    window = committed_window(root) if window is None else window
    if window is None:
        raise CheckpointError(f"{root}: no committed checkpoint to resume from")
    folder = shard_dir(root, shard) / f"window-{window:07d}"
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError) as error:
        raise CheckpointError(
            f"{folder}: unreadable checkpoint ({error}); it cannot be resumed"
        ) from None
    if meta.get("checkpoint_schema_version") != CHECKPOINT_SCHEMA_VERSION:
        raise CheckpointError(
            f"{folder}: checkpoint schema version {meta.get('checkpoint_schema_version')}, "
            f"this version reads {CHECKPOINT_SCHEMA_VERSION}; rerun from the start"
        )
    if meta.get("fingerprint") != fingerprint:
        raise CheckpointError(
            f"{folder}: checkpoint of another scenario or partition; "
            "resume with the scenario it was written for"
        )
    try:
        tables = {
            name: pq.read_table(folder / f"{name}.parquet")
            for name in (
                "patients",
                "facilities",
                "arrivals",
                *(f"inbox_{p}" for p in INBOX_PARTS),
            )
        }
        tables.update(_load_log_segments(shard_dir(root, shard) / "logs", window))
    except (OSError, pa.ArrowInvalid) as error:
        raise CheckpointError(
            f"{folder}: corrupt checkpoint ({str(error).splitlines()[0]}); it cannot be resumed"
        ) from None
    model.reopen(window)
    _restore_facilities(model, tables["facilities"])
    model.surge.restore(model, meta.get("surge", []))
    _restore_patients(model, tables["patients"])
    _restore_arrivals(model, tables["arrivals"], int(meta["block"]))
    for name in LOGS:
        buffer = getattr(model, name)
        buffer.clear()
        if tables[name].num_rows:
            buffer.chunks.append(tables[name])
        model.saved_log_rows[name] = tables[name].num_rows
    model.sampler.index = int(meta["sample_index"])
    model.census_patients = int(meta["census_patients"])
    inbox = protocol.Inbox(
        board=protocol.validate(tables["inbox_board"], "board"),
        transfers=protocol.validate(tables["inbox_transfers"], "transfers"),
        referrals=protocol.validate(tables["inbox_referrals"], "referrals"),
        answers=protocol.validate(tables["inbox_answers"], "answers"),
    )
    return window, inbox


# -- result logs: append-only segments, one per checkpoint --------------------------------------


def _save_log_segments(model: ShardModel, window: int, folder: Path) -> None:
    """Write the log rows added since the last checkpoint (logs only grow)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in LOGS:
        table = getattr(model, name).to_table()
        start = model.saved_log_rows.get(name, 0)
        final = folder / f"{name}-{window:07d}.parquet"
        tmp = folder / f".{final.name}.tmp"
        try:
            pq.write_table(table.slice(start), tmp)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        model.saved_log_rows[name] = table.num_rows


def _load_log_segments(folder: Path, window: int) -> dict[str, pa.Table]:
    """The logs up to ``window``; segments of later, uncommitted checkpoints are dropped."""
    out = {}
    for name in LOGS:
        parts = []
        for path in sorted(folder.glob(f"{name}-*.parquet")):
            segment = int(path.stem.rsplit("-", 1)[1])
            if segment > window:
                path.unlink()
            else:
                parts.append(pq.read_table(path))
        if not parts:
            raise CheckpointError(
                f"{folder}: the {name} segments are missing; the run cannot be resumed"
            )
        out[name] = pa.concat_tables(parts)
    return out


# -- state to tables ----------------------------------------------------------------------------


def _pending_events(model: ShardModel) -> dict[int, tuple[float, int]]:
    pending: dict[int, tuple[float, int]] = {}
    for time, kind, pid, epoch, patient in model.pending_events():
        if epoch == patient.epoch:
            pending[pid] = (time, kind)
    return pending


def _patients_table(model: ShardModel) -> pa.Table:
    """Every live patient's state, one row each, in creation order (itself deterministic).

    The patients are read in one pass, a row each: a shard's patients lie all over memory, and
    a pass per column would fetch each of them once per column.
    """
    patients = list(model.agents_by_type.get(Patient, []))
    names = [name for name, _ in PATIENT_ATTRIBUTE_FIELDS]
    rows = np.array(list(map(operator.attrgetter(*names), patients)), dtype=_ATTRIBUTE_DTYPE)
    arrays = [
        pa.array(rows[name], type_, from_pandas=True) for name, type_ in PATIENT_ATTRIBUTE_FIELDS
    ]
    pending = _pending_events(model)
    events = [pending.get(pid) for pid in rows["patient_id"].tolist()]
    awaiting = np.fromiter(model.awaiting_answer, np.int64, len(model.awaiting_answer))
    arrays += [
        pa.array([e[0] if e else None for e in events], pa.float64()),
        pa.array([e[1] if e else None for e in events], pa.int8()),
        pa.array(np.isin(rows["patient_id"], awaiting)),
    ]
    return pa.Table.from_arrays(arrays, schema=PATIENT_STATE_SCHEMA)


def _facilities_table(model: ShardModel) -> pa.Table:
    facilities = sorted(model.facilities.values(), key=lambda f: f.facility_id)
    columns: dict[str, Any] = {
        "facility_id": pa.array([f.facility_id for f in facilities], pa.int32())
    }
    for name in COUNTERS:
        columns[name] = pa.array([getattr(f, name, 0) for f in facilities], pa.int64())
    columns["waited_hours"] = pa.array(
        [float(getattr(f, "waited_hours", 0.0)) for f in facilities], pa.float64()
    )
    columns["tele_free_at"] = pa.array(
        [sorted(getattr(f, "tele_free_at", [])) for f in facilities], pa.list_(pa.float64())
    )
    units = dict(
        zip(
            [h.facility_id for h in model.hospitals],
            model.supplies.fleet.state_by_hospital(),
            strict=True,
        )
    )
    columns["ventilators_up"] = pa.array(
        [units.get(f.facility_id, []) for f in facilities], pa.list_(pa.bool_())
    )
    columns["ventilators_available"] = pa.array(
        [getattr(f, "ventilators_available", 0) for f in facilities], pa.int32()
    )
    rows = {h.facility_id: i for i, h in enumerate(model.hospitals)}
    stock = model.supplies.oxygen.stock_litres
    columns["oxygen_litres"] = pa.array(
        [float(stock[rows[f.facility_id]]) if f.facility_id in rows else 0.0 for f in facilities],
        pa.float64(),
    )
    columns["oxygen_short"] = pa.array(
        [f.facility_id in model._no_oxygen for f in facilities], pa.bool_()
    )
    # the staffing standards' triggers: on or off, and since when the pressure says otherwise
    triggers = model.staffing.state()
    none: tuple[list[bool], list[float]] = ([], [])
    columns["trigger_active"] = pa.array(
        [triggers.get(f.facility_id, none)[0] for f in facilities], pa.list_(pa.bool_())
    )
    columns["trigger_since"] = pa.array(
        [triggers.get(f.facility_id, none)[1] for f in facilities],
        pa.list_(pa.float64()),
        from_pandas=True,
    )
    return pa.table(columns)


def _arrivals_table(model: ShardModel) -> pa.Table:
    a = model.feed.arrivals
    if not a:
        return pa.table({"_empty": pa.array([], pa.int8())})
    return pa.table({name: values[model.feed.next_row :] for name, values in a.items()})


# -- tables to state ----------------------------------------------------------------------------


def _restore_facilities(model: ShardModel, table: pa.Table) -> None:
    units: dict[int, list[bool]] = {}
    oxygen: dict[int, float] = {}
    model._no_oxygen = set()
    triggers: dict[int, tuple[list[bool], list[float]]] = {}
    for row in table.to_pylist():
        units[row["facility_id"]] = row["ventilators_up"]
        oxygen[row["facility_id"]] = row["oxygen_litres"]
        if row["oxygen_short"]:
            model._no_oxygen.add(row["facility_id"])
        facility = model.facilities.get(row["facility_id"])
        if facility is None:
            raise CheckpointError(
                f"facility {row['facility_id']} is not in shard "
                f"{model.spec.shard}; the checkpoint is of another partition"
            )
        for name in COUNTERS:
            if hasattr(facility, name):
                setattr(facility, name, row[name])
        if hasattr(facility, "waited_hours"):
            facility.waited_hours = row["waited_hours"]
        if hasattr(facility, "tele_free_at"):
            facility.tele_free_at = list(row["tele_free_at"])  # a sorted list is a valid heap
        if hasattr(facility, "ventilators_available"):
            facility.ventilators_available = row["ventilators_available"]
        if facility.kind == "hospital":
            since = [math.nan if v is None else v for v in row["trigger_since"]]
            triggers[row["facility_id"]] = (row["trigger_active"], since)
    model.staffing.restore(triggers)
    hospitals = model.hospitals
    model.supplies.fleet.restore([units[h.facility_id] for h in hospitals])
    model.supplies.oxygen.stock_litres = np.array([oxygen[h.facility_id] for h in hospitals])
    model.supplies.oxygen.short = np.array([h.facility_id in model._no_oxygen for h in hospitals])


def _restore_patients(model: ShardModel, table: pa.Table) -> None:
    from agents import Hospital, RuralClinic

    for row in table.to_pylist():
        p = Patient.from_state(model, row)
        p.facility = row["facility"]
        p.bed = row["bed"]
        p.bed_since = math.nan if row["bed_since"] is None else row["bed_since"]
        p.wait_since = math.nan if row["wait_since"] is None else row["wait_since"]
        p.decision = row["decision"] or ""
        p.depart_reason = row["depart_reason"] or ""
        p.on_ventilator = row["on_ventilator"]
        p.arrived_for = row["arrived_for"] or ""
        kind = row["event_kind"]
        facility = model.facilities[p.facility]
        # on its way here: its arrival is booked, or its death in the ambulance instead
        if kind == Event.ARRIVE or (kind == Event.DIE and row["plan_kind"] == Event.ARRIVE):
            model._arriving += 1
        elif isinstance(facility, Hospital):
            if p.bed == Bed.WARD:
                facility.ward_occupied += 1
            elif p.bed == Bed.ICU:
                facility.icu_occupied += 1
            elif p.bed == Bed.INTERMEDIATE:
                facility.intermediate_occupied += 1
            if p.on_ventilator:
                facility.ventilators_in_use += 1
            if p.waiting:
                queue = facility.icu_queue if p.need == Need.ICU else facility.ward_queue
                queue.append((p.acuity, p.wait_since, p.patient_id, p))
                if p.need == Need.ICU and p.ventilator and not p.on_ventilator:
                    facility.vent_queue.append((p.acuity, p.wait_since, p.patient_id, p))
            if kind == Event.TREATED:
                facility.in_ed += 1
        elif isinstance(facility, RuralClinic):
            facility.present += 1
        if row["awaiting_answer"]:
            model.awaiting_answer[p.patient_id] = p
        if kind is not None:
            model.schedule(row["event_time"], kind, p)
        elif row["awaiting_answer"]:
            model.schedule(math.inf, Event.ANSWER, p)  # its death, if it comes first
        p.plan_time = row["plan_time"]
        p.plan_kind = row["plan_kind"]
    for hospital in model.hospitals:
        hospital.ward_queue.sort(key=lambda e: e[:3])
        hospital.icu_queue.sort(key=lambda e: e[:3])
        hospital.vent_queue.sort(key=lambda e: e[:3])


def _restore_arrivals(model: ShardModel, table: pa.Table, block: int) -> None:
    model.feed.block = block
    model.feed.next_row = 0
    if "_empty" in table.column_names:
        model.feed.arrivals = {}
        return
    model.feed.arrivals = {name: table.column(name).to_numpy() for name in table.column_names}
    if "escalate_after_hours" in model.feed.arrivals:
        model.feed.arrivals["escalate_after_hours"] = np.asarray(
            model.feed.arrivals["escalate_after_hours"], dtype=np.float64
        )
