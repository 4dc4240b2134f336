"""Census files read and checked into one table of census patients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regional.scenario import CONDITIONS

BED_TYPES = ("ward", "icu", "intermediate")
CENSUS_COLUMNS = (
    "patient",  # the source's id, as text
    "facility",  # the facility's code
    "bed_type",  # ward, icu or intermediate: the bed the patient is in, or waits for
    "elapsed_hours",  # hours in that bed at the census time; NaN: unknown (drawn)
    "condition",  # one of CONDITIONS; empty: unknown (drawn)
    "ventilated",  # on a ventilator
    "waiting_hours",  # hours waited for the bed at the census time; NaN: in the bed
)
PATIENT_COLUMNS = ("patient", "facility", "bed_type", "admitted_at")
PATIENT_OPTIONAL = ("condition", "ventilated", "waiting_since")
FACILITY_COUNTS = (
    "ward_occupied",
    "icu_occupied",
    "intermediate_occupied",
    "ventilators_in_use",
    "waiting_ward",
    "waiting_icu",
)
TRUE = frozenset({"true", "1", "yes", "y", "t", "si", "sí", "sim"})
FALSE = frozenset({"false", "0", "no", "n", "f", "nao", "não", ""})


class CensusError(ValueError):
    """A census file that cannot be read as one: one line naming the file, row and column."""


def read_census(path: str | Path, at: dt.datetime, form: str | None = None) -> pd.DataFrame:
    """The census patients of a file, as of ``at`` (the run's start).

    ``form`` is ``patients``, ``facilities`` or ``fhir``; by default a ``.json`` file is FHIR
    and a table is per patient when it has ``bed_type``, per facility when it has counts.

    Raises:
        CensusError: the file is missing, unreadable, or has a bad row.
    """
    path = Path(path)
    if not path.is_file():
        raise CensusError(f"{path}: no such file; give the census file's path")
    if form == "fhir" or (form is None and path.suffix.lower() == ".json"):
        from regional.snapshot.fhir import read_bundle

        return read_bundle(path, at)
    frame = _read_table(path)
    if form is None:
        form = "patients" if "bed_type" in frame.columns else "facilities"
    if form == "patients":
        return patients_census(frame, path.name, at)
    if form == "facilities":
        return facility_census(frame, path.name, at)
    raise CensusError(f"{path}: form {form!r}; expected patients, facilities or fhir")


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, ValueError, ImportError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CensusError(f"{path.name}: cannot be read as CSV or Parquet ({first})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CensusError(
            f"{name}: no column {missing[0]!r}; a census of this form needs "
            f"{', '.join(columns)} (has {', '.join(map(str, frame.columns)) or 'none'})"
        )


def _where(name: str, row: int, column: str) -> str:
    return f"{name}: row {row + 2}, column {column!r}"  # row 1 is the header


def _time(value: Any, name: str, row: int, column: str, at: dt.datetime) -> float:
    """Hours from ``value`` to ``at``; never negative."""
    text = str(value).strip()
    try:
        when = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise CensusError(
            f"{_where(name, row, column)}: expected a time such as 2025-06-01T08:00:00Z, "
            f"got {text!r}"
        ) from None
    if pd.isna(when):
        raise CensusError(f"{_where(name, row, column)}: empty; give the time")
    if when.tzinfo is None:
        when = when.tz_localize("UTC")
    hours = (pd.Timestamp(at) - when).total_seconds() / 3600.0
    if hours < -1e-9:
        raise CensusError(
            f"{_where(name, row, column)}: {text} is after the census time {at.isoformat()}; "
            "the census holds what was true then"
        )
    return max(hours, 0.0)


def _flag(value: Any, name: str, row: int, column: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE or text == "nan":
        return False
    raise CensusError(f"{_where(name, row, column)}: expected true or false, got {value!r}")


def patients_census(frame: pd.DataFrame, name: str, at: dt.datetime) -> pd.DataFrame:
    """A per-patient census checked row by row."""
    _require(frame, name, PATIENT_COLUMNS)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, record in enumerate(frame.to_dict("records")):
        patient = str(record["patient"]).strip()
        if not patient:
            raise CensusError(f"{_where(name, i, 'patient')}: empty; every patient needs an id")
        if patient in seen:
            raise CensusError(
                f"{_where(name, i, 'patient')}: {patient!r} is also on row {seen[patient] + 2}; "
                "one row a patient"
            )
        seen[patient] = i
        facility = str(record["facility"]).strip()
        if not facility:
            raise CensusError(f"{_where(name, i, 'facility')}: empty; give the facility's code")
        bed = str(record["bed_type"]).strip().lower()
        if bed not in BED_TYPES:
            raise CensusError(
                f"{_where(name, i, 'bed_type')}: expected ward, icu or intermediate, got "
                f"{record['bed_type']!r}"
            )
        admitted = _time(record["admitted_at"], name, i, "admitted_at", at)
        condition = str(record.get("condition", "") or "").strip().lower()
        if condition in ("nan", "none"):
            condition = ""
        if condition and condition not in CONDITIONS:
            raise CensusError(
                f"{_where(name, i, 'condition')}: {record['condition']!r}; expected one of "
                f"{', '.join(CONDITIONS)} or empty (drawn from the facility's mix)"
            )
        ventilated = _flag(record.get("ventilated", ""), name, i, "ventilated")
        waiting = np.nan
        since = record.get("waiting_since", "")
        if since is not None and str(since).strip() not in ("", "nan", "NaT", "None"):
            waiting = _time(since, name, i, "waiting_since", at)
        if ventilated and bed != "icu":
            raise CensusError(
                f"{_where(name, i, 'ventilated')}: a ventilated patient in or waiting for a "
                f"{bed} bed; ventilated patients need the ICU (bed_type icu)"
            )
        rows.append(
            {
                "patient": patient,
                "facility": facility,
                "bed_type": bed,
                "elapsed_hours": np.nan if not np.isnan(waiting) else admitted,
                "condition": condition,
                "ventilated": ventilated,
                "waiting_hours": waiting,
            }
        )
    return _frame(rows)


def facility_census(frame: pd.DataFrame, name: str, at: dt.datetime) -> pd.DataFrame:
    """A per-facility census, its counts turned into patients of unknown condition and time
    in bed (drawn when the run starts)."""
    _require(frame, name, ("facility", "time", *FACILITY_COUNTS[:2]))
    rows: list[dict[str, Any]] = []
    latest: dict[str, tuple[float, int]] = {}
    records = frame.to_dict("records")
    for i, record in enumerate(records):
        facility = str(record["facility"]).strip()
        if not facility:
            raise CensusError(f"{_where(name, i, 'facility')}: empty; give the facility's code")
        age = _time(record["time"], name, i, "time", at)
        if facility in latest and latest[facility][0] == age:
            raise CensusError(
                f"{_where(name, i, 'facility')}: {facility!r} has two rows for the same time "
                f"(also row {latest[facility][1] + 2})"
            )
        if facility not in latest or age < latest[facility][0]:
            latest[facility] = (age, i)  # the most recent count before the census time
    for facility, (_, i) in sorted(latest.items(), key=lambda kv: kv[1][1]):
        record = records[i]
        counts = {c: _count(record.get(c, 0), name, i, c) for c in FACILITY_COUNTS}
        if counts["ventilators_in_use"] > counts["icu_occupied"] + counts["waiting_icu"]:
            raise CensusError(
                f"{_where(name, i, 'ventilators_in_use')}: {counts['ventilators_in_use']} "
                f"ventilators in use for {counts['icu_occupied']} ICU patients and "
                f"{counts['waiting_icu']} waiting for one"
            )
        vents = counts["ventilators_in_use"]
        for bed, column, waiting in (
            ("ward", "ward_occupied", False),
            ("icu", "icu_occupied", False),
            ("intermediate", "intermediate_occupied", False),
            ("ward", "waiting_ward", True),
            ("icu", "waiting_icu", True),
        ):
            for k in range(counts[column]):
                on_vent = bed == "icu" and vents > 0
                vents -= int(on_vent)
                rows.append(
                    {
                        "patient": f"{facility}/{column}/{k}",
                        "facility": facility,
                        "bed_type": bed,
                        "elapsed_hours": np.nan,
                        "condition": "",
                        "ventilated": on_vent,
                        "waiting_hours": 0.0 if waiting else np.nan,
                    }
                )
    return _frame(rows)


def _count(value: Any, name: str, row: int, column: str) -> int:
    text = str(value).strip()
    if text in ("", "nan"):
        return 0
    try:
        number = float(text)
    except ValueError:
        raise CensusError(f"{_where(name, row, column)}: expected a count, got {value!r}") from None
    if number < 0 or number != int(number) or number > 100_000:
        raise CensusError(
            f"{_where(name, row, column)}: expected a whole number from 0 to 100,000, got {text}"
        )
    return int(number)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(CENSUS_COLUMNS))
    return frame.astype(
        {
            "patient": str,
            "facility": str,
            "bed_type": str,
            "elapsed_hours": float,
            "condition": str,
            "ventilated": bool,
            "waiting_hours": float,
        }
    )
