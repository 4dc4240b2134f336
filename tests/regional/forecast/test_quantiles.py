"""The hubs' long table: its columns, output types and the quantiles of samples."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from regional.forecast.quantiles import HUB_COLUMNS, LEVELS, hub_table, long_rows, quantile_matrix

REFERENCE = dt.date(2025, 6, 2)


def _samples(replications: int = 40) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.poisson(20, (replications, 2, 4)).astype(float)  # 2 locations, horizons 0..3


def test_quantile_rows_in_the_hubs_long_format() -> None:
    rows = long_rows(REFERENCE, "icu_occupied", ["A", "B"], _samples())
    assert tuple(rows.columns) == HUB_COLUMNS
    assert set(rows["output_type"]) == {"quantile", "mean"}
    assert len(rows) == 2 * 3 * (len(LEVELS) + 1)
    assert rows["horizon"].min() == 1 and rows["horizon"].max() == 3
    first = rows[rows["horizon"] == 1]["target_end_date"].iloc[0]
    assert first == REFERENCE + dt.timedelta(days=1)
    assert rows.loc[rows["output_type"] == "mean", "output_type_id"].isna().all()
    table = hub_table(rows)
    assert table.schema.field("horizon").type == "int32"


def test_quantiles_increase_and_match_numpys() -> None:
    samples = _samples()
    wide = quantile_matrix(long_rows(REFERENCE, "ward_occupied", ["A", "B"], samples))
    values = wide[list(LEVELS)].to_numpy()
    assert (np.diff(values, axis=1) >= 0).all()
    a2 = wide[(wide["location"] == "A") & (wide["horizon"] == 2)][0.9].iloc[0]
    assert a2 == pytest.approx(np.quantile(samples[:, 0, 2], 0.9))


def test_icu_full_is_a_probability_mass_and_transfers_a_mean() -> None:
    full = np.zeros((10, 1, 3))
    full[:3, 0, 1] = 1.0
    rows = long_rows(REFERENCE, "icu_full", ["A"], full)
    assert set(rows["output_type"]) == {"pmf"}
    day1 = rows[rows["horizon"] == 1].set_index("output_type_id")["value"]
    assert day1["full"] == pytest.approx(0.3) and day1["not_full"] == pytest.approx(0.7)
    moved = long_rows(REFERENCE, "transfers_in", ["A"], full)
    assert set(moved["output_type"]) == {"mean"}
