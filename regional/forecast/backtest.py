"""``regional backtest``: forecasts made as if on past days, scored against what happened.

For each reference time the twin forecasts from that day's census (the history's rows at or
before it) with only the admissions known then (the calibration's ``until``), and each
forecast is scored, per hospital, region, target and horizon, with the weighted interval
score, the coverage of its 50% and 90% intervals and the absolute error of its median,
beside the two baselines (``baselines``) scored the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from regional.forecast import baselines, scoring
from regional.forecast.driver import NetworkFor, hub_frame, make_forecast
from regional.forecast.history import Histories, histories, read_admissions_history
from regional.forecast.output import ForecastError, check_out, whole_folder
from regional.forecast.quantiles import LEVELS, hub_table, quantile_matrix
from regional.network import build_network
from regional.scenario import Scenario
from regional.storage import guarded

SCORED = ("ward_occupied", "icu_occupied", "intermediate_occupied", "waiting", "admissions")
MODELS = ("twin", *baselines.MODELS)
SEASON_DAYS = 7
HISTORY_DAYS = 14  # before the first reference date: two of each weekday (the fit needs them)


@dataclass
class Backtest:
    """Every reference time's scores, and what the back-test ran."""

    scores: pd.DataFrame
    forecasts: pd.DataFrame
    references: list[pd.Timestamp]
    calibrated: bool
    timings: dict[str, Any]


def reference_times(
    hist: Histories, days: int, dates: Sequence[dt.date] | None, every: int | None
) -> list[pd.Timestamp]:
    """The census times forecast from: the history's time on each of ``dates``, or every
    ``every`` days from two weeks after its first census while ``days`` more are in it."""
    times = hist.days
    if dates:
        out = []
        for d in dates:
            found = times[times.normalize() == pd.Timestamp(d, tz="UTC")]
            if not len(found):
                raise ForecastError(
                    f"--dates: {d} has no census in the history ({times[0].date()} to "
                    f"{times[-1].date()})"
                )
            out.append(found[-1])
        return out
    step = every or 7
    first = times[0] + pd.Timedelta(days=HISTORY_DAYS)
    last = times[-1] - pd.Timedelta(days=days)
    out = list(pd.date_range(first, last, freq=f"{step}D"))
    if not out:
        raise ForecastError(
            f"--censuses: the history spans {times[0].date()} to {times[-1].date()}; a back-test "
            f"of {days} days needs two weeks before its first reference date and {days} after it"
        )
    return out


def _position(index: pd.Index, when: pd.Timestamp) -> int:
    """The row of ``when`` in a daily index, or -1."""
    found = np.flatnonzero(index == when)
    return int(found[0]) if len(found) else -1


def _series(grid: pd.DataFrame, columns: list[str]) -> np.ndarray | None:
    if not set(columns) <= set(grid.columns):
        return None
    return grid[columns].sum(axis=1, min_count=len(columns)).to_numpy(dtype=np.float64)


