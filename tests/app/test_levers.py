"""The app's levers: each stands for the scenario settings it names, and left alone they leave
the scenario as it is."""

from __future__ import annotations

import pytest

from regional.app.levers import Levers
from regional.runner import fingerprint
from regional.scenario import ScenarioError, load_scenario


def test_untouched_levers_leave_the_scenario_as_it_is() -> None:
    base = load_scenario("chile", days=2)
    again = Levers.of(base).scenario("chile")
    assert fingerprint(again) == fingerprint(base)


def test_each_lever_reaches_its_field() -> None:
    levers = Levers.of(load_scenario("chile")).replace(
        extra_ward_beds=200,
        ward_to_icu_beds=30,
        absenteeism=0.2,
        ward_patients_per_nurse=9.0,
        ventilators_per_icu_bed=0.5,
        telemedicine_coverage=0.9,
        surge_factor=3.0,
    )
    scenario = levers.scenario("chile")
    assert scenario.capacity.absenteeism == 0.2
    assert scenario.capacity.ward_patients_per_nurse == 9.0
    # the stricter standards follow a looser conventional one
    assert scenario.capacity.contingency_ward_patients_per_nurse >= 9.0
    assert scenario.capacity.ventilators_per_icu_bed == 0.5
    assert scenario.telemedicine.coverage == 0.9
    actions = {a.action: a for a in scenario.surge_actions}
    assert actions["add_ward_beds"].beds == 200 and actions["add_ward_beds"].day == 0
    assert actions["convert_ward_to_icu"].beds == 30
    (surge,) = scenario.demand.surges
    assert surge.factor == 3.0 and surge.conditions == ["respiratory"]


def test_a_built_in_s_own_surge_actions_are_kept() -> None:
    base = load_scenario("manaus")
    levers = Levers.of(base).replace(extra_ward_beds=10)
    scenario = levers.scenario("manaus")
    assert len(scenario.surge_actions) == len(base.surge_actions) + 1
    assert len(scenario.demand.surges) == len(base.demand.surges)


def test_a_lever_out_of_range_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="absenteeism"):
        Levers().replace(absenteeism=1.5).scenario("chile")
