"""Intervals across replications, paired comparisons, bottleneck stability, and when to stop.

Every key result is a number per replication at one of three levels: the whole network
(``national``: the run's key results), a region (sums over its facilities, and its mean ward
and ICU occupancy) and a facility. Its summary across replications is the mean, the 5th and
95th percentiles, and the t confidence interval of the mean (``scipy.stats.t``). A comparison
subtracts the base scenario from another replication by replication (both ran with the same
seed: common random numbers), and gives the interval of that paired difference and the share
of replications in which the other scenario did better, by the key result's own direction.

``--precision`` follows the replications algorithm of Hoad, Robinson and Davies (2010, JORS
61:1632), as sim-tools' ``ReplicationsAlgorithm`` implements it: replications are added until
the half-width of each named result's interval is within ``precision`` of its mean, and stays
there over a look-ahead of further replications, or a cap is reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from scipy import stats as sps

CONFIDENCE = 0.95
TOP = 10
# national key results and which way is better: -1 lower, +1 higher, 0 neither
NATIONAL = {
    "patients": 0,
    "admissions": 0,
    "icu_admissions": 1,
    "transfers": 0,
    "teleconsults": 0,
    "deaths": -1,
    "died_waiting_for_icu": -1,
    "died_after_icu_request_ended": -1,
    "deaths_at_posts": -1,
    "boarded": -1,
    "mean_wait_hours": -1,
    "p95_wait_hours": -1,
    "peak_waiting": -1,
    "mean_ward_occupancy": 0,
    "peak_ward_occupancy": 0,
    "mean_icu_occupancy": 0,
    "peak_icu_occupancy": 0,
    "nurse_hours_short": -1,
    "mean_ventilator_availability": 1,
    "hospital_hours_short_of_oxygen": -1,
    "post_waited_hours": -1,
}
# per facility and, summed, per region
LOCAL = {
    "admissions": 0,
    "icu_admissions": 1,
    "transfers_out": -1,
    "deaths": -1,
    "died_waiting": -1,
    "hours_at_full_icu": -1,
    "peak_waiting": -1,
    "mean_icu_occupancy": 0,
    "peak_icu_occupancy": 0,
}
REGION_SUMS = ("admissions", "icu_admissions", "transfers_out", "deaths", "died_waiting")
# what --precision watches unless told otherwise
DEFAULT_TARGETS = ("deaths", "admissions", "icu_admissions", "mean_icu_occupancy")
RANKINGS = {
    "hours_at_full_icu": "hours at full ICU",
    "died_waiting": "deaths waiting",
    "transfers_out": "transfers out",
}
KEYS = ["scenario", "level", "unit", "metric"]


def direction(level: str, metric: str) -> int:
    """Which way a key result is better: -1 lower, +1 higher, 0 neither."""
    table = NATIONAL if level == "national" else LOCAL
    return table.get(metric, 0)


def long_results(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every key result of every replication, one row each: scenario, level, unit, metric,
    replication, value."""
    k = tables["key_results"]
    national = k.melt(
        id_vars=["scenario", "replication"],
        value_vars=[m for m in NATIONAL if m in k.columns],
        var_name="metric",
    ).assign(level="national", unit="all")
    f = tables["facilities"]
    hospitals = f[f["kind"] == "hospital"]
    facility = hospitals.melt(
        id_vars=["scenario", "replication", "code"],
        value_vars=list(LOCAL),
        var_name="metric",
    ).rename(columns={"code": "unit"})
    facility["level"] = "facility"
    sums = (
        f.groupby(["scenario", "replication", "region"], sort=False)[[*REGION_SUMS]]
        .sum()
        .join(_region_hours_full(hospitals))
        .reset_index()
    )
    occupancy = _mean_occupancy(tables["regions"])
    region = (
        sums.merge(occupancy.reset_index(), on=["scenario", "replication", "region"], how="left")
        .melt(
            id_vars=["scenario", "replication", "region"],
            value_vars=[
                *REGION_SUMS,
                "hours_at_full_icu",
                "mean_ward_occupancy",
                "mean_icu_occupancy",
            ],
            var_name="metric",
        )
        .rename(columns={"region": "unit"})
    )
    region["level"] = "region"
    out = pd.concat([national, region, facility], ignore_index=True)
    out["value"] = out["value"].astype(float)
    return out[["scenario", "level", "unit", "metric", "replication", "value"]]


def _region_hours_full(hospitals: pd.DataFrame) -> pd.Series:
    """Hospital-hours at full ICU summed over a region's hospitals."""
    return hospitals.groupby(["scenario", "replication", "region"], sort=False)[
        "hours_at_full_icu"
    ].sum()


def _mean_occupancy(regions: pd.DataFrame) -> pd.DataFrame:
    """Each region's occupied beds over its staffed beds, summed over the run's samples."""
    g = regions.groupby(["scenario", "replication", "region"], sort=False)[
        ["ward_occupied", "ward_staffed", "icu_occupied", "icu_staffed"]
    ].sum()
    return pd.DataFrame(
        {
            f"mean_{unit}_occupancy": g[f"{unit}_occupied"]
            / g[f"{unit}_staffed"].where(g[f"{unit}_staffed"] > 0)
            for unit in ("ward", "icu")
        }
    )


