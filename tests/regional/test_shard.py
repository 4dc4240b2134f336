"""The shard model as a Mesa model: its patients are registered agents, as Mesa keeps them."""

from __future__ import annotations

import logging

import pytest

from agents import Patient
from regional.network import care_policy, demand_model, shard_specs
from regional.shard import ShardModel
from tests.networks import make_facilities, make_places, network, scenario


def _model() -> ShardModel:
    places = make_places([(-70.65, -33.44, 400_000)])
    facilities = make_facilities([{"place": 0, "ward_beds": 40, "icu_beds": 6}], places)
    scn = scenario(**{"capacity.initial_ward_occupancy": 0.75})
    spec = shard_specs(network(scn, places, facilities))[0]
    return ShardModel(spec, demand_model(scn), care_policy(scn))


@pytest.mark.parametrize("mesa_debug", [False, True])
def test_patients_are_registered_and_removed_like_any_mesa_agent(
    mesa_debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    level = logging.DEBUG if mesa_debug else logging.WARNING
    with caplog.at_level(level, logger="MESA.mesa.model"):
        model = _model()
        patients = list(model.agents_by_type[Patient])
        assert len(patients) == model.census_patients == 30  # 75% of 40 ward beds
        assert all(p in model.agents for p in patients)
        gone = patients[0]
        gone.remove()
        assert gone not in model.agents and gone not in model.agents_by_type[Patient]
        assert len(model.agents_by_type[Patient]) == 29
    # Mesa's own debug messages appear exactly when its logger asks for them
    registered = [r for r in caplog.records if "registered Patient" in r.getMessage()]
    assert len(registered) == (30 if mesa_debug else 0)
