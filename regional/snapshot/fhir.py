"""A census as FHIR R4: read from a Bundle of Encounters and Locations, and written from one
(a Bundle of capacity MeasureReports is read by ``regional.snapshot.saner``).

The mapping (parsed and validated with ``fhir.resources``' R4B models, which keep R4's
Encounter and Location):

- a hospital is a Location whose ``identifier`` (system ``FACILITY_SYSTEM``) is the facility's
  code; its units are Locations ``partOf`` it, typed by a coding of ``BED_SYSTEM`` (ward, icu,
  intermediate) or, failing that, HL7's v3 RoleCode ``ICU`` (an ICU) and anything else a ward;
- a patient in a bed is an Encounter ``in-progress`` with an ``active`` location entry on a
  unit, since that entry's ``period.start``; one waiting for a bed is an Encounter ``arrived``
  with a ``planned`` entry on the unit it waits for, since that entry's start;
- the condition is a ``reasonCode`` coding of ``CONDITION_SYSTEM``; a ventilated patient has the
  extension ``VENTILATED_URL`` set to true.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from regional.snapshot.records import CensusError, _frame

FACILITY_SYSTEM = "urn:regional-twin:facility"
BED_SYSTEM = "urn:regional-twin:bed-type"
CONDITION_SYSTEM = "urn:regional-twin:condition"
VENTILATED_URL = "urn:regional-twin:ventilated"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def read_bundle(path: Path, at: dt.datetime) -> pd.DataFrame:
    """The census patients of a FHIR Bundle file.

    Raises:
        CensusError: not JSON, not a valid R4 Bundle, or an Encounter that cannot be placed.
    """
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CensusError(f"{path.name}: not a JSON file ({error})") from None
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CensusError(f"{path.name}: not a FHIR R4 Bundle: {where}: {first['msg']}") from None
    locations: dict[str, Any] = {}
    encounters: list[tuple[int, Any]] = []
    reports: list[tuple[int, Any]] = []
    for i, entry in enumerate(bundle.entry or []):
        # typed loosely: fhir.resources' stubs differ between its releases
        resource: Any = getattr(entry, "resource", None)
        kind = resource.get_resource_type() if resource is not None else None
        if kind == "Location":
            locations[f"Location/{resource.id}"] = resource
        elif kind == "Encounter":
            encounters.append((i, resource))
        elif kind == "MeasureReport":
            reports.append((i, resource))
    if reports and not encounters:
        from regional.snapshot.saner import census_of_reports

        return census_of_reports(reports, path.name, at)
    rows = []
    for i, encounter in encounters:
        row = _encounter_row(path.name, i, encounter, locations, at)
        if row is not None:
            rows.append(row)
    return _frame(rows)


def _facility_of(unit: Any, locations: dict[str, Any]) -> str | None:
    seen = set()
    place = unit
    while place is not None and id(place) not in seen:
        seen.add(id(place))
        for identifier in place.identifier or []:
            if identifier.system == FACILITY_SYSTEM and identifier.value:
                return str(identifier.value)
        parent = place.partOf.reference if place.partOf is not None else None
        place = locations.get(parent) if parent else None
    return None


def _bed_type(unit: Any) -> str:
    codes = [c for t in unit.type or [] for c in t.coding or []]
    for c in codes:
        if c.system == BED_SYSTEM and c.code in ("ward", "icu", "intermediate"):
            return str(c.code)
    return "icu" if any(c.system == ROLE_CODE and c.code == "ICU" for c in codes) else "ward"


def _encounter_row(
    name: str, i: int, encounter: Any, locations: dict[str, Any], at: dt.datetime
) -> dict[str, Any] | None:
    where = f"{name}: entry {i}, Encounter {encounter.id or '(no id)'}"
    if encounter.status not in ("in-progress", "arrived"):
        return None  # finished, planned or cancelled: not in the census
    wanted = "active" if encounter.status == "in-progress" else "planned"
    entries = [e for e in encounter.location or [] if e.status == wanted]
    if not entries:
        raise CensusError(
            f"{where}: {encounter.status} without a {wanted} location; give the bed's unit"
        )
    entry = entries[-1]
    unit = locations.get(entry.location.reference or "")
    if unit is None:
        raise CensusError(
            f"{where}: location {entry.location.reference!r} is not a Location of the bundle"
        )
    facility = _facility_of(unit, locations)
    if facility is None:
        raise CensusError(
            f"{where}: its unit belongs to no Location with a {FACILITY_SYSTEM} identifier"
        )
    start = entry.period.start if entry.period is not None else None
    start = start or (encounter.period.start if encounter.period is not None else None)
    if start is None:
        raise CensusError(f"{where}: no period.start; give when the stay or the wait began")
    hours = (pd.Timestamp(at) - pd.Timestamp(start)).total_seconds() / 3600.0
    if hours < -1e-9:
        raise CensusError(f"{where}: starts after the census time {at.isoformat()}")
    condition = ""
    for code in encounter.reasonCode or []:
        for c in code.coding or []:
            if c.system == CONDITION_SYSTEM and c.code:
                condition = str(c.code)
    ventilated = any(
        x.url == VENTILATED_URL and bool(x.valueBoolean) for x in encounter.extension or []
    )
    identifier = next((x.value for x in encounter.identifier or [] if x.value), encounter.id)
    in_bed = encounter.status == "in-progress"
    return {
        "patient": str(identifier),
        "facility": facility,
        "bed_type": _bed_type(unit),
        "elapsed_hours": max(hours, 0.0) if in_bed else float("nan"),
        "condition": condition,
        "ventilated": ventilated,
        "waiting_hours": float("nan") if in_bed else max(hours, 0.0),
    }


def bundle(census: pd.DataFrame, at: dt.datetime, names: dict[str, str] | None = None) -> dict:
    """A FHIR R4 Bundle (as JSON data) of a census table, validated by the R4B models."""
    from fhir.resources.R4B.bundle import Bundle

    names = names or {}
    entries: list[dict[str, Any]] = []
    for code in sorted(set(census["facility"])):
        entries.append(_resource(_hospital(code, names.get(code, code))))
        for bed in ("ward", "icu", "intermediate"):
            entries.append(_resource(_unit(code, bed)))
    for row in census.to_dict("records"):
        entries.append(_resource(_encounter({str(k): v for k, v in row.items()}, at)))
    data = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    Bundle.model_validate(data)
    return data


def _resource(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:{resource['resourceType']}-{resource['id']}",
        "resource": resource,
    }


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in text)[:64]


def _hospital(code: str, name: str) -> dict[str, Any]:
    return {
        "resourceType": "Location",
        "id": _safe(f"h-{code}"),
        "identifier": [{"system": FACILITY_SYSTEM, "value": code}],
        "status": "active",
        "name": name,
        "mode": "instance",
    }


def _unit_id(code: str, bed: str) -> str:
    return _safe(f"u-{code}-{bed}")


def _unit(code: str, bed: str) -> dict[str, Any]:
    coding = [{"system": BED_SYSTEM, "code": bed}]
    if bed == "icu":
        coding.append({"system": ROLE_CODE, "code": "ICU"})
    return {
        "resourceType": "Location",
        "id": _unit_id(code, bed),
        "status": "active",
        "name": f"{code} {bed}",
        "mode": "kind",
        "type": [{"coding": coding}],
        "partOf": {"reference": f"Location/{_safe('h-' + code)}"},
    }


def _encounter(row: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    waiting = row["waiting_hours"] == row["waiting_hours"]  # not NaN
    hours = row["waiting_hours"] if waiting else row["elapsed_hours"]
    hours = 0.0 if hours != hours else hours
    start = (pd.Timestamp(at) - pd.Timedelta(hours=float(hours))).isoformat()
    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": _safe(f"e-{row['patient']}"),
        "identifier": [{"system": "urn:regional-twin:patient", "value": str(row["patient"])}],
        "status": "arrived" if waiting else "in-progress",
        "class": {"system": ACT_CODE, "code": "IMP"},
        "period": {"start": start},
        "location": [
            {
                "location": {"reference": f"Location/{_unit_id(row['facility'], row['bed_type'])}"},
                "status": "planned" if waiting else "active",
                "period": {"start": start},
            }
        ],
    }
    if row["condition"]:
        encounter["reasonCode"] = [
            {"coding": [{"system": CONDITION_SYSTEM, "code": row["condition"]}]}
        ]
    if row["ventilated"]:
        encounter["extension"] = [{"url": VENTILATED_URL, "valueBoolean": True}]
    return encounter


def write_bundle(census: pd.DataFrame, at: dt.datetime, path: Path) -> Path:
    """Write the Bundle of a census table as a JSON file (atomically)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(bundle(census, at), indent=1))
    tmp.replace(path)
    return path
