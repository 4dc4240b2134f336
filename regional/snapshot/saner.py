"""A capacity census as HL7 SANER MeasureReports: read from a FHIR Bundle, and written from one.

A hospital's report is a ``MeasureReport`` (summary, of the SANER measure of patient impact and
hospital capacity) whose ``subject`` is identified by the facility's code (system
``FACILITY_SYSTEM``) and whose ``period.end`` is its time. Its groups' populations are counts,
matched by their code whatever the code system:

- SANER's ``numBedsOcc`` (inpatient beds occupied, ICU included), ``numICUBedsOcc`` and
  ``numVentUse``;
- the twin's own ``numIntermediateBedsOcc``, ``numWardWaiting`` and ``numICUWaiting`` (system
  ``MEASURE_SYSTEM``), which SANER's measure does not count.

Ward patients are ``numBedsOcc`` less the ICU and intermediate patients. The counts become a
per-facility census (``regional.snapshot.records.facility_census``): the latest report of each
hospital at or before the census time.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from regional.snapshot.fhir import FACILITY_SYSTEM
from regional.snapshot.records import CensusError, facility_census

SANER_MEASURE = "http://hl7.org/fhir/uv/saner/Measure/CDCPatientImpactAndHospitalCapacity"
SANER_VALUES = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasuredValues"
MEASURE_SYSTEM = "urn:regional-twin:measure"
# the counts of a report: (code, system, the census column it fills)
POPULATIONS = (
    ("numBedsOcc", SANER_VALUES, "beds_occupied"),
    ("numICUBedsOcc", SANER_VALUES, "icu_occupied"),
    ("numVentUse", SANER_VALUES, "ventilators_in_use"),
    ("numIntermediateBedsOcc", MEASURE_SYSTEM, "intermediate_occupied"),
    ("numWardWaiting", MEASURE_SYSTEM, "waiting_ward"),
    ("numICUWaiting", MEASURE_SYSTEM, "waiting_icu"),
)
_COLUMN_OF = {code.casefold(): column for code, _, column in POPULATIONS}


def census_of_reports(reports: list[tuple[int, Any]], name: str, at: dt.datetime) -> pd.DataFrame:
    """The census patients of a bundle's MeasureReports (entry number, resource).

    Raises:
        CensusError: a report without a facility or a time, or a count that is not one.
    """
    rows = []
    for i, report in reports:
        where = f"{name}: entry {i} (MeasureReport {report.id or '?'})"
        subject = getattr(report, "subject", None)
        identifier = getattr(subject, "identifier", None)
        code = getattr(identifier, "value", None)
        if not code:
            raise CensusError(
                f"{where}: no subject.identifier; identify the hospital by its code "
                f"(system {FACILITY_SYSTEM})"
            )
        period = getattr(report, "period", None)
        when = getattr(period, "end", None) or getattr(report, "date", None)
        if when is None:
            raise CensusError(f"{where}: no period.end nor date; give the report's time")
        row: dict[str, Any] = {"facility": str(code), "time": pd.Timestamp(when).isoformat()}
        for group in report.group or []:
            for population in group.population or []:
                codes = [c.code for c in (population.code.coding or [])] if population.code else []
                column = next((_COLUMN_OF[c.casefold()] for c in codes if c and c.casefold()
                               in _COLUMN_OF), None)  # fmt: skip
                if column is not None:
                    row[column] = population.count if population.count is not None else 0
        critical = int(row.get("icu_occupied", 0)) + int(row.get("intermediate_occupied", 0))
        beds = int(row.pop("beds_occupied", critical))
        if beds < critical:
            raise CensusError(
                f"{where}: numBedsOcc {beds} is fewer than the {critical} ICU and intermediate "
                "patients; numBedsOcc counts every inpatient bed occupied, ICU included"
            )
        row["ward_occupied"] = beds - critical
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("intermediate_occupied", "ventilators_in_use", "waiting_ward", "waiting_icu"):
        if column not in frame:
            frame[column] = 0
    frame = frame.fillna(0)
    return facility_census(frame, name, at)


def measure_report_bundle(counts: pd.DataFrame, names: dict[str, str] | None = None) -> dict:
    """A FHIR R4 Bundle of one SANER MeasureReport a row of ``counts`` (a per-facility census:
    facility, time and the counts of ``regional.snapshot.records.FACILITY_COUNTS``)."""
    names = names or {}
    entries = []
    for k, row in enumerate(counts.to_dict("records")):
        when = pd.Timestamp(row["time"])
        when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
        value = {
            "beds_occupied": int(row["ward_occupied"])
            + int(row["icu_occupied"])
            + int(row.get("intermediate_occupied", 0)),
            **{c: int(row.get(c, 0)) for _, _, c in POPULATIONS if c != "beds_occupied"},
        }
        report = {
            "resourceType": "MeasureReport",
            "id": f"capacity-{k}",
            "status": "complete",
            "type": "summary",
            "measure": SANER_MEASURE,
            "subject": {
                "identifier": {"system": FACILITY_SYSTEM, "value": str(row["facility"])},
                "display": names.get(str(row["facility"]), str(row["facility"])),
            },
            "date": when.isoformat(),
            "period": {
                "start": (when - pd.Timedelta(days=1)).isoformat(),
                "end": when.isoformat(),
            },
            "group": [
                {
                    "population": [
                        {
                            "code": {"coding": [{"system": system, "code": code}]},
                            "count": value[column],
                        }
                        for code, system, column in POPULATIONS
                    ]
                }
            ],
        }
        entries.append({"fullUrl": f"urn:uuid:capacity-{k}", "resource": report})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def counts_of_census(census: pd.DataFrame, at: dt.datetime) -> pd.DataFrame:
    """A census of patients (``regional.snapshot.records.CENSUS_COLUMNS``) as per-facility
    counts at ``at``, the rows ``measure_report_bundle`` writes."""
    waiting = census["waiting_hours"].notna()
    rows = []
    for facility, group in census.groupby("facility", sort=True):
        in_bed = group[~waiting.loc[group.index]]
        queued = group[waiting.loc[group.index]]
        rows.append(
            {
                "facility": facility,
                "time": pd.Timestamp(at).isoformat(),
                "ward_occupied": int((in_bed["bed_type"] == "ward").sum()),
                "icu_occupied": int((in_bed["bed_type"] == "icu").sum()),
                "intermediate_occupied": int((in_bed["bed_type"] == "intermediate").sum()),
                "ventilators_in_use": int(group["ventilated"].astype(bool).sum()),
                "waiting_ward": int((queued["bed_type"] == "ward").sum()),
                "waiting_icu": int((queued["bed_type"] != "ward").sum()),
            }
        )
    return pd.DataFrame(rows)


def write_measure_reports(census: pd.DataFrame, at: dt.datetime, path: Path) -> Path:
    """Write a census of patients as a Bundle of SANER MeasureReports to ``path``."""
    bundle = measure_report_bundle(counts_of_census(census, at))
    path.write_text(json.dumps(bundle, indent=1), encoding="utf-8")
    return path
