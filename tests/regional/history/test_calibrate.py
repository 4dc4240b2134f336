"""A history made by the twin with known rates is recovered by the fit within its standard
errors, and the overlay the fit writes moves a run's admissions by the fitted factors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from regional.history.calibrate import Calibration, fit
from regional.history.from_run import admissions_from_run
from regional.network import Network
from regional.runner import run_scenario
from regional.scenario import Scenario, load_scenario
from tests.networks import make_facilities, make_places, network, scenario

DAYS = 42
RATE = {"demand.admissions_per_1000_year": 100}
# the truth: region CL-00 has 30% more episodes than the model says, demand grows 3% a week
# and the week is steeper than the model's flat one
FACTOR, TREND = 1.3, 0.03
WEEK = [1.2, 1.1, 1.0, 1.0, 0.95, 0.9, 0.85]
TRUTH: dict[str, Any] = {
    **RATE,
    "demand.region_factors": {"CL-00": FACTOR},
    "demand.trend_per_week": TREND,
    "demand.weekly_profile": WEEK,
}


def _network(scn: Scenario) -> Network:
    places = make_places([(-70.6, -33.4, 100_000), (-71.0, -33.0, 80_000)])
    # beds enough that every episode is admitted the hour it arrives
    rows = [
        {"place": 0, "ward_beds": 900, "icu_beds": 120, "intermediate_beds": 20},
        {"place": 1, "ward_beds": 700, "icu_beds": 80},
    ]
    return network(scn, places, make_facilities(rows, places))


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    scn = scenario(days=DAYS, seed=7, **TRUTH)
    run = run_scenario(scn, network=_network(scn))
    run_dir = run.write(tmp_path_factory.mktemp("truth") / "run")
    return admissions_from_run(run_dir)


@pytest.fixture(scope="module")
def calibration(truth: pd.DataFrame) -> Calibration:
    model = scenario(days=DAYS, **RATE)
    return fit(truth, model, _network(model))


@pytest.mark.slow
def test_the_fit_recovers_the_truths_factors_and_trend(calibration: Calibration) -> None:
    weeks = DAYS / 7  # the factors are the level at `until`, the trend's weeks after the start
    expected = {"CL-00": FACTOR * (1 + TREND) ** weeks, "CL-01": (1 + TREND) ** weeks}
    factors = calibration.region_factors.set_index("region")
    for region, value in expected.items():
        row = factors.loc[region]
        assert abs(row["factor"] - value) <= 3 * row["se"], (region, row.to_dict(), value)
        assert row["se"] < 0.06 * value  # the errors are small enough to mean something
    assert abs(calibration.trend_per_week - TREND) <= 3 * calibration.trend_se
    assert calibration.trend_se < 0.015
    # Monday over Sunday: 1.2 / 0.85 in the truth
    se = calibration.coefficients.set_index("term")["se"]
    ratio = np.log(calibration.weekly_profile[0] / calibration.weekly_profile[6])
    assert abs(ratio - np.log(1.2 / 0.85)) <= 3 * 2 * se["weekday[mon]"]
    assert 0.7 < calibration.dispersion < 1.5  # Poisson counts: no overdispersion
    assert calibration.until == (pd.Timestamp("2025-06-01") + pd.Timedelta(days=DAYS)).date()


@pytest.mark.slow
def test_rows_from_until_on_are_not_seen(truth: pd.DataFrame) -> None:
    model = scenario(days=DAYS, **RATE)
    until = pd.Timestamp("2025-06-29")
    cut = fit(truth, model, _network(model), until=until, window_weeks=3)
    assert cut.last_day == (until - pd.Timedelta(days=1)).date()
    assert cut.first_day == (until - pd.Timedelta(days=21)).date()
    # the same fit from the rows before until alone
    same = fit(truth[truth["date"] < until], model, _network(model), until=until, window_weeks=3)
    assert cut.deviance == pytest.approx(same.deviance)


@pytest.mark.slow
def test_the_overlay_moves_admissions_by_the_fitted_factor(
    calibration: Calibration, tmp_path: Path
) -> None:
    overlay = calibration.write(tmp_path / "overlay.yaml")
    days = 14
    base_dict = {
        "base": "chile",
        "name": "test",
        "days": days,
        "seed": 3,
        "demand": {
            "diurnal_amplitude": 0.0,
            "weekly_profile": [1, 1, 1, 1, 1, 1, 1],
            "respiratory_season_amplitude": 0.0,
            "clinic_presentations_per_1000_year": 0.0,
            "admissions_per_1000_year": 100,
        },
        "capacity": {"start": "fixed", "initial_ward_occupancy": 0.0, "initial_icu_occupancy": 0.0},
    }
    plain = load_scenario(base_dict)
    calibrated = load_scenario(base_dict, overlays=[overlay])
    assert calibrated.demand.trend_per_week == pytest.approx(calibration.trend_per_week, abs=1e-5)

    def admissions(scn: Scenario, name: str) -> pd.Series:
        run = run_scenario(scn, network=_network(scn))
        folder = run.write(tmp_path / name)
        frame = admissions_from_run(folder)
        region = {"T-000": "CL-00", "T-001": "CL-01"}
        return frame.groupby(frame["facility"].map(region))["admissions"].sum()

    before, after = admissions(plain, "plain"), admissions(calibrated, "calibrated")
    g = calibration.trend_per_week
    trend = np.mean((1 + g) ** ((np.arange(days) + 0.5) / 7))  # the trend's mean over the run
    factors = calibration.region_factors.set_index("region")["factor"]
    for region in ("CL-00", "CL-01"):
        moved = after[region] / before[region]
        expected = factors[region] * trend
        # the two runs' counts are Poisson; their ratio's error is at most this
        sd = expected * np.sqrt(1 / after[region] + 1 / before[region])
        assert abs(moved - expected) <= 3 * sd, (region, moved, expected)


@pytest.mark.slow
def test_by_facility_a_regions_only_hospital_has_the_regions_factor(
    truth: pd.DataFrame, calibration: Calibration
) -> None:
    model = scenario(days=DAYS, **RATE)
    by_facility = fit(truth, model, _network(model), by="facility")
    hospitals = by_facility.unit_factors.set_index("unit")
    regions = calibration.region_factors.set_index("region")
    for unit, region in (("T-000", "CL-00"), ("T-001", "CL-01")):
        assert hospitals.loc[unit, "region"] == region
        assert hospitals.loc[unit, "factor"] == pytest.approx(regions.loc[region, "factor"])
    assert by_facility.overlay() == calibration.overlay()
    assert {"factor[T-000]", "factor[T-001]"} <= set(by_facility.table()["term"])


def test_a_year_of_history_fits_the_seasons_amplitude_too() -> None:
    """Poisson days drawn from the model's own expectation with a season of amplitude 1.0 and
    20% more episodes: a fit of the year finds the amplitude the model (0.4) lacked."""
    from regional.history.calibrate import _model_expectation

    model = scenario(days=DAYS, **RATE, **{"demand.respiratory_season_amplitude": 0.4})
    net = _network(model)
    days = pd.date_range("2024-06-01", periods=420, freq="D")
    truth, _ = _model_expectation(model, net, days, "region", amplitude=1.0)
    rng = np.random.default_rng(11)
    rows = [
        (day, code, "ward", int(rng.poisson(1.2 * truth.loc[day, region])))
        for day in days
        for code, region in (("T-000", "CL-00"), ("T-001", "CL-01"))
    ]
    history = pd.DataFrame(rows, columns=["date", "facility", "need", "admissions"])
    fitted = fit(history, model, net, window_weeks=60)
    assert fitted.season_amplitude is not None and fitted.season_scale_se is not None
    assert abs(fitted.season_amplitude - 1.0) < 0.15, fitted.season_amplitude
    assert fitted.overlay()["demand"]["respiratory_season_amplitude"] == pytest.approx(
        fitted.season_amplitude, abs=1e-4
    )
    assert abs(fitted.trend_per_week) <= 3 * fitted.trend_se
    for row in fitted.region_factors.itertuples():
        assert abs(row.factor - 1.2) <= 3 * row.se + 0.02, row
