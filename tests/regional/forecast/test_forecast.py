"""``regional forecast`` from a census: the state at t0 is the census, a seed fixes the
forecast, and bad input is refused before anything runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regional.forecast.driver import make_forecast
from regional.forecast.output import ForecastError
from regional.forecast.quantiles import HUB_COLUMNS, LEVELS
from tests.regional.forecast.truth import START, model_scenario, small_network

CENSUS = [
    {"facility": "T-000", "ward_occupied": 41, "icu_occupied": 5, "ventilators_in_use": 2},
    {"facility": "T-001", "ward_occupied": 22, "icu_occupied": 3, "ventilators_in_use": 0},
    {"facility": "T-002", "ward_occupied": 15, "icu_occupied": 0, "ventilators_in_use": 0},
]


def write_census(path: Path, rows: list[dict[str, object]] = CENSUS) -> Path:
    frame = pd.DataFrame(rows)
    frame.insert(1, "time", START)
    frame.to_csv(path, index=False)
    return path


def test_at_t0_every_replication_holds_the_census(tmp_path: Path) -> None:
    census = write_census(tmp_path / "census.csv")
    fc = make_forecast(model_scenario(), census, days=1, replications=3, network_for=small_network)
    locations = fc.ensemble.locations.set_index("location")
    for row in CENSUS:
        i = locations.index.get_loc(row["facility"])
        for bed in ("ward_occupied", "icu_occupied"):
            assert (fc.ensemble.samples[bed][:, i, 0] == row[bed]).all(), (row, bed)
        assert (fc.ensemble.samples["intermediate_occupied"][:, i, 0] == 0).all()
        assert (fc.ensemble.samples["waiting"][:, i, 0] == 0).all()
    region = locations.index.get_loc("CL-00")
    assert (fc.ensemble.samples["ward_occupied"][:, region, 0] == 41 + 22).all()


def test_a_seed_fixes_the_forecast_and_the_hub_table_is_whole(tmp_path: Path) -> None:
    census = write_census(tmp_path / "census.csv")
    one, two = (
        make_forecast(
            model_scenario(), census, days=2, replications=2, seed=9, network_for=small_network
        )
        for _ in range(2)
    )
    pd.testing.assert_frame_equal(one.hub, two.hub)
    hub = one.hub
    assert tuple(hub.columns) == HUB_COLUMNS
    quantiles = hub[hub["output_type"] == "quantile"]
    # 3 hospitals and 2 regions, 5 targets with quantiles, 2 horizons
    assert len(quantiles) == 5 * 5 * 2 * len(LEVELS)
    pmf = hub[hub["output_type"] == "pmf"]
    sums = pmf.groupby(["location", "horizon"])["value"].sum()
    assert np.allclose(sums, 1.0)
    assert set(hub["target"]) >= {"transfers_in", "transfers_out", "icu_full", "admissions"}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [{"facility": "CL-H00001", "ward_occupied": 3, "icu_occupied": 0}],
            "the census and the scenario are of different networks",
        ),
        (
            [*CENSUS, {"facility": "T-999", "ward_occupied": 3, "icu_occupied": 0}],
            "facility 'T-999' is not a hospital of the network",
        ),
        (
            [{"facility": "T-002", "ward_occupied": 1, "icu_occupied": 2}],
            "which has no icu beds in the network",
        ),
    ],
)
def test_a_census_of_another_network_is_named(
    tmp_path: Path, rows: list[dict[str, object]], expected: str
) -> None:
    census = write_census(tmp_path / "census.csv", rows)
    with pytest.raises(ForecastError, match=expected):
        make_forecast(model_scenario(), census, days=1, replications=2, network_for=small_network)


def test_a_census_without_a_time_needs_at(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("patient,facility,bed_type,admitted_at\np1,T-000,ward,2025-05-04T00:00:00Z\n")
    with pytest.raises(ForecastError, match="give --at"):
        make_forecast(model_scenario(), path, days=1, replications=2, network_for=small_network)


@pytest.mark.slow
def test_the_same_forecast_on_two_ray_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("RAY_AUTH_MODE", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "RAY_USAGE_STATS_ENABLED"):
        monkeypatch.setenv(key, "disabled" if key == "RAY_AUTH_MODE" else "0")
    census = write_census(tmp_path / "census.csv")
    serial, on_ray = (
        make_forecast(
            model_scenario(),
            census,
            days=2,
            replications=3,
            seed=4,
            workers=workers,
            network_for=small_network,
        )
        for workers in (1, 2)
    )
    pd.testing.assert_frame_equal(serial.hub, on_ray.hub)
