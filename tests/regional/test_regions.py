"""geography.regions: a network of some regions of a country."""

from __future__ import annotations

import pytest

from regional.network import build_network
from regional.scenario import ScenarioError, load_scenario


@pytest.mark.slow
def test_a_network_of_one_region_holds_its_places_only() -> None:
    network = build_network(load_scenario("manaus", days=1))
    assert set(network.places["region"]) == {"BR-04"}
    assert set(network.facilities["region"]) == {"BR-04"}
    assert "Manaus" in set(network.places["name"])


def test_a_region_the_country_lacks_is_named() -> None:
    scenario = load_scenario("chile", days=1, **{"geography.regions": ["BR-04"]})
    with pytest.raises(ScenarioError, match=r"geography\.regions: no places in .BR-04."):
        build_network(scenario)
