"""The default scenario against Chile's published figures (regional/validation/targets.py).

Only held-out figures are asserted: nothing in the scenario was set or tuned from them. The
rest of the table, inside its band or not, is in docs/validation.md.
"""

from __future__ import annotations

import pandas as pd
import pytest

import regional
from regional.validation import measures
from regional.validation.targets import targets_for

WARMUP_HOURS = 7 * 24.0


@pytest.fixture(scope="module")
def chile() -> regional.RunResult:
    return regional.run("chile")


@pytest.fixture(scope="module")
def figures(chile: regional.RunResult) -> dict[str, float]:
    population = float(chile.to_pandas("places")["population"].sum())
    start = pd.Timestamp(chile.to_pandas("timeseries")["time"].min())
    hours = chile.manifest["scenario"]["days"] * 24.0
    out = measures.structure(chile.to_pandas("facilities"), population)
    return out | measures.activity(chile, start, WARMUP_HOURS, hours, population)


def _target(key: str):  # type: ignore[no-untyped-def]
    return next(t for t in targets_for("CL") if t.key == key)


@pytest.mark.slow
@pytest.mark.parametrize("key", ["ward_occupancy_mean"])
def test_held_out_figures_stay_in_their_published_band(figures: dict, key: str) -> None:
    target = _target(key)
    assert target.role == "held_out"
    assert target.low <= figures[key] <= target.high


@pytest.mark.slow
def test_inputs_come_back_out(figures: dict) -> None:
    for key in ("admissions_per_1000_year", "beds_per_1000", "icu_beds_per_100k"):
        target = _target(key)
        assert target.role == "input"
        assert target.low <= figures[key] <= target.high, key


@pytest.mark.slow
def test_pressure_shows_in_the_first_run(chile: regional.RunResult) -> None:
    summary = chile.summary
    assert summary["transfers"] > 1000
    assert summary["teleconsults"] > 1000
    assert summary["boarded"] > 100
    assert summary["in_system"] > 0
    assert chile.manifest["episodes_per_cpu_second"] > 0
