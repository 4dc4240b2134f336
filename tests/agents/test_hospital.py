"""A hospital on its own: staffed beds, boarding by acuity, escalation, the teleconsult desk."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import mesa
import numpy as np
import pytest

from agents import CarePolicy, Event, Hospital, Patient
from agents.pathway import Bed, Need


class Calendar(mesa.Model):
    """Just enough of a shard for one hospital: a clock, a policy and a list of events."""

    def __init__(self) -> None:
        super().__init__(seed=1)
        self.now = 0.0
        self.results_from = 0.0
        self.reporting = True
        self.stays: list[tuple[int, int, int, float, float]] = []
        self.events: list[tuple[float, int, int]] = []
        self.finished: list[tuple[int, str]] = []
        self.policy = CarePolicy(
            ed_treat_hours=3,
            clinic_stabilise_hours=1,
            clinic_treat_hours=2,
            transfer_after_hours_ward=12,
            transfer_after_hours_icu=4,
            transfer_retry_hours=4,
            resolve_share=0.75,
            resolve_share_ward=0.25,
            refer_share_without_link=0.6,
            consult_hours=0.5,
            hazard_ward=np.array([0.001]),
            hazard_icu=np.array([0.002]),
            hazard_ventilated=np.array([0.004]),
            hazard_stepdown=np.array([0.0005]),
            ward_wait_excess=np.array([0.001]),
            icu_wait_excess=np.array([0.01]),
            ventilated_wait_excess=np.array([0.02]),
            unventilated_hazard_per_hour=0.05,
            oxygen_ward=(True,),
        )

    def schedule(self, time: float, kind: int, patient: Patient) -> None:
        patient.epoch += 1
        patient.plan_time, patient.plan_kind = time, kind
        self.events.append((time, kind, patient.patient_id))

    def set_risk(self, patient: Patient, bed: int | None = None) -> None:
        patient.hazard_rate = self.policy.hazard_rate(
            patient, patient.bed if bed is None else bed, patient.on_ventilator
        )

    def log_stay(self, patient: Patient, facility: int, bed: int) -> None:
        self.stays.append((patient.patient_id, facility, bed, patient.bed_since, self.now))

    def finish(self, patient: Patient, outcome: str, at: float | None = None) -> None:
        self.finished.append((patient.patient_id, outcome))
        patient.remove()

    def forget_teleconsult(self, patient: Patient) -> None:
        pass

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
        extra.get("death_clock", 0.5),
        0.5,
        0.0,
        0.0,
        7,
        extra.get("vent_on_escalation", False),
        extra.get("stepdown", 0.0),
        extra.get("readmit_after", math.nan),
    )


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


def _icu_full(limit_hours: float) -> tuple[Calendar, Hospital]:
    """A hospital whose one ICU bed is taken, under an ICU wait limit."""
    model = Calendar()
    model.policy = dataclasses.replace(model.policy, icu_wait_limit_hours=limit_hours)
    hospital = Hospital(
        model, 7, ward_beds=2, icu_beds=1, ventilators=2, ward_staffed=2, icu_staffed=1
    )
    hospital.receive(_patient(model, 1, Need.ICU, 1))
    return model, hospital


def _timeouts(model: Calendar, pid: int) -> list[float]:
    return [t for t, kind, p in model.events if kind == Event.TIMEOUT and p == pid]


def test_an_ended_icu_request_goes_on_in_a_ward_bed_at_the_risk_of_one_still_waiting() -> None:
    model, hospital = _icu_full(limit_hours=10.0)
    patient = _patient(model, 2, Need.ICU, 2, ventilator=True, los=30.0)
    hospital.receive(patient)
    waiting_rate = patient.hazard_rate
    assert patient.on_ventilator and hospital.ventilators_in_use == 1  # ventilated boarding
    model.now = 4.0
    hospital.timeout(patient)
    assert _timeouts(model, 2) == [4.0, 8.0]
    model.now = 8.0
    hospital.timeout(patient)
    assert _timeouts(model, 2)[-1] == pytest.approx(10.0)  # the retry stops at the limit
    model.now = 10.0
    hospital.timeout(patient)
    assert patient.need == Need.WARD and patient.icu_denied and patient.bed == Bed.WARD
    assert hospital.icu_queue == [] and hospital.icu_requests_withdrawn == 1
    assert (40.0, Event.DISCHARGE, 2) in model.events and model.finished == []
    # denied care never lowers risk: at least the ICU's own, as high as while waiting
    in_icu = model.policy.hazard_ventilated[0]
    assert patient.hazard_rate == pytest.approx(waiting_rate) and patient.hazard_rate > in_icu


def test_an_escalated_patient_whose_icu_request_ends_keeps_the_ward_bed() -> None:
    model, hospital = _icu_full(limit_hours=12.0)
    patient = _patient(model, 2, Need.WARD, 3, escalate=5.0, los_icu=40.0)
    hospital.receive(patient)
    model.now = 5.0
    hospital.escalate(patient)
    model.now = 17.0
    hospital.timeout(patient)
    assert patient.bed == Bed.WARD and patient.need == Need.WARD and hospital.ward_occupied == 1
    assert (57.0, Event.DISCHARGE, 2) in model.events and hospital.icu_queue == []


def test_without_a_limit_an_icu_request_waits_on() -> None:
    model, hospital = _icu_full(limit_hours=math.inf)
    patient = _patient(model, 2, Need.ICU, 2)
    hospital.receive(patient)
    model.now = 1000.0
    hospital.timeout(patient)
    assert patient.waiting and _timeouts(model, 2)[-1] == 1004.0 and model.finished == []


def test_a_patient_who_waited_elsewhere_has_the_rest_of_the_icu_wait_limit() -> None:
    model, hospital = _icu_full(limit_hours=10.0)
    patient = _patient(model, 2, Need.ICU, 2)
    patient.waited_hours = 8.0  # at the hospital it was transferred from
    model.now = 20.0
    hospital.receive(patient)
    assert _timeouts(model, 2) == [22.0]  # not the usual 4 hours
    model.now = 22.0
    hospital.timeout(patient)
    assert patient.need == Need.WARD and patient.bed == Bed.WARD


def test_a_boarder_without_a_ventilator_runs_the_higher_hazard_until_one_frees() -> None:
    model, hospital = _icu_full(limit_hours=math.inf)
    hospital.set_ventilators_available(1)  # the other one failed
    first = _patient(model, 2, Need.ICU, 1, ventilator=True)
    hospital.receive(first)
    assert first.on_ventilator
    second = _patient(model, 3, Need.ICU, 1, ventilator=True)
    model.now = 1.0
    hospital.receive(second)
    assert not second.on_ventilator and hospital.ventilators_in_use == 1
    short = second.hazard_rate
    assert short == pytest.approx(first.hazard_rate + model.policy.unventilated_hazard_per_hour)
    model.now = 2.0
    hospital.set_ventilators_available(2)  # repaired, it comes back
    assert second.on_ventilator and second.hazard_rate < short
    assert model.events[-1] == (second.plan_time, second.plan_kind, 3)  # booked again


def test_a_failed_ventilator_stays_with_its_patient_but_takes_no_new_one() -> None:
    model, hospital = _icu_full(limit_hours=math.inf)
    hospital.receive(_patient(model, 2, Need.ICU, 1, ventilator=True))
    hospital.set_ventilators_available(0)
    assert hospital.ventilators_in_use == 1
    later = _patient(model, 3, Need.ICU, 1, ventilator=True)
    hospital.receive(later)
    assert not later.on_ventilator and hospital.vent_queue


def test_an_escalation_draws_its_ventilator_need() -> None:
    model = Calendar()
    hospital = Hospital(
        model, 7, ward_beds=2, icu_beds=2, ventilators=2, ward_staffed=2, icu_staffed=2
    )
    patient = _patient(model, 2, Need.WARD, 3, escalate=5.0, vent_on_escalation=True)
    hospital.receive(patient)
    model.now = 5.0
    hospital.escalate(patient)
    assert patient.ventilator and patient.on_ventilator and patient.bed == Bed.ICU


def test_after_the_icu_a_patient_steps_down_to_a_ward_bed_then_home() -> None:
    model = Calendar()
    hospital = Hospital(
        model, 7, ward_beds=1, icu_beds=1, ventilators=1, ward_staffed=1, icu_staffed=1
    )
    patient = _patient(model, 2, Need.ICU, 1, ventilator=True, los=48.0, stepdown=72.0)
    hospital.receive(patient)
    model.now = 48.0
    hospital.discharge(patient)
    assert patient.bed == Bed.WARD and patient.stepdown and patient.need == Need.WARD
    assert hospital.icu_occupied == 0 and hospital.ventilators_in_use == 0
    assert (120.0, Event.DISCHARGE, 2) in model.events
    model.now = 120.0
    hospital.discharge(patient)
    assert model.finished == [(2, "discharged")] and hospital.ward_occupied == 0


def test_a_step_down_patient_waits_in_the_icu_bed_for_a_ward_bed() -> None:
    model = Calendar()
    hospital = Hospital(
        model, 7, ward_beds=1, icu_beds=1, ventilators=1, ward_staffed=1, icu_staffed=1
    )
    hospital.receive(_patient(model, 1, Need.WARD, 3, los=100.0))
    patient = _patient(model, 2, Need.ICU, 2, los=24.0, stepdown=48.0, readmit_after=10.0)
    hospital.receive(patient)
    model.now = 24.0
    hospital.discharge(patient)
    assert patient.bed == Bed.ICU and patient.waiting and hospital.icu_occupied == 1
    model.now = 30.0
    hospital.discharge(_ward_patient(hospital, 1))
    assert patient.bed == Bed.WARD and hospital.icu_occupied == 0
    assert (40.0, Event.ESCALATE, 2) in model.events  # readmitted to the ICU from the ward
    model.now = 40.0
    hospital.escalate(patient)
    assert patient.readmitted and patient.bed == Bed.ICU and hospital.icu_readmissions == 1
    assert patient.los_hours == 24.0  # as long as the first ICU stay


def _ward_patient(hospital: Hospital, pid: int) -> Patient:
    for agent in hospital.model.agents:
        if isinstance(agent, Patient) and agent.patient_id == pid:
            return agent
    raise LookupError(pid)


@pytest.mark.parametrize("need", [Need.WARD, Need.ICU])
@pytest.mark.parametrize("ventilator", [False, True])
def test_denied_care_never_lowers_the_hazard(need: int, ventilator: bool) -> None:
    model = Calendar()
    patient = _patient(model, 2, need, 2, ventilator=ventilator and need == Need.ICU)
    policy = model.policy
    right_bed = Bed.ICU if need == Need.ICU else Bed.WARD
    in_bed = policy.hazard_rate(patient, right_bed, True)
    for bed in (Bed.NONE, Bed.WARD):
        for on in (False, True):
            if bed == right_bed:
                continue
            assert policy.hazard_rate(patient, bed, on) >= in_bed
    patient.icu_denied = need == Need.ICU
    if patient.icu_denied:
        patient.need = Need.WARD
        assert policy.hazard_rate(patient, Bed.WARD, True) >= in_bed
