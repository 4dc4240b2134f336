"""The back-test on a synthetic truth: a run with more demand, a trend and longer-tailed stays
than the forecasting model knows, forecast from its censuses with the calibration of its
admissions, scored as the hubs score (``regional.forecast.backtest``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from regional.forecast.backtest import run_backtest
from regional.forecast.history import read_census_history
from tests.regional.forecast.truth import model_scenario, small_network, write_truth


@pytest.mark.slow
def test_the_intervals_cover_and_the_median_beats_persistence(tmp_path: Path) -> None:
    censuses, admissions, _ = write_truth(tmp_path, days=42)
    result = run_backtest(
        model_scenario(),
        read_census_history(censuses),
        admissions,
        days=14,
        replications=16,
        every=7,
        network_for=small_network,
        census_folder=tmp_path / "censuses",
    )
    assert len(result.references) == 3 and result.calibrated
    scores = result.scores
    twin = scores[scores["model"] == "twin"]
    assert set(twin["horizon"]) == set(range(1, 15))
    # the 90% intervals over horizons 1-14, pooled (about 45 observations a horizon)
    assert 0.80 <= twin["coverage_90"].mean() <= 0.98
    wis = scores[scores["horizon"] >= 3].groupby("model")["wis"].mean()
    assert wis["twin"] < wis["persistence"]
