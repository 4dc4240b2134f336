"""A small network for ensemble tests: a city with two hospitals, a town and a rural post."""

from __future__ import annotations

from typing import Any

from regional.network import Network
from regional.scenario import Scenario
from tests.networks import make_facilities, make_places, network, scenario

MORE_ICU = {"capacity.extra_beds": [{"facility": "T-001", "icu_beds": 6, "ventilators": 6}]}


def small_scenario(name: str = "base", days: float = 4, **overrides: Any) -> Scenario:
    """The small network's scenario: busy ICUs, so that ICU beds matter."""
    return scenario(
        **{
            "name": name,
            "days": days,
            "seed": 3,
            "demand.admissions_per_1000_year": 120.0,
            "capacity.initial_ward_occupancy": 0.7,
            "capacity.initial_icu_occupancy": 0.9,
            "capacity.extra_beds": [],
            **overrides,
        }
    )


def small_network(scn: Scenario) -> Network:
    """The small network built for ``scn``."""
    places = make_places([(-70.6, -33.4, 300_000), (-71.2, -33.9, 40_000), (-71.9, -34.3, 3_000)])
    facilities = make_facilities(
        [
            {"place": 0, "ward_beds": 150, "icu_beds": 6, "is_hub": True},
            {"place": 0, "ward_beds": 100, "icu_beds": 4, "dlon": 0.02},
            {"place": 1, "ward_beds": 30, "icu_beds": 0},
            {"place": 2, "kind": "clinic", "hub_id": 0},
        ],
        places,
    )
    return network(scn, places, facilities)


def small_pair(days: float = 4) -> tuple[list[Scenario], dict[str, Network]]:
    """The base and a what-if with six more ICU beds at the second hospital, and networks."""
    scenarios = [small_scenario("base", days), small_scenario("more-icu", days, **MORE_ICU)]
    return scenarios, {s.name: small_network(s) for s in scenarios}
