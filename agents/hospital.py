"""The hospital: wards, intermediate care and ICU with staffed beds, a ventilator pool, boarding
queues, tele desk."""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING

import mesa

from agents.pathway import Bed, Event, Need, Outcome
from agents.teledesk import TeleconsultDesk
from agents.ventilators import VentilatorPool

if TYPE_CHECKING:
    from agents.pathway import CareNetwork
    from agents.patient import Patient

QueueEntry = tuple[int, float, int, "Patient"]


class Hospital(VentilatorPool, TeleconsultDesk, mesa.Agent):
    """A hospital of one tier: admits to ward or ICU, boards when full, transfers out.

    Queues are ordered by acuity, then the time the wait began, then the stable patient id,
    so the order never depends on the order in which events were scheduled.

    Ventilators are one pool: patients in the ICU who need one use it, and so do patients who
    need one while they board for an ICU bed (in the emergency department or a ward bed), as
    long as one is in service (``ventilators_available``: not failed, not in maintenance).
    A patient who needs a ventilator and has none waits for one in ``vent_queue``.

    Intermediate care takes ICU-level patients who need no ventilator: they go there first and
    to the ICU when it is full, so ICU beds are kept for the ventilated. Both pools fill from
    the one ICU queue in priority order.
    """

    kind = "hospital"

    def __init__(
        self,
        model: CareNetwork,
        facility_id: int,
        ward_beds: int,
        icu_beds: int,
        ventilators: int,
        ward_staffed: int,
        icu_staffed: int,
        tele_specialists: int = 0,
        intermediate_beds: int = 0,
        intermediate_staffed: int = 0,
    ) -> None:
        super().__init__(model)
        self.network = model
        self._ward_oxygen = model.policy.oxygen_ward  # by condition: on oxygen in a ward bed
        self.facility_id = facility_id
        self.ward_beds = ward_beds
        self.icu_beds = icu_beds
        self.ventilators = ventilators
        self.ventilators_available = ventilators
        self.ward_staffed = ward_staffed
        self.icu_staffed = icu_staffed
        self.intermediate_beds = intermediate_beds
        self.intermediate_staffed = intermediate_staffed
        self.ward_occupied = 0
        self.icu_occupied = 0
        self.intermediate_occupied = 0
        self.ventilators_in_use = 0
        self.ward_on_oxygen = 0
        self.in_ed = 0
        self.ward_queue: list[QueueEntry] = []
        self.icu_queue: list[QueueEntry] = []
        self.vent_queue: list[QueueEntry] = []
        self.tele_free_at = [0.0] * tele_specialists
        self.desk_week_offset_hours = 0.0  # local hour of the week at the run's hour 0
        # counters of the reported period (they add ``network.reporting``, 0 in a warm-up);
        # admissions as ``count_admission`` counts them
        self.arrivals = 0
        self.admissions = 0
        self.transfer_admissions = 0
        self.icu_admissions = 0
        self.intermediate_admissions = 0
        self.transfer_icu_admissions = 0
        self.icu_readmissions = 0
        self.transfers_out = 0
        self.transfers_in = 0
        self.deaths = 0
        self.died_waiting = 0
        self.icu_requests_withdrawn = 0
        self.discharges = 0
        self.teleconsults_answered = 0

    # -- the pathway --------------------------------------------------------------------------

    def receive(self, patient: Patient) -> None:
        """A patient arrives: triage to the emergency department, a ward or the ICU."""
        self.arrivals += self.network.reporting
        patient.facility = self.facility_id
        if patient.need == Need.NONE:
            self.in_ed += 1
            self.network.schedule(
                self.network.now + self.network.policy.ed_treat_hours, Event.TREATED, patient
            )
        elif patient.need == Need.WARD:
            self.request_ward(patient)
        else:
            self.request_icu(patient)

    def request_ward(self, patient: Patient) -> None:
        """Admit to a staffed ward bed or board in the ward queue."""
        if self.ward_occupied < self.ward_staffed and not self.ward_queue:
            self.admit_ward(patient)
        else:
            self._board(self.ward_queue, patient, self.network.policy.transfer_after_hours_ward)

    def request_icu(self, patient: Patient) -> None:
        """Admit to a staffed ICU bed (with a ventilator if needed) or board in the ICU queue."""
        if not self.icu_queue and self._intermediate_fits(patient):
            self.admit_intermediate(patient)
        elif not self.icu_queue and self._icu_fits(patient):
            self.admit_icu(patient)
        else:
            limit = self.network.policy.transfer_after_hours_icu
            if self.icu_beds == 0 and not self._intermediate_suits(patient):
                # no ICU here: look for one at once
                limit = min(limit, 1.0)
            # ventilated while boarding if the pool has one in service
            needs_one = patient.ventilator and not patient.on_ventilator
            if needs_one and not self._take_ventilator(patient):
                self._queue_for_ventilator(patient)
            # a patient who waited elsewhere has only the rest of the ICU wait limit left
            self._board(self.icu_queue, patient, max(0.0, min(limit, self._icu_wait_left(patient))))
            # those ahead may be waiting for a ventilator while a bed suits this patient
            self.fill_icu()

    def _icu_wait_left(self, patient: Patient) -> float:
        """Hours the patient may still wait for an ICU bed before the request ends."""
        return self.network.policy.icu_wait_limit_hours - patient.hours_waited(self.network.now)

    def _intermediate_suits(self, patient: Patient) -> bool:
        """Intermediate care here would do for the patient (no ventilator needed)."""
        return self.intermediate_beds > 0 and not patient.ventilator

    def _intermediate_fits(self, patient: Patient) -> bool:
        return not patient.ventilator and self.intermediate_occupied < self.intermediate_staffed

    def _icu_fits(self, patient: Patient) -> bool:
        return self.icu_occupied < self.icu_staffed and (
            not patient.ventilator or patient.on_ventilator or self._ventilator_free()
        )

    def _board(self, queue: list[QueueEntry], patient: Patient, limit_hours: float) -> None:
        now = self.network.now
        patient.start_waiting(now)
        bisect.insort(queue, (patient.acuity, now, patient.patient_id, patient))
        self.network.set_risk(patient, patient.bed)
        self.network.schedule(now + limit_hours, Event.TIMEOUT, patient)

    def admit_ward(self, patient: Patient) -> None:
        """Put the patient in a ward bed and book the end of the stay or the escalation.

        A patient stepping down from the ICU leaves the ICU bed (and ventilator) for it.
        """
        now = self.network.now
        patient.stop_waiting(now)
        from_icu = patient.bed == Bed.ICU or patient.bed == Bed.INTERMEDIATE
        if from_icu:
            self._free_bed(patient)
        else:
            count_admission(self, patient, icu=False)
        self.ward_occupied += 1
        patient.bed = Bed.WARD
        patient.bed_since = now
        if self._ward_oxygen[patient.condition]:
            self.ward_on_oxygen += 1
        if math.isnan(patient.admit_time):
            patient.admit_time = now
        self.network.set_risk(patient, Bed.WARD)
        if not math.isnan(patient.escalate_after_hours):
            self.network.schedule(now + patient.escalate_after_hours, Event.ESCALATE, patient)
        else:
            self.network.schedule(now + patient.los_hours, Event.DISCHARGE, patient)
        if from_icu:
            self.fill_icu()

    def _leave_ward_for_critical_care(self, patient: Patient, now: float) -> bool:
        """A patient about to take an ICU or intermediate bed stops waiting and, if escalated
        from a ward bed, leaves it; whether it came from one."""
        patient.stop_waiting(now)
        if patient.bed != Bed.WARD:
            return False
        self.network.log_stay(patient, self.facility_id, Bed.WARD)
        self.ward_occupied -= 1
        if self._ward_oxygen[patient.condition]:
            self.ward_on_oxygen -= 1
        return True

    def admit_intermediate(self, patient: Patient) -> None:
        """Put an ICU-level patient who needs no ventilator in an intermediate-care bed, freeing
        the ward bed of an escalated patient."""
        now = self.network.now
        from_ward = self._leave_ward_for_critical_care(patient, now)
        count_admission(self, patient, icu=False, to_hospital=not from_ward)
        if patient.arrival_time >= self.network.results_from:
            self.intermediate_admissions += 1
            if patient.readmitted:
                self.icu_readmissions += 1
        self.intermediate_occupied += 1
        patient.bed = Bed.INTERMEDIATE
        patient.bed_since = now
        if math.isnan(patient.admit_time):
            patient.admit_time = now
        self.network.set_risk(patient, Bed.INTERMEDIATE)
        self.network.schedule(now + patient.los_hours, Event.DISCHARGE, patient)
        if from_ward:
            self.fill_ward()

    def admit_icu(self, patient: Patient) -> None:
        """Put the patient in an ICU bed, freeing the ward bed of an escalated patient."""
        now = self.network.now
        from_ward = self._leave_ward_for_critical_care(patient, now)
        count_admission(self, patient, icu=True, to_hospital=not from_ward)
        self.icu_occupied += 1
        if patient.ventilator and not patient.on_ventilator:
            self._take_ventilator(patient)
        patient.bed = Bed.ICU
        patient.bed_since = now
        if math.isnan(patient.admit_time):
            patient.admit_time = now
        if math.isnan(patient.icu_time):
            patient.icu_time = now
        self.network.set_risk(patient, Bed.ICU)
        self.network.schedule(now + patient.los_hours, Event.DISCHARGE, patient)
        if from_ward:
            self.fill_ward()

    def escalate(self, patient: Patient) -> None:
        """A ward patient deteriorates (or a step-down patient is readmitted) and now needs the
        ICU; keeps the ward bed meanwhile."""
        if patient.stepdown:
            patient.readmitted = True
            patient.stepdown = False
            patient.ventilator = False
        else:
            patient.escalated = True
            patient.ventilator = patient.vent_on_escalation
        patient.need = Need.ICU
        patient.los_hours = patient.los_icu_after_hours
        patient.escalate_after_hours = math.nan
        patient.acuity = min(patient.acuity, 2)
        self.request_icu(patient)

    def discharge(self, patient: Patient) -> None:
        """End of a stay: an ICU or intermediate-care stay steps down to a ward bed, a ward stay
        goes home."""
        critical = patient.bed == Bed.ICU or patient.bed == Bed.INTERMEDIATE
        if critical and patient.los_stepdown_hours > 0:
            self._step_down(patient)
            return
        self._free_bed(patient)
        self.discharges += 1
        self.network.finish(patient, Outcome.DISCHARGED)
        self.fill_icu()
        self.fill_ward()

    def _step_down(self, patient: Patient) -> None:
        """The ICU stay is over: the patient needs a ward bed for the step-down stay and keeps
        the ICU bed until one is free. A readmission share goes back to the ICU from there."""
        patient.need = Need.WARD
        patient.stepdown = True
        patient.los_icu_after_hours = patient.los_hours  # a readmission stays as long again
        patient.los_hours = patient.los_stepdown_hours
        patient.los_stepdown_hours = 0.0  # one step-down an episode: the next ICU stay ends it
        patient.escalate_after_hours = patient.readmit_after_hours
        patient.readmit_after_hours = math.nan
        patient.acuity = 2
        self._release_ventilator(patient)
        self.request_ward(patient)
        self.fill_icu()

    def die(self, patient: Patient) -> None:
        """The patient's hazard has run out: death now, wherever in the hospital they are."""
        if patient.waiting:
            needs_icu = patient.need == Need.ICU
            queue = self.icu_queue if needs_icu else self.ward_queue
            key = (patient.acuity, patient.wait_since, patient.patient_id)
            del queue[find(queue, key, patient)]
            self.died_waiting += needs_icu and self.network.reporting
        self.deaths += self.network.reporting
        self.network.finish(patient, Outcome.DIED)  # logged while it still has its bed
        patient.stop_waiting(self.network.now)  # logged as waiting: the wait ended in death
        self._free_bed(patient)
        self.fill_icu()
        self.fill_ward()

    def treated(self, patient: Patient) -> None:
        """The emergency department sends a minor case home."""
        self.in_ed -= 1
        self.discharges += 1
        self.network.finish(patient, Outcome.DISCHARGED)

    def timeout(self, patient: Patient) -> None:
        """No bed freed up in time: transfer out if the board shows a place, else wait on.

        An ICU request that has waited its limit ends instead (see ``end_icu_request``).
        """
        now = self.network.now
        policy = self.network.policy
        icu = patient.need == Need.ICU
        queue = self.icu_queue if icu else self.ward_queue
        key = (patient.acuity, patient.wait_since, patient.patient_id)  # before it stops waiting
        left = self._icu_wait_left(patient) if icu else math.inf
        if left <= 1e-9:
            del queue[find(queue, key, patient)]
            self.end_icu_request(patient)
            return
        reason = "no_icu" if icu and self.icu_beds == 0 else "no_bed"
        if self.network.transfer_out(patient, self, reason):
            del queue[find(queue, key, patient)]
            self.transfers_out += self.network.reporting
            if patient.bed != Bed.NONE or patient.on_ventilator:
                self._free_bed(patient)
                self.fill_icu()
                self.fill_ward()
        else:
            retry = min(policy.transfer_retry_hours, left)
            self.network.schedule(now + retry, Event.TIMEOUT, patient)

    def end_icu_request(self, patient: Patient) -> None:
        """The ICU request of a patient taken off the queue ends: the patient goes on in a ward
        bed for the ICU stay, at the risk of one still waiting (denied care never lowers risk)."""
        now = self.network.now
        patient.stop_waiting(now)
        patient.need = Need.WARD
        patient.icu_denied = True
        patient.escalate_after_hours = math.nan
        patient.los_stepdown_hours = 0.0
        self.icu_requests_withdrawn += self.network.reporting
        if patient.bed == Bed.WARD:
            self.network.set_risk(patient, Bed.WARD)
            self.network.schedule(now + patient.los_hours, Event.DISCHARGE, patient)
        else:
            self.request_ward(patient)

    # -- beds and ventilators -----------------------------------------------------------------

    def _free_bed(self, patient: Patient) -> None:
        if patient.bed != Bed.NONE:
            self.network.log_stay(patient, self.facility_id, patient.bed)
        if patient.bed == Bed.WARD:
            self.ward_occupied -= 1
            if self._ward_oxygen[patient.condition]:
                self.ward_on_oxygen -= 1
        elif patient.bed == Bed.ICU:
            self.icu_occupied -= 1
        elif patient.bed == Bed.INTERMEDIATE:
            self.intermediate_occupied -= 1
        if patient.on_ventilator:
            self._release_ventilator(patient)
        patient.bed = Bed.NONE

    def set_ventilators_available(self, available: int) -> None:
        """Ventilators in service now (failures, repairs and maintenance change it). Patients
        on a ventilator keep it; new ones get one only while fewer are in use than in service."""
        self.ventilators_available = available
        self.hand_out_ventilators()
        self.fill_icu()

    def fill_ward(self) -> None:
        """Admit boarders from the ward queue while staffed beds are free."""
        while self.ward_queue and self.ward_occupied < self.ward_staffed:
            self.admit_ward(self.ward_queue.pop(0)[3])

    def fill_icu(self) -> None:
        """Admit boarders from the ICU queue, in priority order, that fit the free capacity of
        intermediate care (those who need no ventilator) or of the ICU."""
        i = 0
        queue = self.icu_queue
        while i < len(queue) and (
            self.icu_occupied < self.icu_staffed
            or self.intermediate_occupied < self.intermediate_staffed
        ):
            patient = queue[i][3]
            if self._intermediate_fits(patient):
                del queue[i]
                self.admit_intermediate(patient)
            elif self._icu_fits(patient):
                del queue[i]
                self.admit_icu(patient)
            else:
                i += 1

    def restaff(
        self, ward_staffed: int, icu_staffed: int, intermediate_staffed: int | None = None
    ) -> None:
        """New staffed beds: a bed that lost its nurse takes no one new (its patient stays),
        and beds that gained one fill from the queues."""
        self.ward_staffed = ward_staffed
        self.icu_staffed = icu_staffed
        if intermediate_staffed is not None:
            self.intermediate_staffed = intermediate_staffed
        if self.icu_queue:
            self.fill_icu()
        if self.ward_queue:
            self.fill_ward()

    # -- state --------------------------------------------------------------------------------

    @property
    def waiting_without_bed(self) -> int:
        """Patients boarding who have no bed at all."""
        if not self.ward_queue and not self.icu_queue:
            return 0
        return sum(1 for e in self.ward_queue if e[3].bed == Bed.NONE) + sum(
            1 for e in self.icu_queue if e[3].bed == Bed.NONE
        )


def count_admission(
    hospital: Hospital, patient: Patient, icu: bool, to_hospital: bool = True
) -> None:
    """Count an admission (to the hospital, to its ICU) of an episode of the reported period;
    the starting census and the warm-up's episodes are not counted. An episode's first
    admission counts once, at the hospital that takes it; one after another hospital's is a
    transfer admission. An ICU stay is the episode's first, a readmission or, after a
    transfer, a transfer ICU admission."""
    if patient.arrival_time < hospital.network.results_from:
        return
    if to_hospital:
        if math.isnan(patient.admit_time):
            hospital.admissions += 1
        else:
            hospital.transfer_admissions += 1
    if icu:
        if math.isnan(patient.icu_time):
            hospital.icu_admissions += 1
        elif patient.readmitted:
            hospital.icu_readmissions += 1
        else:
            hospital.transfer_icu_admissions += 1


def find(queue: list[QueueEntry], key: tuple[int, float, int], patient: Patient) -> int:
    """The patient's place in a queue, by bisection on the key it was queued under."""
    i = bisect.bisect_left(queue, key)
    if i < len(queue) and queue[i][3] is patient:
        return i
    raise LookupError(f"patient {patient.patient_id} is not in the queue")
