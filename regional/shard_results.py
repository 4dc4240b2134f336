"""What a shard records of its patients and facilities: a finished episode's row of the
patients table, and the per-facility counters handed over at the end of a run."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from agents import Hospital, Outcome, Patient, RuralClinic
from agents.pathway import Bed, Need


def patient_row(p: Patient, outcome: str, end_time: float, now: float) -> tuple[object, ...]:
    """The patient's row of ``PATIENT_LOG_SCHEMA``, its episode ending ``end_time``."""
    return (
        p.patient_id,
        p.origin_place,
        p.first_facility,
        p.facility,
        p.condition,
        p.acuity,
        p.need,
        p.ventilator,
        p.onset_time,
        p.arrival_time,
        p.admit_time,
        p.icu_time,
        end_time,
        outcome,
        p.n_transfers,
        p.teleconsulted,
        p.escalated,
        p.hours_waited(now),
        p.icu_denied,
        p.readmitted,
        outcome == Outcome.DIED
        and p.need == Need.ICU
        and p.bed != Bed.ICU
        and p.bed != Bed.INTERMEDIATE,
        p.waiting or p.icu_denied,
    )


def facility_counters(facilities: Iterable[Hospital | RuralClinic]) -> pa.Table:
    """Per-facility counts of what happened there (0 where a kind has no such count)."""
    rows = []
    for fac in facilities:
        is_hospital = isinstance(fac, Hospital)
        rows.append(
            {
                "facility_id": fac.facility_id,
                "arrivals": fac.arrivals,
                "admissions": fac.admissions if is_hospital else 0,
                "transfer_admissions": fac.transfer_admissions if is_hospital else 0,
                "icu_admissions": fac.icu_admissions if is_hospital else 0,
                "intermediate_admissions": fac.intermediate_admissions if is_hospital else 0,
                "transfer_icu_admissions": fac.transfer_icu_admissions if is_hospital else 0,
                "transfers_out": fac.transfers_out,
                "transfers_in": fac.transfers_in if is_hospital else 0,
                "deaths": fac.deaths,
                "icu_readmissions": fac.icu_readmissions if is_hospital else 0,
                "died_waiting": fac.died_waiting,
                "icu_requests_withdrawn": fac.icu_requests_withdrawn if is_hospital else 0,
                "teleconsults": 0 if is_hospital else fac.teleconsults,
                "teleconsults_answered": fac.teleconsults_answered if is_hospital else 0,
                "treated_locally": 0 if is_hospital else fac.treated_locally,
                "post_waited_hours": 0.0 if is_hospital else fac.waited_hours,
            }
        )
    if not rows:
        return pa.table({"facility_id": pa.array([], pa.int32())})
    return pa.Table.from_pylist(rows)
