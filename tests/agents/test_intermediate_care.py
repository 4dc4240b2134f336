"""Intermediate care: ICU-level patients without a ventilator go there first, the ventilated
never, and the two pools together behave as one queue of their summed beds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from agents.pathway import Need
from tests.agents.test_queueing import (
    _poisson_run,
    abandonment_mmc_deterministic_patience,
    erlang_b,
)


def _critical_run(
    icu: int,
    middle: int,
    p_ventilator: float,
    load: float,
    seed: int,
    days: int,
    limit: float,
    sample_hours: int = 24,
    **overrides: Any,
) -> Any:
    course = {
        "share": 1.0,
        "p_icu": 1.0,
        "p_ventilator": p_ventilator,
        "p_escalate": 0.0,
        "los_icu_days": 1.0,
        "p_death_ward": 0.0,
        "p_death_icu": 0.0,
        "p_death_ventilated": 0.0,
        "los_stepdown_days": 0.0,
        "p_icu_readmission": 0.0,
    }
    return _poisson_run(
        load,
        1.0,
        seed,
        days,
        course,
        [
            {
                "place": 0,
                "ward_beds": 2000,
                "icu_beds": icu,
                "intermediate_beds": middle,
                "ventilators": icu + middle,
            },
            {"place": 1, "ward_beds": 10},
        ],
        **{
            "capacity.initial_icu_occupancy": 0.0,
            "capacity.initial_ward_occupancy": 0.0,
            "care.max_transfers_per_patient": 0,
            "care.icu_wait_limit_hours": limit,
            "equipment.ventilator_mtbf_hours": None,
            "sample_hours": sample_hours,
            **overrides,
        },
    )


@pytest.mark.slow
def test_icu_and_intermediate_beds_pool_like_one_unit_for_unventilated_patients() -> None:
    icu, middle, load, limit = 2, 4, 7.5, 8.0
    ended = []
    for seed in range(10):
        result = _critical_run(icu, middle, 0.0, load, seed, days=200, limit=limit)
        patients = result.to_pandas("patients")
        patients = patients[patients["first_facility"] == 0]
        patients = patients[
            patients["arrival_time"] > patients["arrival_time"].min() + np.timedelta64(5, "D")
        ]
        still = (patients["need"] == Need.ICU) & (patients["outcome"] == "in_system")
        denied = patients[~still]["icu_denied"]
        ended.append(float(denied.mean()))
    # M/M/c+D with c the ICU and intermediate beds together (one critical-care queue)
    expected = abandonment_mmc_deterministic_patience(icu + middle, load, 1.0 / 24.0, limit)
    assert np.mean(ended) == pytest.approx(expected, abs=0.03)


@pytest.mark.slow
def test_unventilated_patients_fill_intermediate_care_before_the_icu() -> None:
    middle, load = 4, 3.0
    to_icu, occupied = [], []
    for seed in range(6):
        result = _critical_run(6, middle, 0.0, load, seed, days=150, limit=72.0, sample_hours=1)
        s = result.summary
        to_icu.append(s["icu_admissions"] / (s["icu_admissions"] + s["intermediate_admissions"]))
        ts = result.to_pandas("timeseries")
        warm = ts["time"] > ts["time"].min() + np.timedelta64(5, "D")
        occupied.append(ts[(ts["facility_id"] == 0) & warm]["intermediate_occupied"].mean())
    # intermediate care takes every arrival while it has a bed: an Erlang loss system, whose
    # overflow the ICU (rarely full) takes
    blocked = erlang_b(middle, load)
    assert np.mean(to_icu) == pytest.approx(blocked, abs=0.03)
    assert np.mean(occupied) == pytest.approx(load * (1 - blocked), rel=0.05)


@pytest.mark.slow
def test_ventilated_patients_never_lie_in_intermediate_care() -> None:
    result = _critical_run(3, 6, 1.0, 4.0, seed=2, days=40, limit=72.0)
    ts = result.to_pandas("timeseries")
    assert ts["intermediate_occupied"].max() == 0
    assert result.summary["intermediate_admissions"] == 0
    patients = result.to_pandas("patients")
    assert patients["icu_time"].notna().sum() > 100


@pytest.mark.slow
def test_intermediate_beds_added_to_a_full_icu_cut_waits_and_keep_the_arrivals() -> None:
    base = _critical_run(3, 0, 0.5, 3.5, seed=4, days=60, limit=24.0)
    more = {"capacity.extra_beds": [{"facility": "T-000", "intermediate_beds": 3}]}
    added = _critical_run(3, 0, 0.5, 3.5, seed=4, days=60, limit=24.0, **more)
    a, b = base.to_pandas("patients"), added.to_pandas("patients")
    key = ["patient_id", "onset_time", "condition", "ventilator"]
    assert a[key].sort_values("patient_id").equals(b[key].sort_values("patient_id"))
    assert b["waited_hours"].mean() < 0.5 * a["waited_hours"].mean()
    assert b["icu_denied"].sum() < 0.5 * a["icu_denied"].sum()
    assert added.summary["intermediate_admissions"] > 0
