"""A run that starts from a real census: census patients as patients of the twin.

Each patient keeps the facility, the bed and the time in it that the census gives; what the
census does not give is drawn from the facility's own stream:

- an unknown condition, from the conditions' bed-days in that bed type (share x mean stay);
- the rest of the stay, from the stay's law conditional on the time already spent: with F the
  distribution of the stay, u uniform, ``stay = F^-1(F(e) + u (1 - F(e)))`` and the rest is
  ``stay - e``; an unknown time in bed is drawn as the steady start draws it (length-biased);
- the death clock afresh (the hazard is memoryless), the step-down and readmission after an
  ICU stay as at onset.

A patient waiting for a bed joins the hospital's queue at the start with the hours already
waited (which count towards the ICU wait limit and the waits reported); the queue's order among
the census's boarders is by acuity, then id.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtr, ndtri

from agents.pathway import Bed, Need

if TYPE_CHECKING:
    from agents import Hospital, Patient
    from regional.demand import DemandModel
    from regional.shard import ShardModel

BED_CODES = {"ward": Bed.WARD, "icu": Bed.ICU, "intermediate": Bed.INTERMEDIATE}
CENSUS_FIELDS = ("facility_id", "bed", "elapsed_hours", "condition", "ventilated", "waiting_hours")


def stay_cdf(demand: DemandModel, hours: np.ndarray, mean: np.ndarray | float) -> np.ndarray:
    """P(stay <= hours) for stays of the given mean (the scenario's law of stays)."""
    hours = np.maximum(np.asarray(hours, dtype=np.float64), 0.0)
    if demand.demand.los_distribution == "exponential":
        return np.asarray(-np.expm1(-hours / mean))
    sigma2 = math.log1p(demand.demand.los_cv**2)
    mu = np.log(mean) - sigma2 / 2.0
    with np.errstate(divide="ignore"):
        z = (np.log(hours) - mu) / math.sqrt(sigma2)
    return np.asarray(ndtr(z))


def remaining_after(
    demand: DemandModel, u: np.ndarray, elapsed: np.ndarray, mean: np.ndarray | float
) -> np.ndarray:
    """Hours left of stays of the given mean that have lasted ``elapsed`` hours so far."""
    seen = stay_cdf(demand, elapsed, mean)
    p = np.clip(seen + np.asarray(u) * (1.0 - seen), 1e-12, 1.0 - 1e-12)
    if demand.demand.los_distribution == "exponential":
        total = -np.log1p(-p) * mean
    else:
        sigma2 = math.log1p(demand.demand.los_cv**2)
        total = np.exp(np.log(mean) - sigma2 / 2.0 + math.sqrt(sigma2) * ndtri(p))
    return np.asarray(np.maximum(total - elapsed, 1e-6))


def _mean_stay(demand: DemandModel, bed: int, condition: int, ventilated: bool) -> float:
    c = demand.courses
    if bed == Bed.WARD:
        return float(c.stay_ward_hours[condition])
    if ventilated:
        return float(c.stay_ventilated_hours[condition])
    return float(c.stay_icu_hours[condition])


def _draw_condition(demand: DemandModel, bed: int, u: float) -> int:
    c = demand.courses
    stay = c.stay_ward_hours if bed == Bed.WARD else c.stay_icu_hours
    weight = c.share * stay
    if weight.sum() <= 0:
        weight = np.ones(len(c.share))
    cum = np.cumsum(weight) / weight.sum()
    return min(int(np.searchsorted(cum, u, side="right")), len(cum) - 1)


def given_patients(
    model: ShardModel, hospital: Hospital, rows: dict[str, np.ndarray], rng: np.random.Generator
) -> tuple[list[tuple[Patient, int, float]], list[Patient]]:
    """The census patients of one hospital: those in beds (patient, bed, hours in it) and
    those waiting for one."""
    from regional.census import _census_patient

    demand = model.demand
    c = demand.courses
    n = len(rows["bed"])
    u = rng.random((n, 7))
    in_bed: list[tuple[Patient, int, float]] = []
    waiting: list[Patient] = []
    for k in range(n):
        bed = int(rows["bed"][k])
        condition = int(rows["condition"][k])
        if condition < 0:
            condition = _draw_condition(demand, bed, float(u[k, 0]))
        ventilated = bool(rows["ventilated"][k])
        mean = max(_mean_stay(demand, bed, condition, ventilated), 1e-9)
        wait = float(rows["waiting_hours"][k])
        elapsed = float(rows["elapsed_hours"][k])
        if not math.isnan(wait):
            left = float(demand.los_quantile(np.array([u[k, 1]]), mean)[0])
            elapsed = 0.0
        elif math.isnan(elapsed):
            left = float(demand.residual_stay(u[k, 1:2], u[k, 2:3], mean)[0])
            elapsed = left * float(u[k, 3])  # a share of the seen stay already lived
        else:
            left = float(remaining_after(demand, u[k, 1:2], np.array([elapsed]), mean)[0])
        critical = bed != Bed.WARD
        course: dict[str, Any] = {
            "need": Need.ICU if critical else Need.WARD,
            "acuity": 1 if ventilated else (2 if critical else 3),
            "ventilator": ventilated,
            "los_hours": left,
            "death_clock": float(-np.log1p(-u[k, 4])),
        }
        if critical and c.stay_stepdown_hours[condition] > 0:
            step = float(demand.los_quantile(u[k, 5:6], float(c.stay_stepdown_hours[condition]))[0])
            course["los_stepdown_hours"] = step
            if u[k, 6] < c.p_icu_readmission[condition]:
                course["readmit_after_hours"] = (
                    float(u[k, 6] / c.p_icu_readmission[condition]) * step
                )
        patient = _census_patient(model, hospital, k, condition, max(elapsed, 1e-6), **course)
        if math.isnan(wait):
            in_bed.append((patient, bed, max(elapsed, 1e-6)))
        else:
            patient.waited_hours = wait
            waiting.append(patient)
    return in_bed, waiting