@dataclass(frozen=True)
class Interval:
    """Mean, percentiles and the t interval of the mean of a sample."""

    n: int
    mean: float
    sd: float
    p5: float
    p95: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        """Half the width of the interval of the mean."""
        return (self.high - self.low) / 2.0


def interval(values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Mean, 5th and 95th percentiles and the t confidence interval of the mean; with one
    value the interval is unknown (NaN), with identical values it has no width."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        nan = float("nan")
        return Interval(0, nan, nan, nan, nan, nan, nan)
    mean = float(x.mean())
    p5, p95 = (float(v) for v in np.percentile(x, [5, 95]))
    if n == 1:
        return Interval(1, mean, float("nan"), p5, p95, float("nan"), float("nan"))
    sd = float(x.std(ddof=1))
    half = float(sps.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / np.sqrt(n)
    return Interval(n, mean, sd, p5, p95, mean - half, mean + half)


def summarize(long: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per scenario, level, unit and key result: n, mean, sd, p5, p95 and the interval."""
    rows = []
    for key, group in long.groupby(KEYS, sort=False):
        i = interval(group["value"].to_numpy(), confidence)
        rows.append((*key, i.n, i.mean, i.sd, i.p5, i.p95, i.low, i.high))
    return pd.DataFrame(rows, columns=[*KEYS, "n", "mean", "sd", "p5", "p95", "ci_low", "ci_high"])


def compare(
    long: pd.DataFrame, base: str, others: Sequence[str], confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """For each other scenario and key result: the paired difference (other - base) over the
    replications both have, its interval, and the share of replications the other did better
    (None for a result with no better direction)."""
    wide = long.pivot_table(
        index=["level", "unit", "metric", "replication"],
        columns="scenario",
        values="value",
        aggfunc="first",
    )
    rows = []
    for other in others:
        if other not in wide.columns or base not in wide.columns:
            continue  # every replication of one of them failed: nothing to pair
        diff = (wide[other] - wide[base]).dropna()
        for key, d in diff.groupby(level=["level", "unit", "metric"], sort=False):
            level, unit, metric = cast(tuple[str, str, str], key)
            i = interval(d.to_numpy(), confidence)
            sign = direction(str(level), str(metric))
            better = float(np.mean(np.sign(d.to_numpy()) == sign)) if sign else None
            rows.append((other, base, level, unit, metric, i.n, i.mean, i.low, i.high, better))
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "base",
            "level",
            "unit",
            "metric",
            "n",
            "difference",
            "ci_low",
            "ci_high",
            "share_better",
        ],
    )


def bottlenecks(facilities: pd.DataFrame, top: int = TOP) -> pd.DataFrame:
    """Per scenario, ranking and hospital: the share of replications in which it is among the
    ``top`` hospitals by that ranking (a hospital with none of it is never among them)."""
    hospitals = facilities[facilities["kind"] == "hospital"]
    rows = []
    for scenario, runs in hospitals.groupby("scenario", sort=False):
        n = runs["replication"].nunique()
        for metric, label in RANKINGS.items():
            counts: dict[str, int] = {}
            for _, run in runs.groupby("replication"):
                ranked = run[run[metric] > 0].sort_values(
                    [metric, "facility_id"], ascending=[False, True]
                )
                for code in ranked["code"].head(top):
                    counts[code] = counts.get(code, 0) + 1
            names = runs.drop_duplicates("code").set_index("code")
            for code, count in counts.items():
                rows.append(
                    (
                        scenario,
                        metric,
                        label,
                        code,
                        names.loc[code, "name"],
                        names.loc[code, "region"],
                        count / n,
                    )
                )
    out = pd.DataFrame(
        rows,
        columns=["scenario", "ranking", "label", "code", "name", "region", "probability_top"],
    )
    return out.sort_values(
        ["scenario", "ranking", "probability_top", "code"], ascending=[True, True, False, True]
    ).reset_index(drop=True)


def look_ahead(replications: int) -> int:
    """Replications the precision must hold over before stopping (Hoad et al.: 5, or 5% of
    the replications beyond 100)."""
    return 5 if replications <= 100 else int(np.floor(0.05 * replications))


def precision_met(
    long: pd.DataFrame,
    precision: float,
    targets: Sequence[str] = DEFAULT_TARGETS,
    confidence: float = CONFIDENCE,
) -> dict[tuple[str, str], float]:
    """The relative half-width (half-width / |mean|) of each scenario's national target
    result, for the replications so far (inf while it cannot be known)."""
    national = long[(long["level"] == "national") & long["metric"].isin(targets)]
    out = {}
    for (scenario, metric), group in national.groupby(["scenario", "metric"], sort=False):
        i = interval(group["value"].to_numpy(), confidence)
        if i.n < 2 or not np.isfinite(i.half_width):
            out[(str(scenario), str(metric))] = float("inf")
        elif i.half_width == 0.0:
            out[(str(scenario), str(metric))] = 0.0
        else:
            out[(str(scenario), str(metric))] = (
                i.half_width / abs(i.mean) if i.mean else float("inf")
            )
    return out
