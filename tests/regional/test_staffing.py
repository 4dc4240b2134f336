"""Staff as a limited resource: headcount, rosters, absence, standards and contingency levers.

Most runs have one hospital of 80 ward beds and 50 ward nurses: 10 on duty around the clock
(5 people a post), who staff 60 beds at 6 patients a nurse. Patients all need a ward bed for
exponential stays of a day, wait where they are (no transfers), and a second, far hospital
keeps the network whole.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from regional import checkpoint
from regional.network import build_network
from regional.runner import run_scenario
from regional.scenario import CONDITIONS, load_scenario
from regional.staffing import StaffingRules, roster_factor
from tests.networks import make_facilities, make_places, network, scenario

RATE_PER_1000_YEAR = 100.0
WARD_ONLY = {
    "share": 1.0,
    "p_icu": 0.0,
    "p_escalate": 0.0,
    "los_ward_days": 1.0,
    "p_death_ward": 0.0,
}
# no roster, no absence, no contingency: 10 nurses on duty at all times
STEADY: dict[str, Any] = {
    "staffing.night_share": 0.5,
    "staffing.weekend_share": 2.0 / 7.0,
    "staffing.absenteeism_noise_cv": 0.0,
    "staffing.absenteeism_respiratory_sensitivity": 0.0,
    "staffing.overtime_share_max": 0.0,
    "staffing.redeploy_ward_share_max": 0.0,
    "capacity.absenteeism": 0.0,
}
HOSPITAL = {"place": 0, "ward_beds": 80, "ward_nurses": 50}
FAR = {"place": 1, "ward_beds": 10}


def _run(
    arrivals_per_day: float,
    days: float = 10,
    hospitals: list[dict[str, Any]] | None = None,
    seed: int = 1,
    **overrides: Any,
) -> Any:
    """One run; the first place sends ``arrivals_per_day`` ward patients to hospital 0."""
    population = round(arrivals_per_day * 8766.0 * 1000.0 / (RATE_PER_1000_YEAR * 24.0))
    scn = scenario(
        **{
            "days": days,
            "seed": seed,
            "demand.admissions_per_1000_year": RATE_PER_1000_YEAR,
            "demand.los_distribution": "exponential",
            "demand.conditions": {c: WARD_ONLY for c in CONDITIONS},
            "care.max_transfers_per_patient": 0,
            **STEADY,
            **overrides,
        }
    )
    places = make_places([(-70.0, -33.0, population), (-60.0, -33.0, 500)])
    facilities = make_facilities(hospitals or [HOSPITAL, FAR], places)
    return run_scenario(scn, network=network(scn, places, facilities))


def _series(result: Any, facility: int = 0) -> pd.DataFrame:
    ts = result.to_pandas("timeseries")
    ts = ts[ts["facility_id"] == facility].reset_index(drop=True)
    ts["hour"] = (ts["time"] - ts["time"].iloc[0]).dt.total_seconds() / 3600.0
    return ts


def _boarded(result: Any) -> int:
    patients = result.to_pandas("patients")
    return int((patients.loc[patients["first_facility"] == 0, "waited_hours"] > 0).sum())


def test_fewer_patients_per_nurse_close_beds_the_headcount_stays() -> None:
    loose = _run(50)
    strict = _run(50, **{"capacity.ward_patients_per_nurse": 4.0})
    assert (_series(loose)["ward_staffed"] == 60).all()  # 10 on duty x 6
    assert (_series(strict)["ward_staffed"] == 40).all()  # 10 on duty x 4
    nurses = ["ward_nurses", "icu_nurses", "nurses"]
    pd.testing.assert_frame_equal(
        loose.to_pandas("facilities")[nurses], strict.to_pandas("facilities")[nurses]
    )
    assert _boarded(strict) > 2 * _boarded(loose)
    short, loose_short = strict.summary["nurse_hours_short"], loose.summary["nurse_hours_short"]
    assert short > 0 and short > 10 * loose_short


def test_fifteen_percent_absent_remove_about_fifteen_percent_of_staffed_beds() -> None:
    present = _run(55, days=30)
    absent = _run(
        55, days=30, **{"capacity.absenteeism": 0.15, "staffing.absenteeism_noise_cv": 0.3}
    )
    staffed = _series(absent)["ward_staffed"]
    assert (_series(present)["ward_staffed"] == 60).all()
    assert staffed.mean() / 60 == pytest.approx(0.85, abs=0.02)
    assert staffed.nunique() > 3  # the absent share varies from day to day
    assert _boarded(absent) > 1.5 * _boarded(present)


def test_a_respiratory_surge_keeps_nurses_at_home() -> None:
    """Base 4% absent; 5 points more per unit of respiratory demand above its mean: a 3x surge
    has 14% away."""
    surge = {"start_day": 3, "ramp_days": 1, "plateau_days": 5, "factor": 3.0}
    result = _run(
        20,
        **{
            "capacity.absenteeism": 0.04,
            "staffing.absenteeism_respiratory_sensitivity": 0.05,
            "demand.surges": [surge],
        },
    )
    ts = _series(result)
    before = ts.loc[ts["hour"] < 72, "nurses_on_duty"]
    plateau = ts.loc[(ts["hour"] >= 5 * 24) & (ts["hour"] < 9 * 24), "nurses_on_duty"]
    assert before.to_numpy() == pytest.approx(10 * 0.96)
    assert plateau.to_numpy() == pytest.approx(10 * 0.86)


def test_the_night_roster_staffs_fewer_beds_at_night_and_averages_one_over_a_week() -> None:
    """40% of a day's nurse-hours at night (19:00-07:00): 8 nurses at night, 12 by day."""
    result = _run(20, days=7, **{"staffing.night_share": 0.4})
    ts = _series(result)
    hour = ts["hour"] % 24  # UTC is local time here
    night = ts[(hour < 6) | (hour >= 20)]
    day = ts[(hour >= 8) & (hour < 18)]
    assert night["nurses_on_duty"].to_numpy() == pytest.approx(8.0)
    assert day["nurses_on_duty"].to_numpy() == pytest.approx(12.0)
    assert (night["ward_staffed"] == 48).all() and (day["ward_staffed"] == 72).all()
    assert ts["nurses_on_duty"].mean() == pytest.approx(10.0)  # a whole week
    rules = StaffingRules.from_scenario(
        load_scenario("chile", **{"staffing.night_share": 0.3, "staffing.weekend_share": 0.2})
    )
    week = roster_factor(rules, np.arange(168) + 0.5)
    assert week.mean() == pytest.approx(1.0)
    assert week.min() < 0.8 < 1.2 < week.max()


