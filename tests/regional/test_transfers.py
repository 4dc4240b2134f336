"""Transfers as a regulation centre makes them: minor cases to the nearest emergency
department, critical patients to a hospital that offers their service, and no moves from one
full hospital to another."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from agents.pathway import Need
from regional.network import care_policy, demand_model, shard_specs
from regional.runner import run_scenario
from regional.shard import ShardModel
from tests.networks import make_facilities, make_places, network, scenario

NO_ICU = {
    name: {"p_icu": 0.0, "p_escalate": 0.0}
    for name in ("respiratory", "cardiac", "trauma", "obstetric", "other")
}


def _clinic_and_two_hospitals(near_ward_beds: int = 40, **overrides: Any) -> tuple[Any, Any, Any]:
    """A rural post, a general hospital near it and a regional one farther away."""
    places = make_places([(-71.0, -33.0, 200_000), (-71.2, -33.0, 30_000), (-70.4, -33.0, 30_000)])
    facilities = make_facilities(
        [
            {
                "place": 1,
                "ward_beds": near_ward_beds,
                "icu_beds": 40,
                "tier": "general",
                "is_hub": True,
            },
            {"place": 2, "ward_beds": 40, "icu_beds": 40, "tier": "regional"},
            {"place": 0, "kind": "clinic", "hub_id": 0},
        ],
        places,
    )
    scn = scenario(
        **{
            "days": 6,
            "demand.admissions_per_1000_year": 150.0,
            "demand.clinic_presentations_per_1000_year": 300.0,
            "telemedicine.coverage": 0.0,
            "telemedicine.refer_share_without_link": 1.0,
            **overrides,
        }
    )
    return scn, places, facilities


def _transfers(scn: Any, places: Any, facilities: Any) -> pd.DataFrame:
    result = run_scenario(scn, network=network(scn, places, facilities))
    patients = result.to_pandas("patients")[["patient_id", "condition", "need"]]
    return result.to_pandas("transfers").merge(patients, on="patient_id")


def test_a_minor_referral_goes_to_the_nearest_emergency_department_and_claims_no_bed() -> None:
    scn, places, facilities = _clinic_and_two_hospitals()
    model = ShardModel(
        shard_specs(network(scn, places, facilities))[0],
        demand_model(scn),
        care_policy(scn),
        census=False,
    )
    # the near one is full
    model.router.board_free = np.array([[0, 0, 0], [5, 5, 5]], dtype=np.int64)
    minor = SimpleNamespace(n_transfers=0, need=Need.NONE, ventilator=False, condition=0)
    for _ in range(3):
        assert model.router.choose(2, minor)[0] == 0  # type: ignore[arg-type]
    assert not any(model.router.claimed.values())  # the board's beds are left alone
    ward = SimpleNamespace(n_transfers=0, need=Need.WARD, ventilator=False, condition=0)
    assert model.router.choose(2, ward)[0] == 1  # type: ignore[arg-type]
    assert model.router.claimed[2] == {1: [1, 0, 0]}


def test_minor_referrals_reach_the_nearest_hospital_even_when_its_wards_are_full() -> None:
    scn, places, facilities = _clinic_and_two_hospitals(near_ward_beds=2)
    transfers = _transfers(scn, places, facilities)
    referrals = transfers[transfers["reason"] == "referral"]
    assert len(referrals) > 50
    assert (referrals["to_facility"] == 0).all()
    # patients who need a ward bed went past the full one
    assert (transfers.loc[transfers["reason"] == "no_telemedicine", "to_facility"] == 1).any()


def test_critical_trauma_and_cardiac_patients_go_past_a_general_hospital_to_a_regional_one() -> (
    None
):
    transfers = _transfers(*_clinic_and_two_hospitals())
    critical = transfers[transfers["reason"] == "critical"]
    referral_care = critical["condition"].isin(["trauma", "cardiac"])
    assert referral_care.sum() > 5 and (~referral_care).sum() > 5
    assert (critical.loc[referral_care, "to_facility"] == 1).all()
    assert (critical.loc[~referral_care, "to_facility"] == 0).all()
    # the same patients with the rule off: all to the nearest hospital with an ICU
    anywhere = _transfers(*_clinic_and_two_hospitals(**{"care.min_tier_icu": {}}))
    assert (anywhere.loc[anywhere["reason"] == "critical", "to_facility"] == 0).all()
    # and with respiratory care only at tertiary hospitals, none is in reach: they wait
    tertiary = _transfers(
        *_clinic_and_two_hospitals(**{"care.min_tier_icu": {"respiratory": "tertiary"}})
    )
    moved = tertiary[(tertiary["reason"] == "critical")]
    assert not (moved["condition"] == "respiratory").any()


def _saturated(shards: int = 1) -> dict[str, Any]:
    """Three towns, one with twice the patients its wards can take, two near full."""
    places = make_places([(-71.0, -33.0, 20_000), (-70.7, -33.0, 10_000), (-71.3, -33.0, 10_000)])
    facilities = make_facilities(
        [
            {"place": 0, "ward_beds": 15},
            {"place": 1, "ward_beds": 16},
            {"place": 2, "ward_beds": 16},
        ],
        places,
    )
    scn = scenario(
        **{
            "days": 12,
            "shards": shards,
            "demand.admissions_per_1000_year": 100.0,
            "demand.conditions": NO_ICU,
            "capacity.initial_ward_occupancy": 0.9,
            "care.transfer_after_hours_ward": 4.0,
        }
    )
    return dict(run_scenario(scn, network=network(scn, places, facilities)).tables)


def test_in_a_saturated_network_no_patient_moves_between_full_hospitals() -> None:
    tables = _saturated()
    transfers = tables["transfers"].to_pandas()
    no_bed = transfers[transfers["reason"] == "no_bed"]
    assert len(no_bed) >= 10  # enough moves for the checks below to mean something
    # the destination had a free staffed bed net of its queue at the start of the window
    ts = tables["timeseries"].to_pandas().set_index(["facility_id", "time"])
    start = no_bed["depart_time"].dt.floor("2h")
    at_start = ts.loc[list(zip(no_bed["to_facility"], start, strict=True))]
    free = at_start["ward_staffed"] - at_start["ward_occupied"] - at_start["waiting"]
    assert (free.to_numpy() > 0).all()
    # and nobody who came for want of a bed was sent on for want of one again
    assert not no_bed["patient_id"].duplicated().any()


def test_transfers_are_the_same_at_one_and_three_shards() -> None:
    reference = _saturated(1)
    other = _saturated(3)
    for name in ("patients", "transfers", "timeseries"):
        assert other[name].equals(reference[name]), name
    scn, places, facilities = _clinic_and_two_hospitals()
    one = run_scenario(scn, network=network(scn, places, facilities)).tables
    three_scn = scn.model_copy(update={"shards": 3})
    three = run_scenario(three_scn, network=network(three_scn, places, facilities)).tables
    for name in ("patients", "transfers", "referrals", "timeseries"):
        assert three[name].equals(one[name]), name
