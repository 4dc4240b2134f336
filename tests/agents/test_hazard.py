"""The hazard of death in the running twin against closed forms.

A condition's mortality p and mean stay L count the stays that end in death, as published
figures do: death at rate h = p / L competes with the end of a drawn stay of mean
m = L / (1 - p) (exponential stays), so a stay ends in death with probability hm / (1 + hm) = p
and patients leave the bed after L on average. A patient who waits w hours at the waiting
hazard a and then stays a drawn S hours at that same hazard (an ICU request that ended) dies
with probability 1 - exp(-a w) / (1 + a m).
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from agents import Patient
from agents.pathway import Bed, Need, competing_stay
from regional.network import care_policy
from regional.scenario import load_scenario
from tests.agents.test_queueing import _poisson_run

POLICY = care_policy(load_scenario("chile"))
POLICY_MODEL = mesa.Model(seed=1)
NORMAL_QUANTILES = ndtri((np.arange(200_000) + 0.5) / 200_000)
WARD_ONLY = {"share": 1.0, "p_icu": 0.0, "p_escalate": 0.0, "los_ward_days": 1.0}


def _settled(result: Any, before_day: float) -> pd.DataFrame:
    """Patients of the first hospital who arrived early enough that all of them have left."""
    patients = result.to_pandas("patients")
    patients = patients[patients["first_facility"] == 0]
    start = patients["arrival_time"].min()
    early = patients[patients["arrival_time"] < start + pd.Timedelta(days=before_day)]
    assert (early["outcome"] != "in_system").all()
    return early


def _binomial_tolerance(p: float, n: int) -> float:
    return 4.0 * math.sqrt(p * (1.0 - p) / n)


@pytest.mark.slow
def test_ward_mortality_is_the_conditions_and_death_comes_during_the_stay() -> None:
    p = 0.1
    result = _poisson_run(
        100.0, 1.0, 3, 60, {**WARD_ONLY, "p_death_ward": p}, [{"place": 0, "ward_beds": 400}]
    )
    settled = _settled(result, 45)
    died = settled["outcome"] == "died"
    assert float(died.mean()) == pytest.approx(p, abs=_binomial_tolerance(p, len(settled)))
    # death ends the stay at its time: the mean stay, deaths included, is the condition's, and
    # deaths and discharges leave after the same time on average, 1 / (h + 1 / m) = L; stays
    # are exponential (sd = mean), so each mean is checked within 4 standard errors
    stay = (settled["end_time"] - settled["admit_time"]).dt.total_seconds() / 86400.0
    assert float(stay.mean()) == pytest.approx(1.0, rel=4.0 / math.sqrt(len(stay)))
    assert float(stay[died].mean()) == pytest.approx(1.0, rel=4.0 / math.sqrt(int(died.sum())))


@pytest.mark.slow
def test_lognormal_stays_keep_the_conditions_mortality() -> None:
    p = 0.08
    result = _poisson_run(
        20.0,
        1.0,
        4,
        60,
        {**WARD_ONLY, "p_death_ward": p},
        [{"place": 0, "ward_beds": 400}],
        **{"demand.los_distribution": "lognormal", "demand.los_cv": 0.9},
    )
    settled = _settled(result, 40)
    died = float((settled["outcome"] == "died").mean())
    assert died == pytest.approx(p, abs=_binomial_tolerance(p, len(settled)))


def _icu_denied_run(ventilators: int, p_ventilator: float, seed: int) -> pd.DataFrame:
    """A hospital without ICU beds: every ICU request ends after 12 hours and the patient goes
    on in a ward bed for the ICU stay."""
    course = {
        "share": 1.0,
        "p_icu": 1.0,
        "p_ventilator": p_ventilator,
        "p_escalate": 0.0,
        "los_icu_days": 2.0,
        "p_death_icu": 0.2,
        "p_death_ventilated": 0.3,
        "los_stepdown_days": 0.0,
        "p_icu_readmission": 0.0,
    }
    result = _poisson_run(
        30.0,
        2.0,
        seed,
        80,
        course,
        [{"place": 0, "ward_beds": 600, "icu_beds": 0, "ventilators": ventilators}],
        **{
            "care.max_transfers_per_patient": 0,
            "care.icu_wait_limit_hours": 12.0,
            "equipment.ventilator_mtbf_hours": None,
            "equipment.ventilator_maintenance_every_days": None,
        },
    )
    return _settled(result, 60)


@pytest.mark.slow
def test_an_ended_icu_request_dies_at_the_waiting_hazard() -> None:
    settled = _icu_denied_run(ventilators=0, p_ventilator=0.0, seed=5)
    mean_hours, p, risk_per_hour = 48.0, 0.2, 0.015
    hazard, drawn = competing_stay(p, mean_hours, None)
    a = hazard + risk_per_hour * -math.log1p(-p)
    expected = 1.0 - math.exp(-12.0 * a) / (1.0 + a * drawn)
    # every request ended at the limit, or the patient died waiting before it
    assert (settled["icu_denied"] | settled["died_waiting"]).all()
    assert settled["icu_time"].isna().all()
    died = float((settled["outcome"] == "died").mean())
    assert died == pytest.approx(expected, abs=_binomial_tolerance(expected, len(settled)))
    # denied care never lowers risk: above the ICU's own mortality
    assert died > p


@pytest.mark.slow
def test_without_a_ventilator_the_hazard_rises_by_the_unventilated_excess() -> None:
    settled = _icu_denied_run(ventilators=0, p_ventilator=1.0, seed=6)
    mean_hours, p, risk_per_hour, unventilated = 48.0, 0.3, 0.015, 0.02
    hazard, drawn = competing_stay(p, mean_hours, None)
    a = hazard + risk_per_hour * -math.log1p(-p) + unventilated
    expected = 1.0 - math.exp(-12.0 * a) / (1.0 + a * drawn)
    died = float((settled["outcome"] == "died").mean())
    assert died == pytest.approx(expected, abs=_binomial_tolerance(expected, len(settled)))
    with_one = _icu_denied_run(ventilators=50, p_ventilator=1.0, seed=6)
    assert float((with_one["outcome"] == "died").mean()) < died - 0.1


@given(
    st.sampled_from(range(5)),
    st.sampled_from([Need.WARD, Need.ICU]),
    st.booleans(),
    st.booleans(),
    st.floats(0.0, 500.0),
    st.floats(0.0, 500.0),
    st.floats(0.0, 500.0),
)
def test_a_longer_wait_never_means_a_lower_death_probability(
    condition: int,
    need: int,
    ventilator: bool,
    ventilated: bool,
    wait: float,
    more: float,
    stay: float,
) -> None:
    """With the default policy's hazards: a patient who waits w hours, then stays in the bed,
    dies with 1 - exp(-(a w + h s)), and a (waiting) is never below h (in the bed)."""
    patient = Patient(
        POLICY_MODEL,
        1,
        1,
        condition,
        2,
        need,
        ventilator and need == Need.ICU,
        24.0,
        math.nan,
        0.0,
        1.0,
        0.5,
        0.0,
        0.0,
        0,
    )
    bed = Bed.ICU if need == Need.ICU else Bed.WARD
    waiting = POLICY.hazard_rate(patient, Bed.NONE, ventilated)
    in_bed = POLICY.hazard_rate(patient, bed, True)
    assert waiting >= in_bed

    def dies(w: float) -> float:
        return -math.expm1(-(waiting * w + in_bed * stay))

    assert dies(wait + more) >= dies(wait)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.001, 0.95), st.floats(1.0, 2000.0), st.sampled_from([None, 0.3, 0.9, 2.0]))
def test_competing_stays_keep_the_mortality_and_the_mean_stay(
    p: float, mean_hours: float, cv: float | None
) -> None:
    h, drawn = competing_stay(p, mean_hours, cv)
    if cv is None:
        # exponential stays: min(S, T) is exponential at rate h + 1 / m
        assert h / (h + 1.0 / drawn) == pytest.approx(p, rel=1e-9)
        assert 1.0 / (h + 1.0 / drawn) == pytest.approx(mean_hours, rel=1e-9)
        return
    # check against a fine grid of lognormal quantiles, not the quadrature that solved it
    sigma = math.sqrt(math.log1p(cv * cv))
    stays = drawn * np.exp(sigma * NORMAL_QUANTILES - sigma * sigma / 2)
    died = -np.expm1(-h * stays)
    assert float(np.mean(died)) == pytest.approx(p, abs=2e-4)
    assert float(np.mean(died / h)) == pytest.approx(mean_hours, rel=2e-3)  # E[min(S, T)]
