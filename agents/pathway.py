"""The rules of the pathway shared by all facilities: event kinds, outcomes, the care policy."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from agents.telemedicine import OfficeHours

if TYPE_CHECKING:
    from agents.clinic import RuralClinic
    from agents.hospital import Hospital
    from agents.patient import Patient


class Event:
    """Event kinds. At equal times the lower kind goes first: beds free before arrivals."""

    DISCHARGE = 1
    ESCALATE = 2
    ARRIVE = 3
    ANSWER = 4
    DEPART = 5
    TREATED = 6
    TIMEOUT = 7


class Outcome:
    """How an episode ends; ``IN_SYSTEM`` while it has not ended."""

    DISCHARGED = "discharged"
    DIED = "died"
    TREATED_LOCALLY = "treated_locally"
    IN_SYSTEM = "in_system"


class Need:
    """What a patient needs now."""

    NONE = 0
    WARD = 1
    ICU = 2


class Bed:
    """Where a patient lies."""

    NONE = 0
    WARD = 1
    ICU = 2


@dataclass(frozen=True)
class CarePolicy:
    """Pathway timings (hours) and clinical risks by condition code.

    An ICU request ends once the patient has waited ``icu_wait_limit_hours`` for a bed: in death
    for a share ``icu_wait_death_share`` of patients, else the patient goes on in a ward bed.

    Teleconsults of the needs in ``synchronous_needs`` go to the hub's desk, open in
    ``office_hours`` (None: always); the others are answered ``async_answer_hours`` after the
    request. A share ``decision_error_share`` of the ward-level cases the hub keeps at the
    clinic needed a bed after all and re-presents ``return_after_hours`` after the answer.
    """

    ed_treat_hours: float
    clinic_stabilise_hours: float
    clinic_treat_hours: float
    transfer_after_hours_ward: float
    transfer_after_hours_icu: float
    transfer_retry_hours: float
    death_risk_per_waiting_day: float
    resolve_share: float
    resolve_share_ward: float
    refer_share_without_link: float
    consult_hours: float
    p_death_ward: np.ndarray
    p_death_icu: np.ndarray
    p_death_ventilated: np.ndarray
    icu_wait_limit_hours: float = math.inf
    icu_wait_death_share: float = 0.0
    office_hours: OfficeHours | None = None
    synchronous_needs: frozenset[int] = frozenset({Need.NONE, Need.WARD})
    async_answer_hours: float = 120.0
    decision_error_share: float = 0.0
    return_after_hours: float = 24.0

    def death_probability(self, patient: Patient) -> float:
        """Risk of death at the end of a stay, rising with the hours waited for a bed."""
        if patient.ventilator:
            base = float(self.p_death_ventilated[patient.condition])
        elif patient.need == Need.ICU:
            base = float(self.p_death_icu[patient.condition])
        else:
            base = float(self.p_death_ward[patient.condition])
        risk = base * (1.0 + self.death_risk_per_waiting_day * patient.waited_hours / 24.0)
        return min(risk, 0.99)

    def teleconsult_decision(self, need: int, u_tele: float) -> str:
        """The hub's answer: keep the patient at the clinic or transfer."""
        share = self.resolve_share if need == Need.NONE else self.resolve_share_ward
        return "treat_locally" if u_tele < share else "transfer"

    def kept_in_error(self, need: int, u_tele: float) -> bool:
        """Whether a ward-level case the hub kept at the clinic needed a bed after all.

        The case was kept because ``u_tele < resolve_share_ward``; the lowest share
        ``decision_error_share`` of that range are the errors, so the share holds exactly in
        expectation and the draw stays the patient's own.
        """
        return need == Need.WARD and u_tele < self.resolve_share_ward * self.decision_error_share


class CareNetwork(Protocol):
    """What facilities ask of the shard model that hosts them."""

    now: float
    policy: CarePolicy

    def schedule(self, time: float, kind: int, patient: Patient) -> None:
        """Put an event for a patient on the calendar."""

    def finish(self, patient: Patient, outcome: str) -> None:
        """End an episode with an outcome and let the patient agent go."""

    def transfer_out(self, patient: Patient, source: Hospital | RuralClinic, reason: str) -> bool:
        """Send a patient by ambulance to the best facility on the board; False if none."""

    def request_teleconsult(self, patient: Patient, clinic: RuralClinic) -> None:
        """Send a teleconsult request from a clinic to its hub."""