def score_forecast(
    hub: pd.DataFrame, hist: Histories, reference: pd.Timestamp, locations: pd.DataFrame
) -> pd.DataFrame:
    """The twin's and the baselines' scores of one forecast, a row per location, target,
    horizon and model (locations whose history lacks a hospital are left out)."""
    wide = quantile_matrix(hub)
    days = int(hub["horizon"].max())
    facilities = locations[locations["level"] == "facility"]
    members: dict[str, list[str]] = {}
    for location, level in zip(locations["location"], locations["level"], strict=True):
        inside = facilities["region"] == location
        members[str(location)] = (
            [str(location)] if level == "facility" else facilities.loc[inside, "location"].tolist()
        )
    level_of = dict(zip(locations["location"], locations["level"], strict=True))
    rows: list[pd.DataFrame] = []
    h = np.arange(1, days + 1)
    leads = list(range(1, days + 1))
    for target in SCORED:
        grid = hist.grids.get(target)
        if grid is None:
            continue
        if target == "admissions":  # the last whole day known, then the forecast's days
            last = _position(grid.index, reference.normalize() - pd.Timedelta(days=1))
        else:
            last = _position(grid.index, reference)
        if last < 0:
            continue
        mine = wide[wide["target"] == target].set_index(["location", "horizon"])
        for location, columns in members.items():
            series = _series(grid, columns)
            if series is None or location not in mine.index.get_level_values(0):
                continue
            twin = mine.xs(location, level="location").reindex(h)[list(LEVELS)].to_numpy()
            ahead = last + h
            y = np.where(ahead < len(series), series[np.minimum(ahead, len(series) - 1)], np.nan)
            if np.nanmax(np.abs(series[: last + days + 1]), initial=0.0) == 0 and not twin.any():
                continue  # no beds of this kind there: nothing to forecast
            forecasts = {
                "twin": twin,
                "persistence": np.stack([baselines.persistence(series, last, k) for k in leads]),
                "seasonal_naive": np.stack(
                    [baselines.seasonal_naive(series, last, k) for k in leads]
                ),
            }
            for model, q in forecasts.items():
                rows.append(
                    pd.DataFrame(
                        {
                            "reference_date": reference.date(),
                            "location": location,
                            "level": level_of[location],
                            "target": target,
                            "horizon": h,
                            "model": model,
                            "observed": y,
                            "median": q[:, LEVELS.index(0.5)],
                            "wis": scoring.wis(LEVELS, q, y),
                            "coverage_50": scoring.covered(LEVELS, q, y, 0.5).astype(float),
                            "coverage_90": scoring.covered(LEVELS, q, y, 0.9).astype(float),
                            "abs_error": scoring.median_error(LEVELS, q, y),
                        }
                    )
                )
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    unknown = out["observed"].isna() | out["wis"].isna()
    return out[~unknown].reset_index(drop=True)


