"""Telemedicine as it is practised: desks sized by demand, office hours, a synchronous and an
asynchronous mode, decisions that are sometimes wrong, and waits at the post that count."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from agents.telemedicine import OfficeHours
from regional.runner import run_scenario
from tests.networks import make_facilities, make_places, network, scenario

CLINIC_PEOPLE = 300_000


def _hub_and_clinics(people: int = CLINIC_PEOPLE, clinics: int = 1, **overrides: Any) -> Any:
    """A hub hospital with room to spare and rural posts linked to it, with their own people."""
    places = make_places(
        [(-70.6, -33.4, 50_000)] + [(-71.0 - 0.1 * i, -33.0, people) for i in range(clinics)]
    )
    rows = [{"place": 0, "ward_beds": 2000, "icu_beds": 200, "is_hub": True}]
    rows += [{"place": 1 + i, "kind": "clinic", "hub_id": 0} for i in range(clinics)]
    facilities = make_facilities(rows, places)
    scn = scenario(
        **{
            "days": 10,
            "demand.admissions_per_1000_year": 150.0,
            "demand.clinic_presentations_per_1000_year": 150.0,
            "telemedicine.coverage": 1.0,
            **overrides,
        }
    )
    return scn, places, facilities


def _run(scn: Any, places: Any, facilities: Any) -> dict[str, Any]:
    result = run_scenario(scn, network=network(scn, places, facilities))
    tables = {name: t.to_pandas() for name, t in result.tables.items()}
    tables["summary"] = result.summary
    start = pd.Timestamp(scn.start)
    for name, columns in (
        ("referrals", ("request_time", "answer_time")),
        ("transfers", ("depart_time", "arrive_time")),
        ("patients", ("arrival_time", "end_time")),
    ):
        for column in columns:
            tables[name][column + "_h"] = (tables[name][column] - start).dt.total_seconds() / 3600
    tables["referrals"] = tables["referrals"].merge(
        tables["patients"][["patient_id", "need", "outcome", "final_facility"]], on="patient_id"
    )
    return tables


def _specialists(**overrides: Any) -> int:
    scn, places, facilities = _hub_and_clinics(**overrides)
    return int(network(scn, places, facilities).facilities["tele_specialists"].iloc[0])


def test_a_desk_grows_with_the_demand_of_its_clinics_not_their_number() -> None:
    small = _specialists(people=20_000)
    large = _specialists(people=200_000)
    assert small == 1 and large > 3 * small
    # the same people over four posts need the same desk
    assert _specialists(people=50_000, clinics=4) == _specialists(people=200_000)
    # offered-load rule: twice the consult time, about twice the specialists
    longer = _specialists(people=200_000, **{"telemedicine.consult_minutes": 60.0})
    assert 2 * large - 1 <= longer <= 2 * large + 1
    assert _specialists(people=200_000, **{"telemedicine.specialists_per_hub": 2}) == 2


def test_office_hours_open_at_the_next_open_day() -> None:
    weekdays = OfficeHours(8.0, 20.0, frozenset(range(5)))
    # hour 0 of the run is a Sunday 00:00 local (hour 144 of the week)
    assert weekdays.next_open(3.0, 144.0) == pytest.approx(32.0)  # Monday 08:00
    assert weekdays.next_open(33.5, 144.0) == pytest.approx(33.5)  # open: at once
    assert weekdays.next_open(44.5, 144.0) == pytest.approx(56.0)  # after closing: next day
    assert weekdays.next_open(140.0, 144.0) == pytest.approx(200.0)  # Friday night: Monday
    assert weekdays.open_hours_per_week == 60.0


def test_a_request_outside_office_hours_is_answered_when_the_desk_opens() -> None:
    t = _run(
        *_hub_and_clinics(
            **{
                "telemedicine.office_open_hour": 9.0,
                "telemedicine.office_close_hour": 17.0,
                "telemedicine.office_weekdays": [0, 1, 2, 3, 4],
                "telemedicine.specialists_per_hub": 500,  # no queue: the hours alone
                "telemedicine.minor_mode": "asynchronous",  # only ward-level cases at the desk
            }
        )
    )
    sync = t["referrals"][t["referrals"]["need"] == 1]
    hours = OfficeHours(9.0, 17.0, frozenset(range(5)))
    week_offset = 6 * 24.0  # the chile base starts on Sunday 1 June 2025, 00:00 UTC
    opens = np.array([hours.next_open(r, week_offset) for r in sync["request_time_h"]])
    closed = opens > sync["request_time_h"].to_numpy() + 1e-9
    assert closed.sum() > 100 and (~closed).sum() > 100
    np.testing.assert_allclose(sync["answer_time_h"].to_numpy(), opens + 0.5, atol=1e-6)


def test_an_asynchronous_answer_takes_its_delay() -> None:
    t = _run(
        *_hub_and_clinics(
            **{"telemedicine.async_answer_hours": 48.0, "telemedicine.minor_mode": "asynchronous"}
        )
    )
    minor = t["referrals"][t["referrals"]["need"] == 0]
    assert len(minor) > 100
    waited = minor["answer_time_h"] - minor["request_time_h"]
    np.testing.assert_allclose(waited.to_numpy(), 48.0, atol=1e-6)
    # and the ward-level cases are answered by the synchronous desk, within the day
    ward = t["referrals"][t["referrals"]["need"] == 1]
    assert (ward["answer_time_h"] - ward["request_time_h"]).max() < 13.0


def test_a_share_of_the_ward_level_cases_kept_locally_return_and_reach_a_hospital() -> None:
    t = _run(
        *_hub_and_clinics(
            **{
                "telemedicine.decision_error_share": 0.3,
                "telemedicine.resolve_share_ward": 0.5,
                "telemedicine.return_after_hours": 12.0,
            }
        )
    )
    ref = t["referrals"]
    # cases kept early enough to have returned before the run ended
    kept = ref[(ref["need"] == 1) & (ref["decision"] == "treat_locally")]
    kept = kept[kept["answer_time_h"] < 10 * 24 - 24]
    returned = t["transfers"][t["transfers"]["reason"] == "returned"]
    back = kept["patient_id"].isin(returned["patient_id"])
    assert len(kept) > 300
    assert back.mean() == pytest.approx(0.3, abs=0.06)
    # those that returned were sent on to the hospital; the others ended at the post
    assert (kept.loc[back, "final_facility"] == 0).all()
    # (or died there: a ward-level case at a post runs the hazard of one without a bed)
    assert kept.loc[~back, "outcome"].isin(["treated_locally", "died"]).all()
    # they left the post the return delay after the answer, not before
    left = returned.set_index("patient_id")["depart_time_h"]
    answered = kept.loc[back].set_index("patient_id")["answer_time_h"]
    assert (left.loc[answered.index] >= answered + 12.0 - 1e-6).all()


def test_with_no_decision_error_no_case_kept_locally_returns() -> None:
    t = _run(*_hub_and_clinics(**{"telemedicine.decision_error_share": 0.0}))
    assert not (t["transfers"]["reason"] == "returned").any()
    kept = t["referrals"][
        (t["referrals"]["need"] == 1) & (t["referrals"]["decision"] == "treat_locally")
    ]
    assert kept["outcome"].isin(["treated_locally", "died", "in_system"]).all()
    assert len(kept) > 100


def test_waits_at_the_post_count_in_waited_hours_and_in_the_summary() -> None:
    t = _run(*_hub_and_clinics())
    sent = t["transfers"][t["transfers"]["reason"] == "teleconsult"].merge(
        t["patients"][["patient_id", "arrival_time_h", "waited_hours"]], on="patient_id"
    )
    at_post = sent["depart_time_h"] - sent["arrival_time_h"]
    assert (at_post > 0.4).all()  # at least the consult
    assert (sent["waited_hours"] >= at_post - 1e-6).all()
    summary = t["summary"]
    assert summary["post_waited_hours"] >= at_post.sum()
    assert summary["peak_waiting_at_posts"] > 0
    clinic = t["timeseries"][t["timeseries"]["facility_id"] == 1]
    assert clinic["waiting"].max() == summary["peak_waiting_at_posts"]
    facilities = t["facilities"].set_index("facility_id")
    assert facilities.loc[1, "post_waited_hours"] == pytest.approx(summary["post_waited_hours"])


def test_telemedicine_tables_are_the_same_at_one_and_two_shards() -> None:
    scn, places, facilities = _hub_and_clinics(people=60_000, clinics=2, days=4)
    one = run_scenario(scn, network=network(scn, places, facilities)).tables
    two_scn = scn.model_copy(update={"shards": 3})
    two = run_scenario(two_scn, network=network(two_scn, places, facilities)).tables
    for name in ("patients", "transfers", "referrals", "timeseries"):
        assert two[name].equals(one[name]), name
