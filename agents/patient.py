"""The patient: one acute episode, its course drawn at onset from its place's stream."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import mesa

from agents.pathway import Bed


class Patient(mesa.Agent):
    """An episode in the network: waiting, in a bed, in transit, or finished with an outcome.

    ``patient_id`` is stable (place and sequence number); Mesa's ``unique_id`` is not, since it
    depends on how the network is cut into shards.
    """

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
        u_death: float,
        u_tele: float,
        onset_time: float,
        arrival_time: float,
        first_facility: int,
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
        self.u_death = u_death
        self.u_tele = u_tele
        self.onset_time = onset_time
        self.arrival_time = arrival_time
        self.first_facility = first_facility
        self.facility = first_facility
        self.bed = Bed.NONE
        self.epoch = 0  # the stamp of its live calendar entry (0: none)
        self.wait_since = math.nan
        self.waited_hours = 0.0
        self.admit_time = math.nan
        self.icu_time = math.nan
        self.n_transfers = 0
        self.teleconsulted = False
        self.escalated = False
        self.decision = ""
        self.depart_reason = ""
        self.arrived_for = ""  # the reason of the transfer that brought the patient here

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
            state["u_death"],
            state["u_tele"],
            state["onset_time"],
            state["arrival_time"],
            state["first_facility"],
        )
        patient.waited_hours = state["waited_hours"]
        patient.admit_time = _nan(state["admit_time"])
        patient.icu_time = _nan(state["icu_time"])
        patient.n_transfers = state["n_transfers"]
        patient.teleconsulted = state["teleconsulted"]
        patient.escalated = state["escalated"]
        return patient


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


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
    "u_death",
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
)