def test_a_standard_switched_at_a_day_staffs_more_beds_from_that_day() -> None:
    result = _run(
        65, days=4, **{"staffing.standard_from_day": [{"start_day": 2, "standard": "crisis"}]}
    )
    ts = _series(result)
    assert (ts.loc[ts["hour"] < 48, "ward_staffed"] == 60).all()
    assert (ts.loc[ts["hour"] >= 48, "ward_staffed"] == 80).all()  # 10 patients a nurse


def _first_switch(after_hours: float) -> tuple[float, float]:
    """When pressure on the ward first exceeded 70% at a window start, and when the hospital
    moved to the contingency standard (8 patients a nurse: 80 beds)."""
    trigger = {"standard": "contingency", "unit": "ward", "occupancy_above": 0.7}
    result = _run(70, days=4, **{"staffing.triggers": [{**trigger, "after_hours": after_hours}]})
    ts = _series(result)
    starts = ts[ts["hour"] % 2 == 0]
    pressure = (starts["ward_occupied"] + starts["waiting"]) / 80
    # the start of the first spell above 70% at window starts that lasts ``after_hours``
    above = math.nan
    spell = math.nan
    for hour, high in zip(starts["hour"].tolist(), (pressure > 0.7).tolist(), strict=True):
        if not high:
            spell = math.nan
            continue
        if math.isnan(spell):
            spell = float(hour)
        if hour - spell >= after_hours:
            above = spell
            break
    switched = float(ts.loc[ts["ward_staffed"] > 60, "hour"].iloc[0])
    if after_hours >= 12.0:
        # pressure never stays under 70% for 12 hours after the switch: no switch back
        assert (ts.loc[ts["hour"] >= switched, "ward_staffed"] == 80).all()
    return above, switched


def test_the_occupancy_trigger_fires_only_after_its_hours() -> None:
    above, switched = _first_switch(12.0)
    assert switched == above + 12.0
    first, at_once = _first_switch(0.0)
    assert at_once == first <= above


def test_overtime_and_agency_nurses_come_only_while_patients_wait() -> None:
    levers = {"staffing.overtime_share_max": 0.1, "staffing.agency_nurses_per_shift": 2.0}
    quiet, quiet_levers = _run(25), _run(25, **levers)  # 25 patients for 60 staffed beds
    for name in ("patients", "timeseries"):
        assert quiet.tables[name].equals(quiet_levers.tables[name])
    busy, busy_levers = _run(62), _run(62, **levers)
    staffed, more = _series(busy)["ward_staffed"], _series(busy_levers)["ward_staffed"]
    assert (staffed == 60).all()
    assert more.mean() > 60 and more.max() <= 78  # 10 + 1 overtime + 2 agency, 6 a nurse
    assert _boarded(busy_levers) < _boarded(busy)
    assert busy_levers.summary["nurse_hours_short"] < busy.summary["nurse_hours_short"]


