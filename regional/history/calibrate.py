"""Demand calibrated to an admissions history: a Poisson GLM with the model's season as offset.

For each unit ``u`` (a region of the network's places, or a hospital) and local day ``d``
before ``until``, within the last ``window_weeks`` weeks of the history, the admissions
``y[u, d]`` (all bed types) are Poisson with

    log E y[u, d] = log m[u, d] + a[u] + w[weekday(d)] + b * (d - until) / 7 days

where ``m[u, d]`` is the scenario's own expectation of the unit's hospital episodes that day
(its places' people times their admission rates, times the respiratory season and the surges
the scenario knows, with a flat week, no trend and no region factors), ``w`` are weekday
effects that sum to zero, and ``b`` is the log of the weekly growth. The fit is by iteratively
reweighted least squares (statsmodels' GLM); the standard errors are scaled by the Pearson
dispersion when it exceeds 1 (quasi-Poisson), so overdispersed histories get wider errors.
A window of a year or more fits the season too: ``m`` loses its season and the log of the
model's season multiplier enters with a fitted exponent, turned into the amplitude whose
season has the closest shape (``respiratory_season_amplitude`` in the overlay).

The overlay it writes is what a run starting at ``until`` needs to expect the same:
``region_factors[u] = exp(a[u]) * mean(exp(w))`` (the level at ``until`` over the model's, a
mean week), ``weekly_profile = exp(w) / mean(exp(w))`` and ``trend_per_week = exp(b) - 1``.
Fitted by hospital, a region's factor is its hospitals' factors weighted by their model
expectation. The method and its limits are in docs/calibration.md.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from regional.demand import HOURS_PER_YEAR, DemandModel
from regional.history.files import HistoryError

if TYPE_CHECKING:
    from regional.network import Network
    from regional.scenario import Scenario

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_DAYS = 14  # fewer days cannot tell a weekday profile from a trend
SEASON_DAYS = 365  # a window of a year or more fits the season's amplitude too
REFERENCE_AMPLITUDE = 0.4  # the season's shape fitted when the scenario's amplitude is 0


@dataclass
class Calibration:
    """A fitted history: coefficients with standard errors, fit statistics and the overlay."""

    by: Literal["region", "facility"]
    coefficients: pd.DataFrame  # term, estimate, se, z (log scale)
    region_factors: pd.DataFrame  # region, factor, se, model_per_day, observed_per_day
    unit_factors: pd.DataFrame  # unit, region, factor, se, model_per_day (units of the fit)
    weekly_profile: list[float]
    trend_per_week: float
    trend_se: float
    season_amplitude: float | None  # fitted respiratory season amplitude (a year or more)
    season_scale: float | None  # the exponent of the model's season, and its SE
    season_scale_se: float | None
    deviance: float
    null_deviance: float
    pearson_chi2: float
    df_resid: int
    dispersion: float  # Pearson chi2 over residual degrees of freedom
    first_day: dt.date
    last_day: dt.date
    until: dt.date
    fitted: pd.DataFrame = field(repr=False)  # unit, date, observed, expected, residual

    def overlay(self) -> dict[str, Any]:
        """The scenario overlay a run starting at ``until`` takes (``--overlay``)."""
        return {
            "demand": {
                "region_factors": {
                    str(r): round(float(f), 4)
                    for r, f in zip(
                        self.region_factors["region"],
                        self.region_factors["factor"],
                        strict=True,
                    )
                },
                "weekly_profile": [round(float(v), 4) for v in self.weekly_profile],
                "trend_per_week": round(float(self.trend_per_week), 5),
                **(
                    {"respiratory_season_amplitude": round(float(self.season_amplitude), 4)}
                    if self.season_amplitude is not None
                    else {}
                ),
            }
        }

    def write(self, path: str | Path) -> Path:
        """Write the overlay as YAML, with a comment saying what it was fitted to."""
        import yaml

        path = Path(path)
        head = (
            f"# regional calibrate: a Poisson GLM by {self.by} of the daily admissions of "
            f"{self.first_day} to {self.last_day};\n# for runs that start at {self.until} "
            f"(deviance {self.deviance:.1f} on {self.df_resid} df, dispersion "
            f"{self.dispersion:.2f}; docs/calibration.md)\n"
        )
        path.write_text(head + yaml.safe_dump(self.overlay(), sort_keys=False))
        return path

    def table(self) -> pd.DataFrame:
        """Coefficients and the overlay's values with their standard errors (fit.csv)."""
        rows = [
            {"term": t, "estimate": e, "se": s, "scale": "log"}
            for t, e, s in self.coefficients[["term", "estimate", "se"]].itertuples(
                index=False, name=None
            )
        ]
        if self.by == "facility":
            for unit, factor, se in self.unit_factors[["unit", "factor", "se"]].itertuples(
                index=False, name=None
            ):
                rows.append({"term": f"factor[{unit}]", "estimate": factor, "se": se, "scale": "x"})
        for region, factor, se in self.region_factors[["region", "factor", "se"]].itertuples(
            index=False, name=None
        ):
            rows.append(
                {"term": f"region_factor[{region}]", "estimate": factor, "se": se, "scale": "x"}
            )
        rows.append(
            {
                "term": "trend_per_week",
                "estimate": self.trend_per_week,
                "se": self.trend_se,
                "scale": "x",
            }
        )
        return pd.DataFrame(rows)

    def report(self) -> str:
        """The fit in Markdown (fit.md)."""
        lines = [
            f"# Calibration by {self.by}",
            "",
            f"Daily admissions of {self.first_day} to {self.last_day} "
            f"({self.fitted['date'].nunique()} days, {self.fitted['unit'].nunique()} units, "
            f"{int(self.fitted['observed'].sum()):,} admissions), for runs from {self.until}.",
            "",
            "| statistic | value |",
            "|---|---|",
            f"| deviance | {self.deviance:.2f} |",
            f"| null deviance | {self.null_deviance:.2f} |",
            f"| residual degrees of freedom | {self.df_resid} |",
            f"| Pearson chi-squared | {self.pearson_chi2:.2f} |",
            f"| dispersion (Pearson chi-squared / df) | {self.dispersion:.3f} |",
            f"| trend per week | {self.trend_per_week:+.4f} (SE {self.trend_se:.4f}) |",
            *(
                [
                    f"| season: exponent of the model's | {self.season_scale:.3f} "
                    f"(SE {self.season_scale_se:.3f}) |",
                    f"| respiratory season amplitude | {self.season_amplitude:.3f} |",
                ]
                if self.season_amplitude is not None
                else []
            ),
            "| weekly profile (Mon..Sun) | "
            + ", ".join(f"{v:.3f}" for v in self.weekly_profile)
            + " |",
            "",
            "| region | factor | SE | model per day | observed per day |",
            "|---|---|---|---|---|",
        ]
        for r in self.region_factors.itertuples(index=False):
            lines.append(
                f"| {r.region} | {r.factor:.4f} | {r.se:.4f} | {r.model_per_day:.2f} | "
                f"{r.observed_per_day:.2f} |"
            )
        lines += [
            "",
            "Standard errors are quasi-Poisson (scaled by the dispersion when it exceeds 1). "
            "The method is in docs/calibration.md.",
            "",
        ]
        return "\n".join(lines)

    def plot_residuals(self, path: str | Path) -> Path:
        """A PNG of the Pearson residuals by day and of observed against fitted admissions."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        path = Path(path)
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
        f = self.fitted
        top.scatter(f["date"], f["residual"], s=6, alpha=0.5)
        top.axhline(0, color="black", lw=0.8)
        for bound in (-2, 2):
            top.axhline(bound, color="grey", lw=0.6, ls="--")
        top.set_ylabel("Pearson residual")
        top.set_title(f"Poisson GLM by {self.by}: dispersion {self.dispersion:.2f}")
        daily = f.groupby("date")[["observed", "expected"]].sum()
        bottom.plot(daily.index, daily["observed"], ".", label="observed")
        bottom.plot(daily.index, daily["expected"], "-", label="fitted")
        bottom.set_ylabel("admissions per day")
        bottom.legend()
        fig.autofmt_xdate()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        path.write_bytes(buffer.getvalue())
        return path


def fit(
    history: pd.DataFrame,
    scenario: Scenario,
    network: Network,
    until: dt.datetime | dt.date | None = None,
    by: Literal["region", "facility"] = "region",
    window_weeks: float = 8.0,
) -> Calibration:
    """Fit level, weekday profile and trend to the admissions history before ``until``.

    ``history`` is in the form ``read_admissions`` returns (``date, facility, need,
    admissions``); ``until`` (default: the day after the last date) is the first day the fit
    does not see, and the day the overlay's trend counts from. Only the last
    ``window_weeks`` weeks before it are fitted.

    Raises:
        HistoryError: too few days, facilities the network lacks, or no admissions at all.
    """
    import statsmodels.api as sm

    frame = history.copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    if until is None:
        end = frame["date"].max() + pd.Timedelta(days=1)
    else:
        end = pd.Timestamp(until).tz_localize(None) if pd.Timestamp(until).tzinfo else None
        end = (end if end is not None else pd.Timestamp(until)).normalize()
    begin = end - pd.Timedelta(days=round(window_weeks * 7))
    frame = frame[(frame["date"] < end) & (frame["date"] >= begin)]
    if frame.empty:
        raise HistoryError(
            f"the history has no days in the {window_weeks:g} weeks before {end.date()}; "
            "give a history that ends before --until"
        )
    facilities = network.facilities.set_index("code", drop=False)
    unknown = sorted(set(frame["facility"].astype(str)) - set(facilities.index.astype(str)))
    if unknown:
        raise HistoryError(
            f"facility {unknown[0]!r} of the history is not in the network of {scenario.name}"
        )
    days = pd.date_range(frame["date"].min(), end - pd.Timedelta(days=1), freq="D")
    if len(days) < MIN_DAYS:
        raise HistoryError(
            f"the history has {len(days)} days before {end.date()}; the fit needs at least "
            f"{MIN_DAYS} (two of each weekday)"
        )
    model_daily, unit_region = _model_expectation(scenario, network, days, by)
    seasonal = len(days) >= SEASON_DAYS
    if seasonal:  # the season as a term: the model's own, raised to a fitted power
        reference = scenario.demand.respiratory_season_amplitude or REFERENCE_AMPLITUDE
        flat_daily, _ = _model_expectation(scenario, network, days, by, amplitude=0.0)
        shaped, _ = _model_expectation(scenario, network, days, by, amplitude=reference)
        model_daily = flat_daily
    unit_of = (facilities["region"] if by == "region" else facilities["code"]).astype(str)
    frame["unit"] = unit_of.reindex(frame["facility"].astype(str)).to_numpy()
    observed = frame.groupby(["unit", "date"])["admissions"].sum()
    units = sorted(set(observed.index.get_level_values("unit")))
    missing = [u for u in units if u not in model_daily.columns]
    if missing:
        raise HistoryError(
            f"{by} {missing[0]!r} has admissions in the history but no people in the network "
            f"to come from; fit --by {'facility' if by == 'region' else 'region'}"
        )
    grid = pd.MultiIndex.from_product([units, days], names=["unit", "date"])
    y = observed.reindex(grid, fill_value=0).to_numpy(dtype=np.float64)
    if y.sum() == 0:
        raise HistoryError("the history has no admissions to fit in its window")
    unit_idx = np.repeat(np.arange(len(units)), len(days))
    day_idx = np.tile(np.arange(len(days)), len(units))
    offset_values = model_daily.loc[days, units].to_numpy().T.reshape(-1)
    if (offset_values <= 0).any():
        raise HistoryError("the scenario expects no admissions on some day of a unit")
    weekday = np.tile(days.day_of_week.to_numpy(), len(units))
    weeks = np.tile(((days - end).days.to_numpy() + 0.5) / 7.0, len(units))
    design = np.zeros((len(y), len(units) + 6 + 1 + int(seasonal)))
    design[np.arange(len(y)), unit_idx] = 1.0
    for k in range(6):  # effect coding: Sunday is minus the sum of the others
        design[:, len(units) + k] = np.where(weekday == k, 1.0, np.where(weekday == 6, -1.0, 0.0))
    trend_at = len(units) + 6
    design[:, trend_at] = weeks
    if seasonal:
        design[:, -1] = np.log(shaped.loc[days, units].to_numpy().T.reshape(-1)) - np.log(
            offset_values
        )
    glm = sm.GLM(y, design, family=sm.families.Poisson(), offset=np.log(offset_values))
    result = glm.fit()
    dispersion = float(result.pearson_chi2 / result.df_resid) if result.df_resid > 0 else 1.0
    scale = max(dispersion, 1.0)
    params = np.asarray(result.params)
    cov = np.asarray(result.cov_params()) * scale
    se = np.sqrt(np.diag(cov))
    terms = [f"level[{u}]" for u in units] + [f"weekday[{d}]" for d in WEEKDAYS[:6]] + ["trend"]
    terms += ["season"] if seasonal else []
    coefficients = pd.DataFrame(
        {"term": terms, "estimate": params, "se": se, "z": params / np.where(se > 0, se, np.nan)}
    )
    # the weekly profile: exp of the effects (Sunday's is minus their sum), mean 1
    contrast = np.zeros((7, len(params)))
    for k in range(6):
        contrast[k, len(units) + k] = 1.0
        contrast[6, len(units) + k] = -1.0
    w = contrast @ params
    mean_week = float(np.mean(np.exp(w)))
    profile = np.exp(w) / mean_week
    # d log(mean exp w) / d params: the softmax weights through the contrast
    grad_week = (np.exp(w) / np.exp(w).sum()) @ contrast
    amplitude, rescale = None, 1.0
    if seasonal:
        amplitude, rescale = _amplitude_for(
            float(params[-1]), scenario, network, days, by, flat_daily, shaped
        )
    unit_factor = np.exp(params[: len(units)]) * mean_week / rescale
    unit_se = np.empty(len(units))
    for i in range(len(units)):
        grad = grad_week.copy()
        grad[i] += 1.0
        unit_se[i] = unit_factor[i] * float(np.sqrt(grad @ cov @ grad))
    expected = np.asarray(result.fittedvalues)
    fitted = pd.DataFrame(
        {
            "unit": np.asarray(units, dtype=object)[unit_idx],
            "date": days[day_idx],
            "observed": y,
            "expected": expected,
            "residual": (y - expected) / np.sqrt(expected),
        }
    )
    model_mean = model_daily[units].loc[days].mean()
    observed_mean = fitted.groupby("unit")["observed"].mean()
    factors = _region_factors(by, units, unit_factor, unit_se, model_mean, unit_region)
    factors["observed_per_day"] = (
        observed_mean.groupby([unit_region.get(u, u) for u in observed_mean.index])
        .sum()
        .reindex(factors["region"])
        .to_numpy()
    )
    trend = float(np.exp(params[trend_at]) - 1.0)
    unit_factors = pd.DataFrame(
        {
            "unit": units,
            "region": [unit_region.get(u, u) for u in units],
            "factor": unit_factor,
            "se": unit_se,
            "model_per_day": model_mean.reindex(units).to_numpy(),
        }
    )
    return Calibration(
        by=by,
        coefficients=coefficients,
        region_factors=factors,
        unit_factors=unit_factors,
        weekly_profile=[float(v) for v in profile],
        trend_per_week=trend,
        trend_se=float(np.exp(params[trend_at]) * se[trend_at]),
        season_amplitude=amplitude,
        season_scale=float(params[-1]) if seasonal else None,
        season_scale_se=float(se[-1]) if seasonal else None,
        deviance=float(result.deviance),
        null_deviance=float(result.null_deviance),
        pearson_chi2=float(result.pearson_chi2),
        df_resid=int(result.df_resid),
        dispersion=dispersion,
        first_day=days[0].date(),
        last_day=days[-1].date(),
        until=end.date(),
        fitted=fitted,
    )


def _region_factors(
    by: str,
    units: list[str],
    factor: np.ndarray,
    se: np.ndarray,
    model_mean: pd.Series,
    unit_region: dict[str, str],
) -> pd.DataFrame:
    """Region factors: the units' own, or hospitals' weighted by their model expectation."""
    frame = pd.DataFrame(
        {
            "region": [unit_region.get(u, u) for u in units],
            "factor": factor,
            "se": se,
            "model_per_day": model_mean.reindex(units).to_numpy(),
        }
    )
    if by == "region":
        return frame
    rows = []
    for region, group in frame.groupby("region", sort=True):
        weight = group["model_per_day"] / group["model_per_day"].sum()
        rows.append(
            {
                "region": region,
                "factor": float((weight * group["factor"]).sum()),
                "se": float(np.sqrt((weight**2 * group["se"] ** 2).sum())),
                "model_per_day": float(group["model_per_day"].sum()),
            }
        )
    return pd.DataFrame(rows)


def _amplitude_for(
    scale: float,
    scenario: Scenario,
    network: Network,
    days: pd.DatetimeIndex,
    by: str,
    flat: pd.DataFrame,
    shaped: pd.DataFrame,
) -> tuple[float, float]:
    """The season amplitude whose shape over the fitted days is closest (least squares on the
    log of the network's daily total) to the model's shape raised to ``scale``; and the ratio
    of the two, on average, that the levels absorb."""
    from scipy.optimize import minimize_scalar

    base = flat.sum(axis=1).to_numpy()
    target = scale * np.log(shaped.sum(axis=1).to_numpy() / base)

    def gap(amplitude: float) -> np.ndarray:
        season, _ = _model_expectation(scenario, network, days, by, amplitude=amplitude)
        return np.asarray(np.log(season.sum(axis=1).to_numpy() / base) - target)

    def loss(amplitude: float) -> float:
        g = gap(amplitude)
        return float(np.sum((g - g.mean()) ** 2))

    best = float(minimize_scalar(loss, bounds=(0.0, 10.0), method="bounded").x)
    return best, float(np.exp(gap(best).mean()))


def _model_expectation(
    scenario: Scenario,
    network: Network,
    days: pd.DatetimeIndex,
    by: str,
    amplitude: float | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The scenario's expected hospital episodes per local day (rows) and unit (columns),
    with a flat week, no trend and no region factors (and the season of ``amplitude`` when
    given); and each unit's region.

    A place's episodes belong to its region; by facility, to its first facility, or to the
    hospital a rural post refers to.
    """
    update: dict[str, Any] = {"region_factors": {}, "trend_per_week": 0.0}
    if amplitude is not None:
        update["respiratory_season_amplitude"] = amplitude
    demand = scenario.demand.model_copy(update=update)
    model = DemandModel(demand, scenario.clock_start, scenario.seed, scenario.warmup_hours)
    d = network.demand
    f = network.facilities
    rate = (
        d["population"].to_numpy(dtype=np.float64)
        * d["hospital_rate_per_1000_year"].to_numpy(dtype=np.float64)
        / 1000.0
        / HOURS_PER_YEAR
        * 24.0
    )
    if by == "region":
        unit = d["region"].astype(str).to_numpy()
        unit_region = {str(r): str(r) for r in set(unit)}
    else:
        fid = d["facility_id"].to_numpy()
        hub = f["hub_id"].to_numpy()[fid]
        clinic = f["kind"].to_numpy()[fid] != "hospital"
        fid = np.where(clinic & (hub >= 0), hub, fid)
        unit = f["code"].astype(str).to_numpy()[fid]
        unit_region = dict(zip(f["code"].astype(str), f["region"].astype(str), strict=True))
    clock = pd.Timestamp(scenario.clock_start).tz_convert(None)
    offset = float(np.median(d["utc_offset_hours"].to_numpy(dtype=np.float64))) if len(d) else 0.0
    mid = ((days + pd.Timedelta(hours=12 - offset)) - clock).total_seconds().to_numpy() / 3600.0
    peaks = model.season_peak_day(d["lat"].to_numpy(dtype=np.float64))
    surges = bool(demand.surges)
    keys = pd.DataFrame(
        {
            "unit": unit,
            "peak": peaks,
            "region": d["region"].astype(str).to_numpy() if surges else "",
            "country": d["country"].astype(str).to_numpy() if surges else "",
            "lat": d["lat"].to_numpy(dtype=np.float64),
            "rate": rate,
        }
    )
    share = model.courses.share.sum()
    columns: dict[str, np.ndarray] = {}
    cache: dict[tuple[float, str, str], np.ndarray] = {}
    for (u, _, region, country), group in keys.groupby(
        ["unit", "peak", "region", "country"], sort=True
    ):
        key = (float(group["peak"].iloc[0]), str(region), str(country))
        if key not in cache:
            weights = model.condition_weights(mid, float(group["lat"].iloc[0]), key[1], key[2])
            cache[key] = weights.sum(axis=1) / share
        columns[str(u)] = columns.get(str(u), 0.0) + group["rate"].sum() * cache[key]
    return pd.DataFrame(columns, index=days), unit_region
