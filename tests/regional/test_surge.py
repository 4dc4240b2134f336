"""Surge actions: fired by a day or by ICU pressure, in service after their lead time, the same
at any shard count and after a resume, and they relieve an ICU that is short of beds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from regional import checkpoint
from regional.runner import run_scenario
from regional.scenario import ScenarioError, load_scenario
from tests.networks import make_facilities, make_places, network, scenario

COURSE = {
    "respiratory": {"share": 1.0, "p_icu": 0.3, "p_ventilator": 0.0, "los_icu_days": 3.0},
}


def _run(actions: list[dict[str, Any]], shards: int = 1, **extra: Any) -> Any:
    scn, net = _setup(actions, shards, **extra)
    return run_scenario(scn, network=net)


def _setup(actions: list[dict[str, Any]], shards: int = 1, **extra: Any) -> tuple[Any, Any]:
    scn = scenario(
        days=12,
        shards=shards,
        surge_actions=actions,
        **{
            "demand.admissions_per_1000_year": 50.0,
            "demand.conditions": COURSE,
            "care.max_transfers_per_patient": 0,
            **extra,
        },
    )
    places = make_places([(-70.6, -33.4, 150_000), (-71.6, -33.0, 90_000)])
    # nurses for exactly their beds at 6 ward and 2 ICU patients a nurse, 5 people a post
    rows = [
        {"place": 0, "ward_beds": 80, "icu_beds": 4, "ward_nurses": 67, "icu_nurses": 10},
        {"place": 1, "ward_beds": 60, "icu_beds": 3, "ward_nurses": 50, "icu_nurses": 8},
    ]
    return scn, network(scn, places, make_facilities(rows, places))


def _icu_beds(result: Any) -> pd.DataFrame:
    ts = result.to_pandas("timeseries")
    return ts.pivot_table(index="time", columns="facility_id", values="icu_beds")


@pytest.mark.slow
def test_beds_converted_on_a_day_are_in_service_after_the_lead_time() -> None:
    action = {"action": "convert_ward_to_icu", "beds": 14, "day": 2, "lead_hours": 24}
    result = _run([action])
    beds = _icu_beds(result)
    start = beds.index.min()
    assert beds.loc[: start + pd.Timedelta(hours=71)].max().tolist() == [4, 3]
    assert beds.loc[start + pd.Timedelta(hours=73) :].min().tolist() == [12, 9]  # 14 by ICU beds
    ward = result.to_pandas("timeseries").groupby("facility_id")["ward_beds"].min().tolist()
    assert ward[:2] == [72, 54]
    assert result.summary["surge_actions"] == [
        {
            "action": "convert_ward_to_icu",
            "regions": "",
            "beds": 14,
            "fired_day": 2.0,
            "effective_day": 3.0,
        }
    ]


@pytest.mark.slow
def test_a_conversion_relieves_a_full_icu() -> None:
    base = _run([])
    action = {"action": "convert_ward_to_icu", "beds": 14, "day": 1, "lead_hours": 0}
    converted = _run([action])
    # an ICU bed needs a nurse for 2 patients on duty: 2.5 of headcount at 5 per post
    staffed = _run([{**action, "nurses_per_bed": 2.5}])
    a, b = base.to_pandas("patients"), converted.to_pandas("patients")
    c = staffed.to_pandas("patients")
    assert a["icu_denied"].sum() > 5  # the base ICU is short: requests end without a bed
    assert b["icu_denied"].sum() < 0.3 * a["icu_denied"].sum()

    def icu_wait(p: pd.DataFrame) -> float:
        return float(p.loc[p["need"] == 2, "waited_hours"].mean())

    # without nurses of their own the beds are staffed from the ward's, a third of them at
    # 6 ward and 2 ICU patients a nurse (overtime and redeployment add some): waits stay long
    assert icu_wait(c) < 0.5 * icu_wait(b) < 0.5 * icu_wait(a)

    def staffed_share(result: Any) -> float:
        ts = result.to_pandas("timeseries")
        late = ts[ts["time"] > ts["time"].min() + pd.Timedelta(days=2)]
        return float(late["icu_staffed"].sum() / late["icu_beds"].sum())

    assert staffed_share(converted) < 0.85 < staffed_share(staffed)
    # the episodes that arrive are the same: only capacity changed
    key = ["patient_id", "onset_time", "condition"]
    assert a[key].sort_values("patient_id").equals(b[key].sort_values("patient_id"))


@pytest.mark.slow
def test_pressure_fires_an_action_only_when_the_icu_is_full() -> None:
    action = {
        "action": "convert_ward_to_intermediate",
        "beds": 6,
        "icu_pressure_above": 0.95,
        "for_hours": 12,
        "lead_hours": 24,
    }
    full = _run([action])
    fired = full.summary["surge_actions"][0]
    assert fired["fired_day"] is not None and fired["effective_day"] == pytest.approx(
        fired["fired_day"] + 1.0
    )
    quiet = _run([action], **{"demand.admissions_per_1000_year": 5.0})
    assert quiet.summary["surge_actions"][0]["fired_day"] is None
    ts = full.to_pandas("timeseries")
    assert (
        ts["intermediate_beds"].max() > 0
        and quiet.to_pandas("timeseries")["intermediate_beds"].max() == 0
    )


@pytest.mark.slow
def test_surge_actions_give_the_same_tables_at_two_shards_and_after_a_resume(
    tmp_path: Path,
) -> None:
    actions = [
        {"action": "convert_ward_to_icu", "beds": 8, "icu_pressure_above": 0.9, "for_hours": 6},
        {"action": "add_ward_beds", "beds": 20, "day": 3, "regions": ["CL-01"]},
    ]
    one = _run(actions)
    two = _run(actions, shards=2)
    for name in ("patients", "transfers", "timeseries"):
        assert one.tables[name].equals(two.tables[name]), name
    straight = _run(actions, checkpoint_every_windows=60)
    scn, net = _setup(actions, checkpoint_every_windows=60)
    run_scenario(scn, network=net, checkpoints=tmp_path)
    assert checkpoint.committed_window(tmp_path) == 120
    resumed = run_scenario(scn, network=net, checkpoints=tmp_path, resume=True)
    for name in ("patients", "transfers", "timeseries"):
        assert straight.tables[name].equals(resumed.tables[name]), name
    assert np.isfinite(one.to_pandas("timeseries")["ward_beds"]).all()


def test_an_action_needs_one_trigger() -> None:
    with pytest.raises(ScenarioError, match="either day or icu_pressure_above"):
        load_scenario({"base": "chile", "surge_actions": [{"action": "add_ward_beds", "beds": 5}]})
