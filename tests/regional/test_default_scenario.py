"""The default scenario against published figures for Chile (../shared/params/LATAM.md)."""

from __future__ import annotations

import pytest

import regional


@pytest.fixture(scope="module")
def chile() -> regional.RunResult:
    return regional.run("chile")


@pytest.mark.slow
def test_occupancy_lands_in_published_ranges(chile: regional.RunResult) -> None:
    summary = chile.summary
    # held out: non-ICU beds 71% (MINSAL); no ward parameter was set from it
    assert 0.64 <= summary["mean_ward_occupancy"] <= 0.80
    # calibrated, not validation: Chile's 14 ICU beds per 100k were chosen to give adult
    # critical beds usually above 84%, winter peaks 89-91%; these lines only say that the
    # calibration still holds after a model change
    assert 0.78 <= summary["mean_icu_occupancy"] <= 0.95
    assert 0.85 <= summary["peak_icu_occupancy"] <= 1.0


@pytest.mark.slow
def test_admissions_follow_the_national_rate(chile: regional.RunResult) -> None:
    # about 85 discharges per 1,000 a year (Health at a Glance LAC 2023), 17.2M people
    per_day = chile.summary["admissions"] / 30
    assert 17.2e6 * 85 / 1000 / 365 * 0.8 <= per_day <= 17.2e6 * 85 / 1000 / 365 * 1.2


@pytest.mark.slow
def test_pressure_shows_in_the_first_run(chile: regional.RunResult) -> None:
    summary = chile.summary
    assert summary["transfers"] > 1000
    assert summary["teleconsults"] > 1000
    assert summary["boarded"] > 100
    assert summary["in_system"] > 0
    assert chile.manifest["episodes_per_cpu_second"] > 0
