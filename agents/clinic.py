"""The rural clinic: stabilises, treats minor cases, teleconsults its hub, sends on."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from agents.pathway import Bed, Event, Need, Outcome

if TYPE_CHECKING:
    from agents.pathway import CareNetwork
    from agents.patient import Patient


class RuralClinic(mesa.Agent):
    """A primary-care post with no beds, linked or not to a telemedicine hub.

    A patient here waits (``Patient.start_waiting``) from arrival until treated here or sent
    on: for stabilisation, a teleconsult answer or a free bed elsewhere. A ward-level case the
    hub kept here in error stops waiting while under the post's care and waits again from the
    moment it re-presents. ``waited_hours`` sums the hours waited here.
    """

    kind = "clinic"

    def __init__(self, model: CareNetwork, facility_id: int, hub_id: int, linked: bool) -> None:
        super().__init__(model)
        self.network = model
        self.facility_id = facility_id
        self.hub_id = hub_id
        self.linked = linked and hub_id >= 0
        self.present = 0
        self.arrivals = 0
        self.treated_locally = 0
        self.transfers_out = 0
        self.teleconsults = 0
        self.deaths = 0
        self.died_waiting = 0
        self.waited_hours = 0.0

    def receive(self, patient: Patient) -> None:
        """Triage: critical cases leave at once, others are teleconsulted or decided here."""
        self.arrivals += self.network.reporting
        self.present += 1
        patient.facility = self.facility_id
        policy = self.network.policy
        now = self.network.now
        self.network.set_risk(patient, Bed.NONE)  # a post has no beds: the patient waits
        if patient.need == Need.ICU:
            patient.start_waiting(now)
            self._depart_after(patient, policy.clinic_stabilise_hours, "critical")
        elif self.linked:
            patient.start_waiting(now)
            patient.teleconsulted = True
            if patient.arrival_time >= self.network.results_from:
                self.teleconsults += 1
            self.network.request_teleconsult(patient, self)
            self.network.schedule(math.inf, Event.ANSWER, patient)  # only its death, if it comes
        elif patient.need == Need.WARD:
            patient.start_waiting(now)
            self._depart_after(patient, policy.clinic_stabilise_hours, "no_telemedicine")
        elif patient.u_tele < policy.refer_share_without_link:
            patient.start_waiting(now)
            self._depart_after(patient, policy.clinic_stabilise_hours, "referral")
        else:
            self.network.schedule(now + policy.clinic_treat_hours, Event.TREATED, patient)

    def answer(self, patient: Patient) -> None:
        """The hub's answer arrived: treat here or send the patient on.

        A ward-level case kept here in error (``CarePolicy.kept_in_error``) stays, under the
        post's care, and re-presents to be sent on ``return_after_hours`` later.
        """
        policy = self.network.policy
        now = self.network.now
        if patient.decision == "treat_locally":
            self._stop_waiting(patient)
            if policy.kept_in_error(patient.need, patient.u_tele):
                self._depart_after(patient, policy.return_after_hours, "returned")
            else:
                self.network.schedule(now + policy.clinic_treat_hours, Event.TREATED, patient)
        else:
            self._depart_after(patient, 0.0, "teleconsult")

    def _depart_after(self, patient: Patient, hours: float, reason: str) -> None:
        patient.depart_reason = reason
        self.network.schedule(self.network.now + hours, Event.DEPART, patient)

    def _stop_waiting(self, patient: Patient) -> None:
        waited = patient.hours_waited(self.network.now) - patient.waited_hours
        self.waited_hours += waited * self.network.reporting
        patient.stop_waiting(self.network.now)

    def depart(self, patient: Patient) -> None:
        """Send the patient by ambulance; if no hospital has room, wait and try again."""
        now = self.network.now
        if not patient.waiting:
            patient.start_waiting(now)  # a case kept in error re-presents
        waited = patient.hours_waited(now) - patient.waited_hours
        if self.network.transfer_out(patient, self, patient.depart_reason):
            self.present -= 1
            self.transfers_out += self.network.reporting
            self.waited_hours += waited * self.network.reporting
        else:
            self.network.schedule(
                now + self.network.policy.transfer_retry_hours, Event.DEPART, patient
            )

    def die(self, patient: Patient) -> None:
        """The patient's hazard ran out at the post, waiting for an answer or for transport."""
        self.present -= 1
        self.deaths += self.network.reporting
        self.died_waiting += self.network.reporting and patient.need == Need.ICU
        self.network.forget_teleconsult(patient)
        self.network.finish(patient, Outcome.DIED)

    def treated(self, patient: Patient) -> None:
        """A case resolved at the clinic goes home."""
        self.present -= 1
        self.treated_locally += self.network.reporting
        self.network.finish(patient, Outcome.TREATED_LOCALLY)

    def close_wait(self, patient: Patient) -> None:
        """Count the wait so far of a patient still here when the run ends."""
        self.waited_hours += patient.hours_waited(self.network.now) - patient.waited_hours
