"""The records a run writes tell the truth: occupancy rebuilt from the stays is the time series,
per-facility counters add up to the network's, transfers arrive when the patient does, waits
count the censored ones, and a warm-up is left out of all of them."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from regional.runner import run_scenario
from regional.scenario import ScenarioError, load_scenario
from tests.e2e.test_cli import regional
from tests.networks import make_facilities, make_places, network, scenario


def _busy(**overrides: Any) -> tuple[Any, Any, Any]:
    """Three towns and a linked post: two hospitals near full, one without an ICU."""
    places = make_places([(-71.0, -33.0, 30_000), (-70.8, -33.0, 15_000), (-71.2, -33.1, 8_000)])
    facilities = make_facilities(
        [
            {"place": 0, "ward_beds": 14, "icu_beds": 2, "is_hub": True},
            {"place": 1, "ward_beds": 10, "icu_beds": 0},
            {"place": 0, "ward_beds": 8, "icu_beds": 2, "dlon": 0.02},
            {"place": 2, "kind": "clinic", "hub_id": 0},
        ],
        places,
    )
    scn = scenario(
        **{
            "days": 6,
            "seed": 11,
            "capacity.start": "steady",
            "demand.admissions_per_1000_year": 160.0,
            "demand.clinic_presentations_per_1000_year": 300.0,
            "telemedicine.coverage": 1.0,
            "care.transfer_after_hours_ward": 3.0,
            **overrides,
        }
    )
    return scn, places, facilities


@functools.cache
def _run(**overrides: Any) -> dict[str, pd.DataFrame]:
    scn, places, facilities = _busy(**overrides)
    result = run_scenario(scn, network=network(scn, places, facilities))
    tables = {name: table.to_pandas() for name, table in result.tables.items()}
    tables["summary"] = pd.DataFrame([result.summary])
    return tables


def _rebuilt(stays: pd.DataFrame, times: pd.Series, bed: str) -> pd.DataFrame:
    """Occupancy at each sample time from the stays: segments with start < t <= end."""
    out = []
    for t in times:
        going_on = stays["end_time"].isna() | (stays["end_time"] >= t)
        on = stays[(stays["bed"] == bed) & (stays["start_time"] < t) & going_on]
        counts = on.groupby("facility_id").size()
        out.append(pd.DataFrame({"time": t, "facility_id": counts.index, "n": counts.values}))
    return pd.concat(out)


@pytest.mark.parametrize("overrides", [{}, {"warmup_days": 1.0}])
def test_occupancy_rebuilt_from_the_stays_is_the_time_series(overrides: dict[str, Any]) -> None:
    tables = _run(**overrides)
    ts = tables["timeseries"]
    hospitals = ts[ts["ward_beds"] + ts["icu_beds"] > 0]
    for bed, column in (("ward", "ward_occupied"), ("icu", "icu_occupied")):
        rebuilt = _rebuilt(tables["stays"], hospitals["time"].drop_duplicates(), bed)
        merged = hospitals.merge(rebuilt, on=["time", "facility_id"], how="left")
        np.testing.assert_array_equal(merged["n"].fillna(0).to_numpy(), merged[column].to_numpy())
    assert (tables["timeseries"]["icu_occupied"] > 0).any()


@pytest.mark.parametrize("overrides", [{}, {"warmup_days": 1.0}])
def test_facility_counters_add_up_to_the_network(overrides: dict[str, Any]) -> None:
    tables = _run(**overrides)
    f, summary = tables["facilities"], tables["summary"].iloc[0]
    for counter, key in (
        ("admissions", "admissions"),
        ("icu_admissions", "icu_admissions"),
        ("teleconsults", "teleconsults"),
        ("transfers_out", "transfers"),
        ("deaths", "deaths"),
        ("treated_locally", "treated_locally"),
    ):
        assert int(f[counter].sum()) == int(summary[key]), counter
    assert summary["teleconsults"] > 0 and summary["transfers"] > 0
    # a consult is counted once, at the post that asks; the hub counts those it answers
    assert (f.loc[f["kind"] == "hospital", "teleconsults"] == 0).all()
    assert 0 < f["teleconsults_answered"].sum() <= f["teleconsults"].sum() + 5


def test_a_transfer_arrives_when_the_patient_does() -> None:
    # the busy towns beside a hospital with room: patients move there and take its beds
    scn, places, facilities = _busy()
    roomy = make_facilities([{"place": 1, "ward_beds": 60, "icu_beds": 6, "dlon": 0.03}], places)
    roomy["facility_id"] = len(facilities)
    roomy["code"] = f"T-{len(facilities):03d}"
    both = pd.concat([facilities, roomy], ignore_index=True)
    result = run_scenario(scn, network=network(scn, places, both))
    tables = {name: table.to_pandas() for name, table in result.tables.items()}
    transfers = tables["transfers"]
    window = pd.Timedelta(hours=2)
    start = tables["timeseries"]["time"].min()
    window_end = start + ((transfers["depart_time"] - start) // window + 1) * window
    # a message is delivered at the window's end: nobody arrives before it
    assert (transfers["arrive_time"] >= window_end).all()
    # and a patient who takes a bed there takes it from the arrival on, never before
    stays = tables["stays"].merge(transfers, left_on=["patient_id", "facility_id"],
                                  right_on=["patient_id", "to_facility"])  # fmt: skip
    assert (stays["start_time"] >= stays["arrive_time"]).all()
    assert (stays["start_time"] == stays["arrive_time"]).any()


def test_waits_count_everyone_who_waited_the_censored_ones_too() -> None:
    tables = _run()
    p, summary = tables["patients"], tables["summary"].iloc[0]
    episodes = p[~p["carried_over"]]
    waited = episodes[episodes["waited_hours"] > 0]
    assert summary["waited_patients"] == len(waited)
    censored = waited[waited["wait_censored"]]
    assert summary["waits_censored"] == len(censored) > 0
    still = censored[censored["outcome"] == "in_system"]
    assert len(still) > 0  # still waiting at the end, counted with the hours so far
    assert summary["wait_hours_p95"] == pytest.approx(
        np.percentile(waited["waited_hours"], 95), abs=1e-4
    )
    assert summary["wait_hours_max"] >= censored["waited_hours"].max() - 1e-4


def test_a_warm_up_is_left_out_of_the_results() -> None:
    tables = _run(warmup_days=1.0)
    ts = tables["timeseries"]
    start = pd.Timestamp(_busy()[0].start)
    assert ts["time"].min() == start
    assert ts["time"].nunique() == 6 * 24
    assert (tables["transfers"]["depart_time"] >= start).all()
    p = tables["patients"]
    assert (p.loc[~p["carried_over"], "arrival_time"] >= start).all()
    assert (p.loc[p["carried_over"], "arrival_time"] < start).all()
    ended = p["end_time"].notna()
    assert (p.loc[ended, "end_time"] >= start).all()


def test_a_warm_up_not_shorter_than_the_run_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="warmup_days: a warm-up of 7 days is not shorter"):
        load_scenario("chile", days=7, warmup_days=7)
    run = regional(
        "run", "chile", "--days", "3", "--set", "warmup_days=5", "--out", "x", cwd=tmp_path
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "warmup_days" in run.stderr
    assert not list(tmp_path.iterdir())


def test_the_steady_start_and_the_stays_are_the_same_at_any_shard_count() -> None:
    one, three = _run(), _run(shards=3)
    for name in ("patients", "stays", "timeseries", "transfers", "facilities"):
        pd.testing.assert_frame_equal(
            one[name].drop(columns=["shard"], errors="ignore"),
            three[name].drop(columns=["shard"], errors="ignore"),
            obj=name,
        )
