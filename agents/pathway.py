"""The rules of the pathway shared by all facilities: event kinds, outcomes, the care policy."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
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
    DIE = 8


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
    """Where a patient lies. An intermediate-care bed (Chile's UTI, Brazil's semi-intensive)
    takes ICU-level patients who need no ventilator."""

    NONE = 0
    WARD = 1
    ICU = 2
    INTERMEDIATE = 3


@dataclass(frozen=True)
class CarePolicy:
    """Pathway timings (hours), the ICU wait limit, and the hazard of death.

    Risk is a hazard that runs over time (see ``hazard_rate``). Each condition has a base
    hazard per hour for a patient in the bed they need: ward, ICU, ventilated in the ICU, and a
    step-down ward stay after the ICU (arrays indexed by condition code, per hour). A patient
    without the bed they need (boarding, at a rural post, in an ambulance, after an ICU request
    ended) runs the hazard of that bed plus an excess: a share per hour of the cumulative hazard
    of a whole stay in it (``-ln(1 - p)``), so each hour waited raises the risk of death by about
    that share. A patient who needs a ventilator and has none adds ``unventilated_hazard_per_hour``.
    Denied care therefore never lowers risk.

    An ICU request ends once the patient has waited ``icu_wait_limit_hours`` for a bed; the
    patient goes on in a ward bed for the ICU stay, at the hazard of one still waiting.

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
    resolve_share: float
    resolve_share_ward: float
    refer_share_without_link: float
    consult_hours: float
    # by condition code, per hour; plain floats, read on every change of a patient's state
    hazard_ward: Sequence[float]
    hazard_icu: Sequence[float]
    hazard_ventilated: Sequence[float]
    hazard_stepdown: Sequence[float]
    ward_wait_excess: Sequence[float]  # the ward stay's cumulative hazard x risk per hour
    icu_wait_excess: Sequence[float]
    ventilated_wait_excess: Sequence[float]
    unventilated_hazard_per_hour: float = 0.0
    no_oxygen_hazard_per_hour: float = 0.0
    oxygen_ward: tuple[bool, ...] = ()  # by condition: ward patients on oxygen
    icu_wait_limit_hours: float = math.inf
    office_hours: OfficeHours | None = None
    synchronous_needs: frozenset[int] = frozenset({Need.NONE, Need.WARD})
    async_answer_hours: float = 120.0
    decision_error_share: float = 0.0
    return_after_hours: float = 24.0

    def hazard_rate(self, patient: Patient, bed: int, ventilated: bool) -> float:
        """Hazard of death per hour of ``patient`` in ``bed``, with or without a ventilator."""
        need = patient.need
        c = patient.condition
        if patient.icu_denied or need == Need.ICU:
            critical = bed == Bed.ICU or (bed == Bed.INTERMEDIATE and not patient.ventilator)
            if critical and not patient.icu_denied:
                return self.hazard_ventilated[c] if patient.ventilator else self.hazard_icu[c]
            if patient.ventilator:
                rate = self.hazard_ventilated[c] + self.ventilated_wait_excess[c]
                return rate if ventilated else rate + self.unventilated_hazard_per_hour
            return self.hazard_icu[c] + self.icu_wait_excess[c]
        if need == Need.WARD:
            base = self.hazard_stepdown[c] if patient.stepdown else self.hazard_ward[c]
            return base if bed != Bed.NONE else base + self.ward_wait_excess[c]
        return 0.0

    def on_oxygen(self, patient: Patient) -> bool:
        """Whether the patient breathes the hospital's oxygen: in the ICU or intermediate care,
        on a ventilator, or in a ward bed with a condition treated with oxygen."""
        bed = patient.bed
        return (
            bed == Bed.ICU
            or bed == Bed.INTERMEDIATE
            or patient.on_ventilator
            or (bed == Bed.WARD and bool(self.oxygen_ward[patient.condition]))
        )

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


@functools.lru_cache(maxsize=1024)
def competing_stay(p_death: float, mean_hours: float, cv: float | None) -> tuple[float, float]:
    """The constant hazard per hour and the mean of the stay to draw, so that stays end in death
    with probability ``p_death`` and last ``mean_hours`` on average, deaths included.

    Published lengths of stay and mortality count every stay, those that end in death too, so
    both are kept: death (at rate h) and the end of the drawn stay S compete, and a patient
    leaves the bed at min(S, T). Then E[min(S, T)] = E[1 - exp(-h S)] / h = p / h, so h = p / L
    whatever the stays' distribution, and the drawn stays' mean m solves
    E[1 - exp(-h m X)] = p over the stays' shape X (mean 1): m = L / (1 - p) for exponential
    stays (``cv`` None), by Gauss-Hermite quadrature for lognormal ones of variation ``cv``.
    """
    p = min(max(p_death, 0.0), 0.999)
    if p == 0.0 or mean_hours <= 0.0:
        return 0.0, mean_hours
    hazard = p / mean_hours
    if cv is None:
        return hazard, mean_hours / (1.0 - p)
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    sigma = math.sqrt(math.log1p(cv * cv))
    shape = np.exp(sigma * nodes - sigma * sigma / 2.0)

    def gap(m: float) -> float:
        return float(np.dot(weights, -np.expm1(-hazard * m * shape))) - p

    # the death share rises with the drawn mean: bisect between L (too few deaths) and a bound
    low, high = mean_hours, 2.0 * mean_hours
    while gap(high) < 0:
        low, high = high, 2.0 * high
    for _ in range(100):
        mid = (low + high) / 2.0
        if gap(mid) < 0:
            low = mid
        else:
            high = mid
        if high - low <= 1e-12 * high:
            break
    return hazard, (low + high) / 2.0


class CareNetwork(Protocol):
    """What facilities ask of the shard model that hosts them."""

    now: float
    policy: CarePolicy
    results_from: float  # the clock's hour at which the reported period starts
    reporting: bool  # whether the clock is in the reported period (past any warm-up)

    def log_stay(self, patient: Patient, facility: int, bed: int) -> None:
        """Record the bed segment of ``patient`` that ends now (it began at ``bed_since``)."""

    def schedule(self, time: float, kind: int, patient: Patient) -> None:
        """Put an event for a patient on the calendar (or its death, if that comes first)."""

    def set_risk(self, patient: Patient, bed: int | None = None) -> None:
        """Bring the patient's hazard up to now and set the rate of where they are now."""

    def finish(self, patient: Patient, outcome: str, at: float | None = None) -> None:
        """End an episode with an outcome (at ``at``, default now) and let the patient go."""

    def forget_teleconsult(self, patient: Patient) -> None:
        """Drop a patient's pending teleconsult (the patient died waiting for the answer)."""

    def transfer_out(self, patient: Patient, source: Hospital | RuralClinic, reason: str) -> bool:
        """Send a patient by ambulance to the best facility on the board; False if none."""

    def request_teleconsult(self, patient: Patient, clinic: RuralClinic) -> None:
        """Send a teleconsult request from a clinic to its hub."""
