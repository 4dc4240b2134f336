"""The hospital: wards and ICU with staffed beds, ventilators, boarding queues and a tele desk."""

from __future__ import annotations

import bisect
import heapq
import math
from typing import TYPE_CHECKING

import mesa

from agents.pathway import Bed, Event, Need, Outcome

if TYPE_CHECKING:
    from agents.pathway import CareNetwork
    from agents.patient import Patient


def staffed_beds(beds: int, nurses_on_shift: int, patients_per_nurse: float) -> int:
    """Beds that can take a patient: the physical beds the nurses on shift can look after."""
    return max(0, min(beds, math.floor(nurses_on_shift * patients_per_nurse + 1e-9)))


class Hospital(mesa.Agent):
    """A hospital of one tier: admits to ward or ICU, boards when full, transfers out.

    Queues are ordered by acuity, then the time the wait began, then the stable patient id,
    so the order never depends on the order in which events were scheduled.
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
    ) -> None:
        super().__init__(model)
        self.network = model
        self.facility_id = facility_id
        self.ward_beds = ward_beds
        self.icu_beds = icu_beds
        self.ventilators = ventilators
        self.ward_staffed = ward_staffed
        self.icu_staffed = icu_staffed
        self.ward_occupied = 0
        self.icu_occupied = 0
        self.ventilators_in_use = 0
        self.in_ed = 0
        self.ward_queue: list[tuple[int, float, int, Patient]] = []
        self.icu_queue: list[tuple[int, float, int, Patient]] = []
        self.tele_free_at = [0.0] * tele_specialists
        self.arrivals = 0
        self.admissions = 0
        self.icu_admissions = 0
        self.transfers_out = 0
        self.transfers_in = 0
        self.deaths = 0
        self.died_waiting = 0
        self.icu_requests_withdrawn = 0
        self.discharges = 0
        self.teleconsults = 0

    # -- the pathway --------------------------------------------------------------------------

    def receive(self, patient: Patient) -> None:
        """A patient arrives: triage to the emergency department, a ward or the ICU."""
        self.arrivals += 1
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
        if not self.icu_queue and self._icu_fits(patient):
            self.admit_icu(patient)
        else:
            limit = self.network.policy.transfer_after_hours_icu
            if self.icu_staffed == 0:
                limit = min(limit, 1.0)
            # a patient who waited elsewhere has only the rest of the ICU wait limit left
            self._board(self.icu_queue, patient, max(0.0, min(limit, self._icu_wait_left(patient))))
            # those ahead may be waiting for a ventilator while a bed suits this patient
            self.fill_icu()

    def _icu_wait_left(self, patient: Patient) -> float:
        """Hours the patient may still wait for an ICU bed before the request ends."""
        return self.network.policy.icu_wait_limit_hours - patient.hours_waited(self.network.now)

    def _icu_fits(self, patient: Patient) -> bool:
        return self.icu_occupied < self.icu_staffed and (
            not patient.ventilator or self.ventilators_in_use < self.ventilators
        )

    def _board(
        self, queue: list[tuple[int, float, int, Patient]], patient: Patient, limit_hours: float
    ) -> None:
        now = self.network.now
        patient.start_waiting(now)
        bisect.insort(queue, (patient.acuity, now, patient.patient_id, patient))
        self.network.schedule(now + limit_hours, Event.TIMEOUT, patient)

    def admit_ward(self, patient: Patient) -> None:
        """Put the patient in a ward bed and book the end of the stay or the escalation."""
        now = self.network.now
        patient.stop_waiting(now)
        self.ward_occupied += 1
        self.admissions += 1
        patient.bed = Bed.WARD
        if math.isnan(patient.admit_time):
            patient.admit_time = now
        if not math.isnan(patient.escalate_after_hours):
            self.network.schedule(now + patient.escalate_after_hours, Event.ESCALATE, patient)
        else:
            self.network.schedule(now + patient.los_hours, Event.DISCHARGE, patient)

    def admit_icu(self, patient: Patient) -> None:
        """Put the patient in an ICU bed, freeing the ward bed of an escalated patient."""
        now = self.network.now
        patient.stop_waiting(now)
        if patient.bed == Bed.WARD:
            self.ward_occupied -= 1
        else:
            self.admissions += 1
        self.icu_occupied += 1
        self.icu_admissions += 1
        if patient.ventilator:
            self.ventilators_in_use += 1
        patient.bed = Bed.ICU
        if math.isnan(patient.admit_time):
            patient.admit_time = now
        if math.isnan(patient.icu_time):
            patient.icu_time = now
        self.network.schedule(now + patient.los_hours, Event.DISCHARGE, patient)
        self.fill_ward()

    def escalate(self, patient: Patient) -> None:
        """A ward patient deteriorates and now needs the ICU; keeps the ward bed meanwhile."""
        patient.need = Need.ICU
        patient.escalated = True
        patient.los_hours = patient.los_icu_after_hours
        patient.escalate_after_hours = math.nan
        patient.acuity = min(patient.acuity, 2)
        self.request_icu(patient)

    def discharge(self, patient: Patient) -> None:
        """End of stay: free the bed, decide the outcome, and let the next patient in."""
        self._free_bed(patient)
        died = patient.u_death < self.network.policy.death_probability(patient)
        if died:
            self.deaths += 1
        else:
            self.discharges += 1
        self.network.finish(patient, Outcome.DIED if died else Outcome.DISCHARGED)
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
            del queue[self._find(queue, key, patient)]
            self.end_icu_request(patient)
            return
        reason = "no_icu" if icu and self.icu_staffed == 0 else "no_bed"
        if self.network.transfer_out(patient, self, reason):
            del queue[self._find(queue, key, patient)]
            self.transfers_out += 1
            if patient.bed != Bed.NONE:
                self._free_bed(patient)
                self.fill_ward()
        else:
            retry = min(policy.transfer_retry_hours, left)
            self.network.schedule(now + retry, Event.TIMEOUT, patient)

    def end_icu_request(self, patient: Patient) -> None:
        """The ICU request of a patient taken off the queue ends: death, or on in a ward bed.

        The patient's death draw decides; a survivor's draw is rescaled to a fresh uniform so
        that the risk at the end of the ward stay stays independent of this outcome.
        """
        now = self.network.now
        share = self.network.policy.icu_wait_death_share
        patient.stop_waiting(now)
        if patient.u_death < share:
            self._free_bed(patient)
            self.deaths += 1
            self.died_waiting += 1
            self.network.finish(patient, Outcome.DIED)
            self.fill_ward()
            return
        patient.u_death = (patient.u_death - share) / (1.0 - share)
        patient.need = Need.WARD
        patient.ventilator = False
        patient.escalate_after_hours = math.nan
        self.icu_requests_withdrawn += 1
        if patient.bed == Bed.WARD:
            self.network.schedule(now + patient.los_hours, Event.DISCHARGE, patient)
        else:
            self.request_ward(patient)

    # -- beds ---------------------------------------------------------------------------------

    def _free_bed(self, patient: Patient) -> None:
        if patient.bed == Bed.WARD:
            self.ward_occupied -= 1
        elif patient.bed == Bed.ICU:
            self.icu_occupied -= 1
            if patient.ventilator:
                self.ventilators_in_use -= 1
        patient.bed = Bed.NONE

    def fill_ward(self) -> None:
        """Admit boarders from the ward queue while staffed beds are free."""
        while self.ward_queue and self.ward_occupied < self.ward_staffed:
            self.admit_ward(self.ward_queue.pop(0)[3])

    def fill_icu(self) -> None:
        """Admit boarders from the ICU queue, in priority order, that fit the free capacity."""
        i = 0
        while i < len(self.icu_queue) and self.icu_occupied < self.icu_staffed:
            patient = self.icu_queue[i][3]
            if self._icu_fits(patient):
                del self.icu_queue[i]
                self.admit_icu(patient)
            else:
                i += 1

    def restaff(self, ward_staffed: int, icu_staffed: int) -> None:
        """New staffed beds: a bed that lost its nurse takes no one new (its patient stays),
        and beds that gained one fill from the queues."""
        self.ward_staffed = ward_staffed
        self.icu_staffed = icu_staffed
        if self.icu_queue:
            self.fill_icu()
        if self.ward_queue:
            self.fill_ward()

    @staticmethod
    def _find(
        queue: list[tuple[int, float, int, Patient]],
        key: tuple[int, float, int],
        patient: Patient,
    ) -> int:
        """The patient's place in a queue, by bisection on the key it was queued under."""
        i = bisect.bisect_left(queue, key)
        if i < len(queue) and queue[i][3] is patient:
            return i
        raise LookupError(f"patient {patient.patient_id} is not in the queue")

    # -- telemedicine -------------------------------------------------------------------------

    def answer_teleconsult(
        self, request_time: float, need: int, u_tele: float
    ) -> tuple[float, str]:
        """Serve a teleconsult on the first free specialist; return answer time and decision."""
        policy = self.network.policy
        if not self.tele_free_at:
            self.tele_free_at = [0.0]
        free_at = heapq.heappop(self.tele_free_at)
        answer = max(request_time, free_at) + policy.consult_hours
        heapq.heappush(self.tele_free_at, answer)
        self.teleconsults += 1
        return answer, policy.teleconsult_decision(need, u_tele)

    # -- state --------------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Patients boarding for a bed (escalated patients wait in a ward bed)."""
        return len(self.ward_queue) + len(self.icu_queue)

    @property
    def waiting_without_bed(self) -> int:
        """Patients boarding who have no bed at all."""
        return len(self.ward_queue) + sum(1 for e in self.icu_queue if e[3].bed == Bed.NONE)
