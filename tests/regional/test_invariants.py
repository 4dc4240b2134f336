"""Invariants over small random networks: patients are conserved at every window, occupancy
never exceeds staffed beds, outcomes are consistent, and results do not depend on shards."""

from __future__ import annotations

from typing import Any

import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regional.runner import Progress, run_scenario
from tests.networks import make_facilities, make_places, network, scenario


@st.composite
def small_networks(draw: st.DrawFn) -> tuple[Any, Any, Any]:
    n_places = draw(st.integers(1, 4))
    rows = [
        (
            draw(st.floats(-71.5, -70.0)),
            draw(st.floats(-34.0, -32.5)),
            draw(st.integers(2_000, 60_000)),
        )
        for _ in range(n_places)
    ]
    places = make_places(rows)
    n_hospitals = draw(st.integers(1, 3))
    facilities = [
        {
            "place": draw(st.integers(0, n_places - 1)),
            "ward_beds": draw(st.integers(1, 12)),
            "icu_beds": draw(st.integers(0, 3)),
            "ventilators": draw(st.integers(0, 3)),
            "is_hub": i == 0,
            "dlon": 0.01 * i,
        }
        for i in range(n_hospitals)
    ]
    facilities += [
        {
            "place": draw(st.integers(0, n_places - 1)),
            "kind": "clinic",
            "hub_id": 0,
            "dlon": -0.02 * (i + 1),
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    frame = make_facilities(facilities, places)
    scn = scenario(
        **{
            "days": draw(st.sampled_from([1.5, 3.0])),
            "seed": draw(st.integers(0, 2**31)),
            "window_hours": draw(st.sampled_from([1.0, 2.0, 5.0])),
            "shards": draw(st.integers(1, len(frame))),
            "demand.admissions_per_1000_year": draw(st.sampled_from([80.0, 400.0])),
            "demand.clinic_presentations_per_1000_year": 200.0,
            "telemedicine.coverage": draw(st.sampled_from([0.0, 1.0])),
            "capacity.initial_ward_occupancy": draw(st.sampled_from([0.0, 0.9])),
            "capacity.initial_icu_occupancy": 0.5,
            "care.transfer_after_hours_ward": 2.0,
            "care.transfer_after_hours_icu": 1.0,
            "care.icu_wait_limit_hours": draw(st.sampled_from([3.0, 12.0, None])),
        }
    )
    return scn, places, frame


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_networks())
def test_patients_conserved_and_beds_respected(case: tuple[Any, Any, Any]) -> None:
    scn, places, facilities = case
    seen: list[Progress] = []
    result = run_scenario(scn, network=network(scn, places, facilities), progress=seen.append)

    created = sum(s.census for s in seen[0].stats)
    finished = 0
    for progress in seen:
        created += sum(s.new_patients for s in progress.stats)
        finished += sum(s.finished for s in progress.stats)
        live = sum(s.live for s in progress.stats)
        # every patient is waiting, in a bed, in transit, or finished
        assert created == finished + live + progress.in_transit
        for s in progress.stats:
            assert s.live == s.waiting + s.in_bed + s.arriving

    ts = result.tables["timeseries"]
    for occupied, staffed in (
        ("ward_occupied", "ward_staffed"),
        ("icu_occupied", "icu_staffed"),
        ("ventilators_in_use", "ventilators"),
    ):
        assert pc.all(pc.less_equal(ts.column(occupied), ts.column(staffed))).as_py() is not False

    patients = result.to_pandas("patients")
    assert len(patients) == created
    assert patients["patient_id"].is_unique
    assert ((patients["outcome"] == "in_system") == patients["end_time"].isna()).all()
    assert (patients["outcome"] != "in_system").sum() == finished
    died_waiting = result.tables["facilities"].column("died_waiting").to_numpy()
    assert died_waiting.sum() == result.summary["died_waiting_for_icu"]


def _tables(shards: int, seed: int = 5) -> dict[str, Any]:
    places = make_places(
        [
            (-70.6, -33.4, 300_000),
            (-71.6, -33.0, 120_000),
            (-70.7, -34.2, 60_000),
            (-72.0, -33.5, 4_000),
        ]
    )
    facilities = make_facilities(
        [
            {"place": 0, "ward_beds": 200, "icu_beds": 12, "is_hub": True},
            {"place": 0, "ward_beds": 60, "icu_beds": 0, "dlon": 0.05},
            {"place": 1, "ward_beds": 100, "icu_beds": 6},
            {"place": 2, "ward_beds": 40, "icu_beds": 0},
            {"place": 3, "kind": "clinic", "hub_id": 0},
        ],
        places,
    )
    scn = scenario(
        **{
            "days": 4,
            "seed": seed,
            "shards": shards,
            # busy enough that ICU requests end both ways (deaths and withdrawals) in 4 days
            "demand.admissions_per_1000_year": 100.0,
            "demand.clinic_presentations_per_1000_year": 400.0,
            "capacity.initial_ward_occupancy": 0.8,
            "capacity.initial_icu_occupancy": 0.95,
            "care.icu_wait_limit_hours": 24.0,
        }
    )
    result = run_scenario(scn, network=network(scn, places, facilities))
    tables = dict(result.tables)
    tables["facilities"] = tables["facilities"].drop_columns(["shard"])
    return tables


def test_same_seed_same_tables_at_any_shard_count() -> None:
    reference = _tables(1)
    assert reference["transfers"].num_rows > 0
    assert reference["referrals"].num_rows > 0
    ended = reference["facilities"].select(["died_waiting", "icu_requests_withdrawn"])
    assert all(pc.sum(column).as_py() > 0 for column in ended.columns)  # ICU requests ended
    for shards in (1, 2, 3, 5):
        tables = _tables(shards)
        for name, table in reference.items():
            assert tables[name].equals(table), f"{name} differs with {shards} shards"


def test_another_seed_gives_other_results() -> None:
    assert not _tables(1, seed=6)["patients"].equals(_tables(1, seed=5)["patients"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_networks(), st.data())
def test_partition_invariance_over_random_networks(
    case: tuple[Any, Any, Any], data: st.DataObject
) -> None:
    scn, places, facilities = case
    shards = data.draw(st.integers(1, len(facilities)))
    one = scn.model_copy(update={"shards": 1})
    many = scn.model_copy(update={"shards": shards})
    left = run_scenario(one, network=network(one, places, facilities)).tables
    right = run_scenario(many, network=network(many, places, facilities)).tables
    for name in ("patients", "transfers", "referrals", "timeseries"):
        assert left[name].equals(right[name]), f"{name} differs at {shards} shards"
