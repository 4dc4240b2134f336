"""Country case mixes: the mean stay of a case mix in closed form, and Mexico's built-in.

Mexico's 4.0-day ALOS (OECD 2013, LATAM.md) is calibrated: its ward stays were scaled to it,
so the test checks the scaling, not a prediction of the twin.
"""

from __future__ import annotations

import pytest

from regional.casemix import mean_stay_days, ward_scale_for
from regional.scenario import Condition, _default_conditions, load_scenario


def test_one_condition_in_closed_form() -> None:
    c = Condition(
        share=1.0,
        p_icu=0.1,
        p_ventilator=0.5,
        p_escalate=0.05,
        los_ward_days=5.0,
        los_icu_days=8.0,
        p_death_ward=0.02,
        p_death_icu=0.1,
        p_death_ventilated=0.3,
        los_stepdown_days=3.0,
    )
    # 0.9 x (5 + 0.05 x 8) + 0.1 x (8 + 3)
    assert mean_stay_days({"x": c}) == pytest.approx(0.9 * 5.4 + 1.1)


def test_the_scale_reaches_the_target_and_keeps_the_icu() -> None:
    shared = _default_conditions()
    f = ward_scale_for(shared, 4.0)
    scaled = {
        k: c.model_copy(
            update={
                "los_ward_days": c.los_ward_days * f,
                "los_stepdown_days": c.los_stepdown_days * f,
            }
        )
        for k, c in shared.items()
    }
    assert mean_stay_days(scaled) == pytest.approx(4.0)
    assert [c.los_icu_days for c in scaled.values()] == [c.los_icu_days for c in shared.values()]
    with pytest.raises(ValueError, match="below the ICU part"):
        ward_scale_for(shared, 0.1)


def test_mexico_runs_on_its_published_stay_and_the_rest_shared() -> None:
    mexico = load_scenario("mexico").demand.conditions
    shared = _default_conditions()
    assert mean_stay_days(mexico) == pytest.approx(4.0, abs=0.01)  # calibrated, OECD 2013
    assert mean_stay_days(shared) > 6.0  # the shared mix, about 55% longer
    for name, c in mexico.items():
        kept = c.model_dump(exclude={"los_ward_days", "los_stepdown_days"})
        assert kept == shared[name].model_dump(exclude={"los_ward_days", "los_stepdown_days"})
    chile = load_scenario("chile").demand.conditions
    assert mean_stay_days(chile) == pytest.approx(mean_stay_days(shared))
