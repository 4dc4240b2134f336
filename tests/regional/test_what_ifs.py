"""What-ifs as common-random-number comparisons: a change of capacity, staff, equipment or
telemedicine leaves the arriving episodes as they were, and moves what it should."""

from __future__ import annotations

from typing import Any

import pytest

from regional.demand import CENSUS_ID_BASE
from regional.runner import run_scenario
from tests.networks import make_facilities, make_places, network, scenario

EPISODE = ["patient_id", "origin_place", "first_facility", "condition", "onset_time"]


HOSPITALS = [
    {"place": 0, "ward_beds": 300, "icu_beds": 12, "is_hub": True},
    {"place": 0, "ward_beds": 200, "icu_beds": 8, "dlon": 0.02},
    {"place": 1, "ward_beds": 60, "icu_beds": 0},
    {"place": 2, "kind": "clinic", "hub_id": 0},
]


def _run(extra: tuple[dict[str, Any], ...] = (), **overrides: Any) -> Any:
    """A city with two hospitals that share its people, a second town and a rural post (and
    the ``extra`` facilities)."""
    places = make_places([(-70.6, -33.4, 600_000), (-71.2, -33.9, 40_000), (-71.9, -34.3, 3_000)])
    facilities = make_facilities([*HOSPITALS, *extra], places)
    scn = scenario(
        **{
            "days": 10,
            "seed": 9,
            "demand.admissions_per_1000_year": 120.0,
            "demand.clinic_presentations_per_1000_year": 300.0,
            "capacity.initial_ward_occupancy": 0.7,
            "capacity.initial_icu_occupancy": 0.8,
            "capacity.extra_beds": [],
            **overrides,
        }
    )
    return run_scenario(scn, network=network(scn, places, facilities))


def _episodes(result: Any) -> Any:
    """The episodes that arrived during the run (the starting census fills the beds there are,
    so a what-if on beds changes it)."""
    patients = result.to_pandas("patients")
    patients = patients[patients["patient_id"] < CENSUS_ID_BASE]
    return patients[EPISODE].sort_values("patient_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def base() -> Any:
    return _run()


@pytest.mark.parametrize(
    "lever",
    [
        {"capacity.extra_beds": [{"facility": "T-001", "icu_beds": 20, "ventilators": 20}]},
        {"capacity.extra_beds": [{"facility": "T-000", "ward_beds": -100}]},
        {"capacity.absenteeism": 0.2},
        {"equipment.ventilator_mtbf_hours": 100.0},
        {"telemedicine.coverage": 1.0},
        {"care.transfer_after_hours_icu": 1.0},
    ],
    ids=["icu-beds", "fewer-ward-beds", "absence", "failing-ventilators", "telemedicine", "rule"],
)
def test_a_what_if_leaves_the_arriving_episodes_as_they_were(
    base: Any, lever: dict[str, Any]
) -> None:
    assert _episodes(_run(**lever)).equals(_episodes(base))


def test_icu_beds_added_to_a_hospital_take_its_icu_patients_in(base: Any) -> None:
    more = _run(
        **{"capacity.extra_beds": [{"facility": "T-001", "icu_beds": 20, "ventilators": 20}]}
    )
    before = base.to_pandas("facilities").set_index("code")
    after = more.to_pandas("facilities").set_index("code")
    assert after.loc["T-001", "icu_beds"] == before.loc["T-001", "icu_beds"] + 20
    assert after.loc["T-001", "icu_admissions"] > before.loc["T-001", "icu_admissions"]
    assert more.summary["died_waiting_for_icu"] <= base.summary["died_waiting_for_icu"]
    assert more.summary["deaths"] <= base.summary["deaths"]


def test_a_hospital_opened_in_a_town_changes_only_that_towns_episodes(base: Any) -> None:
    # the demand points keep their streams by place and first facility, not by row: a
    # hospital opened in the second town splits that town's people, and the city's and the
    # post's episodes stay as they were (their patient ids renumber with the rows)
    opened = _run(extra=({"place": 1, "ward_beds": 40, "icu_beds": 0, "dlon": 0.01},))
    codes_before = base.to_pandas("facilities").set_index("facility_id")["code"]
    codes_after = opened.to_pandas("facilities").set_index("facility_id")["code"]
    columns = ["origin_place", "first_facility", "condition", "onset_time"]

    def episodes(result: Any, codes: Any) -> Any:
        e = _episodes(result)
        e["first_facility"] = codes.loc[e["first_facility"].to_numpy()].to_numpy()
        return e[columns].sort_values(columns).reset_index(drop=True)

    before, after = episodes(base, codes_before), episodes(opened, codes_after)
    town = int(base.to_pandas("places")["place_id"].iloc[1])
    kept_before = before[before["origin_place"] != town].reset_index(drop=True)
    kept_after = after[after["origin_place"] != town].reset_index(drop=True)
    assert len(kept_before) > 1_000
    assert kept_after.equals(kept_before)
    # the town's people now go first to both of its hospitals
    firsts = set(after.loc[after["origin_place"] == town, "first_facility"])
    assert firsts == {"T-002", "T-004"}