def run_backtest(
    scenario: Scenario,
    censuses: pd.DataFrame,
    admissions_path: Path | None,
    references: Sequence[pd.Timestamp] | None = None,
    days: int = 14,
    replications: int = 32,
    seed: int | None = None,
    workers: int = 1,
    dates: Sequence[dt.date] | None = None,
    every: int | None = None,
    network_for: NetworkFor = build_network,
    census_folder: Path | None = None,
) -> Backtest:
    """Forecast from each reference time's census and score it (nothing written but the
    censuses of each reference time, into ``census_folder``)."""
    began = time.perf_counter()
    admissions = read_admissions_history(admissions_path) if admissions_path else None
    hist = histories(censuses, admissions)
    refs = list(references or reference_times(hist, days, dates, every))
    calibrate = admissions_path is not None and _can_calibrate()
    folder = Path(census_folder) if census_folder else None
    plain = network_for(scenario.model_copy(update={"census": None}))
    scores, forecasts, seconds = [], [], []
    for ref in refs:
        t0 = time.perf_counter()
        assert folder is not None, "the censuses of each reference time need a folder"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"census-{ref.date().isoformat()}.csv"
        rows = hist.census_until(ref).assign(
            time=lambda f: f["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        rows.to_csv(path, index=False)
        fc = make_forecast(
            scenario,
            path,
            days=days,
            replications=replications,
            seed=seed,
            at=ref.to_pydatetime(),
            history=admissions_path if calibrate else None,
            workers=workers,
            network_for=network_for if calibrate else (lambda s: plain),
        )
        forecasts.append(hub_frame(ref.date(), fc.ensemble))
        scores.append(score_forecast(fc.hub, hist, ref, fc.ensemble.locations))
        seconds.append(round(time.perf_counter() - t0, 3))
    timings = {"wall_seconds": round(time.perf_counter() - began, 3), "per_reference": seconds}
    return Backtest(
        pd.concat(scores, ignore_index=True),
        pd.concat(forecasts, ignore_index=True),
        refs,
        calibrate,
        timings,
    )


def _can_calibrate() -> bool:
    try:
        import regional.history.calibrate  # noqa: F401
    except ImportError:
        return False
    return True


def summary(scores: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Mean scores by ``by`` and model, with the twin's WIS relative to each baseline's."""
    keys = [*by, "model"]
    mean = scores.groupby(keys)[["wis", "coverage_50", "coverage_90", "abs_error"]].mean()
    mean["n"] = scores.groupby(keys).size()
    wide = mean["wis"].unstack("model")
    out = mean.reset_index()
    for base in baselines.MODELS:
        if base in wide and "twin" in wide:
            ratio = (wide["twin"] / wide[base]).rename(f"relative_wis_vs_{base}")
            out = out.merge(ratio.reset_index(), on=list(by), how="left")
    return out


def markdown(by_horizon: pd.DataFrame) -> str:
    """The scores by horizon as a Markdown table: WIS of the twin and the baselines, the twin's
    relative WIS, and the coverage of each model's 50% and 90% intervals."""
    wis, c50, c90 = (
        by_horizon.pivot(index="horizon", columns="model", values=v).astype(float)
        for v in ("wis", "coverage_50", "coverage_90")
    )
    lines = [
        "| horizon | WIS twin | WIS persistence | WIS seasonal-naive | twin / persistence "
        "| 50% cov. twin | 90% cov. twin | 90% cov. persistence | 90% cov. seasonal-naive |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for hz in wis.index:
        w = {m: float(wis.loc[hz, m]) for m in MODELS}
        c = {m: float(c90.loc[hz, m]) for m in MODELS}
        lines.append(
            f"| {hz} | {w['twin']:.2f} | {w['persistence']:.2f} | {w['seasonal_naive']:.2f} | "
            f"{w['twin'] / w['persistence']:.2f} | {float(c50.loc[hz, 'twin']):.0%} | "
            f"{c['twin']:.0%} | {c['persistence']:.0%} | {c['seasonal_naive']:.0%} |"
        )
    return "\n".join(lines) + "\n"


def write_backtest(
    out: Path,
    scenario: Scenario,
    censuses: pd.DataFrame,
    admissions_path: Path | None,
    charts: bool = True,
    **options: Any,
) -> Backtest:
    """Run the back-test and write its folder whole: scores.csv and .parquet (a row per
    reference date, location, target, horizon and model), by_horizon.csv, by_facility.csv,
    scores.md, coverage.png, forecasts.parquet, the censuses forecast from and backtest.json."""
    check_out(out)
    with whole_folder(out, "the back-test folder") as work:
        result = run_backtest(
            scenario, censuses, admissions_path, census_folder=work / "censuses", **options
        )
        with guarded(work, "the back-test folder"):
            result.scores.to_csv(work / "scores.csv", index=False)
            pq.write_table(pa_table(result.scores), work / "scores.parquet")
            pq.write_table(hub_table(result.forecasts), work / "forecasts.parquet")
            by_horizon = summary(result.scores, ["horizon"])
            by_horizon.to_csv(work / "by_horizon.csv", index=False)
            by_target = summary(result.scores, ["target", "horizon"])
            by_target.to_csv(work / "by_target.csv", index=False)
            facilities = result.scores[result.scores["level"] == "facility"]
            summary(facilities, ["location"]).to_csv(work / "by_facility.csv", index=False)
            (work / "scores.md").write_text(markdown(by_horizon))
            if charts:
                from regional.forecast.charts import coverage_chart

                coverage_chart(work / "coverage.png", result.scores)
            manifest = {
                "references": [r.isoformat() for r in result.references],
                "calibrated": result.calibrated,
                "scenario": scenario.name,
                "models": list(MODELS),
                "timings": result.timings,
                **{k: v for k, v in options.items() if k != "network_for"},
            }
            (work / "backtest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return result


def pa_table(frame: pd.DataFrame) -> Any:
    """A frame as an Arrow table without its index."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)
