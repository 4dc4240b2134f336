"""Intervals, paired differences, bottleneck rankings and the precision rule, on known samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from regional.ensembles import stats


def test_interval_is_the_t_interval_of_the_mean() -> None:
    x = np.random.default_rng(1).normal(10.0, 2.0, 12)
    i = stats.interval(x, 0.9)
    low, high = sps.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert (i.low, i.high) == pytest.approx((low, high))
    assert (i.p5, i.p95) == pytest.approx(tuple(np.percentile(x, [5, 95])))
    assert i.n == 12 and i.mean == pytest.approx(x.mean())


def test_interval_of_one_value_is_unknown_and_of_equal_values_has_no_width() -> None:
    one = stats.interval([3.0])
    assert one.mean == 3.0 and np.isnan(one.low) and np.isnan(one.high)
    same = stats.interval([2.0, 2.0, 2.0])
    assert same.low == same.high == 2.0


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_interval_holds_its_mean(values: list[float]) -> None:
    i = stats.interval(values)
    tol = 1e-9 * (1 + abs(i.mean))
    assert i.low - tol <= i.mean <= i.high + tol
    assert i.p5 <= i.p95 + tol


def _long(values: dict[str, list[float]], metric: str = "deaths") -> pd.DataFrame:
    rows = [
        (scenario, "national", "all", metric, r, v)
        for scenario, vs in values.items()
        for r, v in enumerate(vs)
    ]
    return pd.DataFrame(
        rows, columns=["scenario", "level", "unit", "metric", "replication", "value"]
    )


def test_paired_difference_by_replication_and_share_better_by_direction() -> None:
    long = _long({"base": [10, 20, 30, 40], "what-if": [9, 18, 31, 37]})
    c = stats.compare(long, "base", ["what-if"], 0.95).iloc[0]
    d = np.array([-1, -2, 1, -3], dtype=float)
    assert c["difference"] == pytest.approx(d.mean())
    assert c["ci_high"] - c["ci_low"] == pytest.approx(2 * sps.t.ppf(0.975, 3) * d.std(ddof=1) / 2)
    assert c["share_better"] == 0.75  # fewer deaths is better
    more = stats.compare(_long({"base": [1, 2], "b": [2, 3]}, "icu_admissions"), "base", ["b"])
    assert more.iloc[0]["share_better"] == 1.0  # more ICU admissions is better
    neither = stats.compare(_long({"base": [1, 2], "b": [2, 3]}, "patients"), "base", ["b"])
    assert neither.iloc[0]["share_better"] is None


def test_a_difference_uses_only_replications_both_have() -> None:
    long = _long({"base": [10, 20, 30], "b": [11, 21]})
    c = stats.compare(long, "base", ["b"]).iloc[0]
    assert c["n"] == 2 and c["difference"] == 1.0


def _hospitals(values: list[list[float]]) -> pd.DataFrame:
    rows = []
    for r, per_hospital in enumerate(values):
        for i, v in enumerate(per_hospital):
            rows.append(
                {
                    "scenario": "s",
                    "replication": r,
                    "facility_id": i,
                    "code": f"H{i:02d}",
                    "name": f"Hospital {i}",
                    "region": "R",
                    "kind": "hospital",
                    "hours_at_full_icu": v,
                    "died_waiting": 0.0,
                    "transfers_out": 0.0,
                }
            )
    return pd.DataFrame(rows)


def test_probability_of_being_among_the_ten_worst() -> None:
    # 12 hospitals; H00 and H01 always worst, H11 never busy, H10 in the top 10 once
    first = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5, 0]
    second = [100, 90, 80, 70, 60, 50, 40, 30, 20, 1, 15, 0]
    b = stats.bottlenecks(_hospitals([first, second]))
    full = b[b["ranking"] == "hours_at_full_icu"].set_index("code")["probability_top"]
    assert full["H00"] == full["H01"] == 1.0
    assert full["H09"] == full["H10"] == 0.5
    assert "H11" not in full.index
    # a ranking with nobody in it lists nobody
    assert b[b["ranking"] == "died_waiting"].empty


def test_relative_half_width_of_the_targets() -> None:
    long = _long({"base": [100, 102, 98, 100]})
    i = stats.interval([100, 102, 98, 100])
    met = stats.precision_met(long, 0.05, ["deaths"])
    assert met[("base", "deaths")] == pytest.approx(i.half_width / 100)
    assert stats.precision_met(_long({"base": [5.0]}), 0.05, ["deaths"])[("base", "deaths")] == (
        float("inf")
    )
    assert stats.look_ahead(10) == 5 and stats.look_ahead(400) == 20
