"""A hospital on its own: staffed beds, boarding by acuity, escalation, the teleconsult desk."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import mesa
import numpy as np
import pytest

from agents import CarePolicy, Event, Hospital, Patient
from agents.hospital import staffed_beds
from agents.pathway import Bed, Need


class Calendar(mesa.Model):
    """Just enough of a shard for one hospital: a clock, a policy and a list of events."""

    def __init__(self) -> None:
        super().__init__(seed=1)
        self.now = 0.0
        self.events: list[tuple[float, int, int]] = []
        self.finished: list[tuple[int, str]] = []
        self.policy = CarePolicy(
            ed_treat_hours=3,
            clinic_stabilise_hours=1,
            clinic_treat_hours=2,
            transfer_after_hours_ward=12,
            transfer_after_hours_icu=4,
            transfer_retry_hours=4,
            death_risk_per_waiting_day=0.2,
            resolve_share=0.75,
            resolve_share_ward=0.25,
            refer_share_without_link=0.6,
            consult_hours=0.5,
            p_death_ward=np.array([0.1]),
            p_death_icu=np.array([0.2]),
            p_death_ventilated=np.array([0.4]),
        )

    def schedule(self, time: float, kind: int, patient: Patient) -> None:
        patient.epoch += 1
        self.events.append((time, kind, patient.patient_id))

    def finish(self, patient: Patient, outcome: str) -> None:
        self.finished.append((patient.patient_id, outcome))
        patient.remove()

    def transfer_out(self, patient: Patient, source: Any, reason: str) -> bool:
        return False

    def request_teleconsult(self, patient: Patient, clinic: Any) -> None:
        raise AssertionError("hospitals do not teleconsult")


def _patient(model: Calendar, pid: int, need: int, acuity: int, **extra: Any) -> Patient:
    return Patient(
        model,
        pid,
        1,
        0,
        acuity,
        need,
        extra.get("ventilator", False),
        extra.get("los", 24.0),
        extra.get("escalate", math.nan),
        extra.get("los_icu", 48.0),
        extra.get("u_death", 0.5),
        0.5,
        0.0,
        0.0,
        7,
    )


def test_staffed_beds_follow_nurses_on_shift() -> None:
    assert staffed_beds(40, 5, 6.0) == 30
    assert staffed_beds(20, 5, 6.0) == 20
    assert staffed_beds(20, 0, 6.0) == 0


def test_boarders_are_admitted_by_acuity_then_wait() -> None:
    model = Calendar()
    hospital = Hospital(
        model, 7, ward_beds=1, icu_beds=0, ventilators=0, ward_staffed=1, icu_staffed=0
    )
    first = _patient(model, 1, Need.WARD, 3)
    hospital.receive(first)
    late_urgent = _patient(model, 3, Need.WARD, 2)
    early_routine = _patient(model, 2, Need.WARD, 3)
    model.now = 1.0
    hospital.receive(early_routine)
    model.now = 2.0
    hospital.receive(late_urgent)
    assert [e[2] for e in hospital.ward_queue] == [3, 2]
    assert (12.0 + 1.0, Event.TIMEOUT, 2) in model.events
    model.now = 24.0
    hospital.discharge(first)
    assert late_urgent.bed == Bed.WARD and late_urgent.waited_hours == pytest.approx(22.0)
    assert early_routine.waiting and hospital.ward_occupied == 1


def test_escalated_patient_keeps_the_ward_bed_until_icu() -> None:
    model = Calendar()
    hospital = Hospital(
        model, 7, ward_beds=2, icu_beds=1, ventilators=1, ward_staffed=2, icu_staffed=1
    )
    blocker = _patient(model, 1, Need.ICU, 1)
    hospital.receive(blocker)
    patient = _patient(model, 2, Need.WARD, 3, escalate=10.0)
    hospital.receive(patient)
    model.now = 10.0
    hospital.escalate(patient)
    assert patient.need == Need.ICU and patient.bed == Bed.WARD and patient.waiting
    assert hospital.ward_occupied == 1 and hospital.waiting_without_bed == 0
    model.now = 30.0
    hospital.discharge(blocker)
    assert patient.bed == Bed.ICU and hospital.ward_occupied == 0
    assert patient.icu_time == 30.0 and patient.admit_time == 0.0


def test_teleconsult_desk_is_first_come_first_served_on_its_specialists() -> None:
    model = Calendar()
    hub = Hospital(
        model,
        7,
        ward_beds=1,
        icu_beds=0,
        ventilators=0,
        ward_staffed=1,
        icu_staffed=0,
        tele_specialists=2,
    )
    answers = [hub.answer_teleconsult(t, Need.NONE, 0.1)[0] for t in (0.0, 0.0, 0.0, 0.2, 5.0)]
    assert answers == pytest.approx([0.5, 0.5, 1.0, 1.0, 5.5])
    assert hub.answer_teleconsult(6.0, Need.WARD, 0.9)[1] == "transfer"
    assert hub.answer_teleconsult(6.0, Need.NONE, 0.1)[1] == "treat_locally"


def test_a_free_icu_bed_is_not_held_for_a_patient_waiting_for_a_ventilator() -> None:
    model = Calendar()
    hospital = Hospital(
        model, 7, ward_beds=1, icu_beds=2, ventilators=1, ward_staffed=1, icu_staffed=2
    )
    hospital.receive(_patient(model, 1, Need.ICU, 1, ventilator=True))
    blocked = _patient(model, 2, Need.ICU, 1, ventilator=True)
    hospital.receive(blocked)
    assert blocked.waiting and hospital.icu_occupied == 1
    later = _patient(model, 3, Need.ICU, 2)
    model.now = 1.0
    hospital.receive(later)
    assert later.bed == Bed.ICU and not later.waiting
    assert [e[2] for e in hospital.icu_queue] == [2]


def _icu_full(limit_hours: float, death_share: float) -> tuple[Calendar, Hospital]:
    """A hospital whose one ICU bed is taken, under an ICU wait limit."""
    model = Calendar()
    model.policy = dataclasses.replace(
        model.policy, icu_wait_limit_hours=limit_hours, icu_wait_death_share=death_share
    )
    hospital = Hospital(
        model, 7, ward_beds=2, icu_beds=1, ventilators=1, ward_staffed=2, icu_staffed=1
    )
    hospital.receive(_patient(model, 1, Need.ICU, 1))
    return model, hospital


def _timeouts(model: Calendar, pid: int) -> list[float]:
    return [t for t, kind, p in model.events if kind == Event.TIMEOUT and p == pid]


def test_an_icu_request_ends_in_death_at_the_wait_limit_for_the_death_share() -> None:
    model, hospital = _icu_full(limit_hours=10.0, death_share=0.3)
    patient = _patient(model, 2, Need.ICU, 2, ventilator=True, u_death=0.2)
    hospital.receive(patient)
    model.now = 4.0
    hospital.timeout(patient)
    assert _timeouts(model, 2) == [4.0, 8.0]
    model.now = 8.0
    hospital.timeout(patient)
    assert _timeouts(model, 2)[-1] == pytest.approx(10.0)  # the retry stops at the limit
    model.now = 10.0
    hospital.timeout(patient)
    assert model.finished == [(2, "died")]
    assert hospital.icu_queue == [] and hospital.deaths == hospital.died_waiting == 1
    assert patient.waited_hours == pytest.approx(10.0) and math.isnan(patient.icu_time)


def test_a_survivor_of_an_ended_icu_request_goes_on_in_a_ward_bed() -> None:
    model, hospital = _icu_full(limit_hours=6.0, death_share=0.3)
    patient = _patient(model, 2, Need.ICU, 2, ventilator=True, u_death=0.65, los=30.0)
    hospital.receive(patient)
    model.now = 6.0
    hospital.timeout(patient)
    assert patient.need == Need.WARD and not patient.ventilator
    assert patient.bed == Bed.WARD and hospital.ward_occupied == 1 and not patient.waiting
    assert patient.u_death == pytest.approx(0.5)  # (0.65 - 0.3) / 0.7: a fresh uniform
    assert (36.0, Event.DISCHARGE, 2) in model.events
    assert hospital.icu_requests_withdrawn == 1 and model.finished == []


def test_an_escalated_patient_whose_icu_request_ends_keeps_the_ward_bed() -> None:
    model, hospital = _icu_full(limit_hours=12.0, death_share=0.0)
    patient = _patient(model, 2, Need.WARD, 3, escalate=5.0, los_icu=40.0)
    hospital.receive(patient)
    model.now = 5.0
    hospital.escalate(patient)
    model.now = 17.0
    hospital.timeout(patient)
    assert patient.bed == Bed.WARD and patient.need == Need.WARD and hospital.ward_occupied == 1
    assert (57.0, Event.DISCHARGE, 2) in model.events and hospital.icu_queue == []


def test_without_a_limit_an_icu_request_waits_on() -> None:
    model, hospital = _icu_full(limit_hours=math.inf, death_share=0.3)
    patient = _patient(model, 2, Need.ICU, 2, u_death=0.0)
    hospital.receive(patient)
    model.now = 1000.0
    hospital.timeout(patient)
    assert patient.waiting and _timeouts(model, 2)[-1] == 1004.0 and model.finished == []


def test_a_patient_who_waited_elsewhere_has_the_rest_of_the_icu_wait_limit() -> None:
    model, hospital = _icu_full(limit_hours=10.0, death_share=0.0)
    patient = _patient(model, 2, Need.ICU, 2)
    patient.waited_hours = 8.0  # at the hospital it was transferred from
    model.now = 20.0
    hospital.receive(patient)
    assert _timeouts(model, 2) == [22.0]  # not the usual 4 hours
    model.now = 22.0
    hospital.timeout(patient)
    assert patient.need == Need.WARD and patient.bed == Bed.WARD
