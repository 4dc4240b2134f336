"""The patient: one acute episode, its course drawn at onset from its place's stream.

Risk is a hazard that runs over time: ``hazard`` is the cumulative hazard accrued up to
``hazard_since`` and ``hazard_rate`` the rate since then; the patient dies once the cumulative
hazard reaches ``death_clock``, a unit exponential drawn at onset.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import mesa

from agents.pathway import Bed


class Patient(mesa.Agent):
    """An episode in the network: waiting, in a bed, in transit, or finished with an outcome.

    ``patient_id`` is stable (place and sequence number); Mesa's ``unique_id`` is not, since it
    depends on how the network is cut into shards. The state every episode starts with is given
    once, on the class; an episode sets its own as it changes (a million patients a run need
    not each assign twenty constants).
    """

    hazard = 0.0
    hazard_rate = 0.0
    icu_denied = False
    stepdown = False
    readmitted = False
    on_ventilator = False
    plan_time = math.nan  # the event booked for the patient, had death not come first
    plan_kind = 0
    bed = Bed.NONE
    bed_since = math.nan  # when the patient took the bed it lies in
    epoch = 0  # the stamp of its live calendar entry (0: none)
    wait_since = math.nan
    waited_hours = 0.0
    admit_time = math.nan
    icu_time = math.nan
    n_transfers = 0
    teleconsulted = False
    escalated = False
    decision = ""
    depart_reason = ""
    arrived_for = ""  # the reason of the transfer that brought the patient here

    def __init__(
        self,
        model: mesa.Model,
        patient_id: int,
        origin_place: int,
        condition: int,
        acuity: int,
        need: int,
        ventilator: bool,
        los_hours: float,
        escalate_after_hours: float,
        los_icu_after_hours: float,
        death_clock: float,
        u_tele: float,
        onset_time: float,
        arrival_time: float,
        first_facility: int,
        vent_on_escalation: bool = False,
        los_stepdown_hours: float = 0.0,
        readmit_after_hours: float = math.nan,
    ) -> None:
        super().__init__(model)
        self.patient_id = patient_id
        self.origin_place = origin_place
        self.condition = condition
        self.acuity = acuity
        self.need = need
        self.ventilator = ventilator
        self.los_hours = los_hours
        self.escalate_after_hours = escalate_after_hours
        self.los_icu_after_hours = los_icu_after_hours
        self.death_clock = death_clock
        self.u_tele = u_tele
        self.onset_time = onset_time
        self.arrival_time = arrival_time
        self.first_facility = first_facility
        self.vent_on_escalation = vent_on_escalation
        self.los_stepdown_hours = los_stepdown_hours
        self.readmit_after_hours = readmit_after_hours
        self.hazard_since = arrival_time
        self.facility = first_facility

    @property
    def waiting(self) -> bool:
        """Whether the patient waits now: for a bed, or at a post for an answer or transport."""
        return not math.isnan(self.wait_since)

    def start_waiting(self, now: float) -> None:
        """Start the clock of a wait (for a bed, or at a post)."""
        self.wait_since = now

    def hours_waited(self, now: float) -> float:
        """Hours waited in the episode so far (for beds and at posts), the current wait included."""
        return self.waited_hours + (now - self.wait_since if self.waiting else 0.0)

    def stop_waiting(self, now: float) -> None:
        """Stop the clock and add the wait to the episode's total."""
        if not math.isnan(self.wait_since):
            self.waited_hours += now - self.wait_since
            self.wait_since = math.nan

    def state(self) -> dict[str, Any]:
        """The fields that travel with the patient between facilities."""
        return {name: getattr(self, name) for name in TRAVELLING_FIELDS}

    @classmethod
    def from_state(cls, model: mesa.Model, state: Mapping[str, Any]) -> Patient:
        """A patient agent in ``model`` with the travelling fields of ``state``.

        Missing times (None, as Arrow nulls arrive) become NaN.
        """
        patient = cls(
            model,
            state["patient_id"],
            state["origin_place"],
            state["condition"],
            state["acuity"],
            state["need"],
            state["ventilator"],
            state["los_hours"],
            _nan(state["escalate_after_hours"]),
            state["los_icu_after_hours"],
            state["death_clock"],
            state["u_tele"],
            state["onset_time"],
            state["arrival_time"],
            state["first_facility"],
            state["vent_on_escalation"],
            state["los_stepdown_hours"],
            _nan(state["readmit_after_hours"]),
        )
        patient.waited_hours = state["waited_hours"]
        patient.admit_time = _nan(state["admit_time"])
        patient.icu_time = _nan(state["icu_time"])
        patient.n_transfers = state["n_transfers"]
        patient.teleconsulted = state["teleconsulted"]
        patient.escalated = state["escalated"]
        for name in RISK_FIELDS:
            setattr(patient, name, state[name])
        return patient


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


# what travels of the hazard and the course after the ICU, set after construction
RISK_FIELDS = (
    "hazard",
    "hazard_since",
    "hazard_rate",
    "icu_denied",
    "stepdown",
    "readmitted",
)
TRAVELLING_FIELDS = (
    "patient_id",
    "origin_place",
    "condition",
    "acuity",
    "need",
    "ventilator",
    "los_hours",
    "escalate_after_hours",
    "los_icu_after_hours",
    "death_clock",
    "u_tele",
    "onset_time",
    "arrival_time",
    "first_facility",
    "waited_hours",
    "admit_time",
    "icu_time",
    "n_transfers",
    "teleconsulted",
    "escalated",
    "vent_on_escalation",
    "los_stepdown_hours",
    "readmit_after_hours",
    *RISK_FIELDS,
)