def test_ward_nurses_go_to_the_icu_while_its_patients_wait() -> None:
    """6 ICU beds and 10 ICU nurses (2 on duty, 4 beds at 2 a nurse); 60 ward nurses."""
    icu_course = {**WARD_ONLY, "p_icu": 1.0, "p_ventilator": 0.0, "los_icu_days": 1.0}
    hospital = {**HOSPITAL, "ward_nurses": 60, "icu_beds": 6, "icu_nurses": 10}
    common = {"demand.conditions": {c: icu_course for c in CONDITIONS}}
    kept = _run(6, days=5, hospitals=[hospital, FAR], **common)
    moved = _run(
        6, days=5, hospitals=[hospital, FAR], **common, **{"staffing.redeploy_ward_share_max": 0.1}
    )
    assert (_series(kept)["icu_staffed"] == 4).all()
    ts = _series(moved)
    assert ts["icu_staffed"].max() == 6 and ts["icu_staffed"].min() == 4
    # what the ICU gains the ward loses: an ICU bed is half a nurse, 3 ward beds
    assert (72 - ts["ward_staffed"] == 3 * (ts["icu_staffed"] - 4)).all()


def test_headcount_is_the_national_stock_times_the_hospital_share() -> None:
    def nurses(**overrides: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        net = build_network(load_scenario("chile", days=1, **overrides))
        return net.facilities[["ward_nurses", "icu_nurses", "nurses"]], net.places

    stock = {"capacity.nurses_per_1000": 2.0, "capacity.hospital_nurse_share": 0.5}
    staff, places = nurses(**stock)
    assert staff["nurses"].sum() == round(places["population"].sum() * 2.0 / 1000 * 0.5)
    strict, _ = nurses(**stock, **{"capacity.ward_patients_per_nurse": 3.0})
    pd.testing.assert_frame_equal(staff, strict)  # the standard does not hire nurses


# -- everything at once: partition invariance and resume --------------------------------------

ALL_ON: dict[str, Any] = {
    "staffing.night_share": 0.42,
    "staffing.weekend_share": 0.25,
    "staffing.absenteeism_noise_cv": 0.4,
    "staffing.absenteeism_respiratory_sensitivity": 0.08,
    "staffing.overtime_share_max": 0.1,
    "staffing.agency_nurses_per_shift": 1.0,
    "staffing.redeploy_ward_share_max": 0.15,
    "staffing.standard_from_day": [{"start_day": 3, "standard": "contingency"}],
    "staffing.triggers": [
        {"standard": "crisis", "unit": "icu", "occupancy_above": 0.9, "after_hours": 6},
        {"standard": "contingency", "unit": "ward", "occupancy_above": 0.8, "after_hours": 10},
    ],
    "capacity.absenteeism": 0.06,
    "demand.surges": [
        {"start_day": 1, "ramp_days": 1, "plateau_days": 2, "factor": 3.0, "regions": ["CL-01"]}
    ],
    "care.max_transfers_per_patient": 2,
}


def _busy_network(**overrides: Any) -> Any:
    """Three short-staffed hospitals with wards and ICUs that transfer to each other."""
    scn = scenario(**{"days": 5, "seed": 7, **ALL_ON, **overrides})
    places = make_places([(-70.0, -33.0, 90_000), (-70.3, -33.1, 70_000), (-70.1, -33.4, 60_000)])
    rows = [
        {"place": i, "ward_beds": w, "icu_beds": c, "ward_nurses": n, "icu_nurses": m}
        for i, (w, c, n, m) in enumerate([(40, 6, 30, 12), (30, 4, 22, 8), (25, 0, 16, 0)])
    ]
    facilities = make_facilities(rows, places)
    return scn, network(scn, places, facilities)


@pytest.mark.slow
def test_same_tables_at_one_and_three_shards_with_every_lever_on() -> None:
    scn, net = _busy_network()
    one = run_scenario(scn, network=net)
    scn3, net3 = _busy_network(shards=3)
    three = run_scenario(scn3, network=net3)
    ts = one.to_pandas("timeseries")
    assert ts["ward_staffed"].nunique() > 5 and one.summary["nurse_hours_short"] > 0
    for name in ("patients", "transfers", "timeseries", "facilities"):
        left, right = one.tables[name], three.tables[name]
        if name == "facilities":
            left, right = left.drop(["shard"]), right.drop(["shard"])
        assert left.equals(right), f"{name} differs"


@pytest.mark.slow
def test_a_resumed_run_equals_one_that_never_stopped(tmp_path: Path) -> None:
    scn, net = _busy_network(shards=2, checkpoint_every_windows=25)
    straight = run_scenario(scn, network=net, checkpoints=tmp_path)
    assert checkpoint.committed_window(tmp_path) == 50
    scn, net = _busy_network(shards=2, checkpoint_every_windows=25)
    resumed = run_scenario(scn, network=net, checkpoints=tmp_path, resume=True)
    for name in ("patients", "transfers", "timeseries"):
        assert straight.tables[name].equals(resumed.tables[name]), f"{name} differs"
    assert isinstance(resumed.tables["timeseries"], pa.Table)
