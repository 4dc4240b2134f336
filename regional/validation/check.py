"""Run a country's built-in over its two seasons and set the twin's figures beside the published.

Each country is run twice from its built-in scenario, each time for a warm-up and a measured
period: once centred on the respiratory peak (the winter peak figures) and once centred on the
day when the season's multiplier equals its yearly mean (the mean figures, which the registries
publish as yearly averages). Structure figures come from the network itself.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from regional.scenario import (
    Scenario,
    ScenarioError,
    builtin_names,
    load_scenario,
    scenario_from_dict,
)
from regional.validation import measures
from regional.validation.targets import LABELS, Target, targets_for

COUNTRY_BUILTIN = {"CL": "chile", "BR": "brazil", "MX": "mexico"}
PEAK_KEYS = frozenset({"icu_occupancy_winter_peak", "critical_occupancy_winter_peak"})
YEAR = 2025


@dataclass(frozen=True)
class Periods:
    """How long each validation run is: warm-up days left out, then days measured."""

    warmup_days: float = 7.0
    measured_days: float = 14.0

    @property
    def days(self) -> float:
        return self.warmup_days + self.measured_days


@dataclass
class CountryCheck:
    """The twin's figures for one country beside its targets."""

    country: str
    scenario: str
    figures: dict[str, float]
    seconds: float
    runs: list[dict[str, Any]] = field(default_factory=list)
    whole: dict[str, float] = field(default_factory=dict)  # structure of all sectors

    def rows(self) -> list[dict[str, Any]]:
        """One row per target: published value, band, the twin's value, and the verdict."""
        out = []
        for target in targets_for(self.country):
            source = self.whole if target.scope == "whole" and self.whole else self.figures
            out.append(_row(target, source.get(target.key)))
        return out


def _row(target: Target, value: float | None) -> dict[str, Any]:
    label, unit = LABELS[target.key]
    if value is None or math.isnan(value):
        verdict = "not simulated"
    elif target.role == "context":
        verdict = "context"
    else:
        verdict = "within band" if target.low <= value <= target.high else "outside band"
    return {
        "country": target.country,
        "figure": label,
        "key": target.key,
        "unit": unit,
        "published": target.value,
        "band_low": target.low,
        "band_high": target.high,
        "twin": value,
        "role": target.role,
        "verdict": verdict,
        "source": target.source,
        "band": target.band_reason,
        "scope": target.scope,
    }


def season_peak_day(scenario: Scenario, country: str) -> int:
    """Day of the year of the country's respiratory peak (its populous hemisphere)."""
    d = scenario.demand
    return d.season_peak_day_north if country == "MX" else d.season_peak_day_south


def mean_season_offset_days() -> float:
    """Days from the peak to where the season's multiplier equals its yearly mean.

    The season is ``1 + A * ((1 + cos(phase)) / 2) ** 2``, whose yearly mean of the bump is 3/8
    for any ``A``: the bump equals it where ``cos(phase) = 2 * sqrt(3/8) - 1``.
    """
    phase = math.acos(2.0 * math.sqrt(3.0 / 8.0) - 1.0)
    return phase / (2.0 * math.pi) * 365.25


def _start(day_of_year: float, warmup_days: float, measured_days: float) -> dt.datetime:
    centre = dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day_of_year - 1)
    start = centre - dt.timedelta(days=warmup_days + measured_days / 2.0)
    return start.replace(hour=0, minute=0, second=0, microsecond=0)


def check_country(
    country: str,
    periods: Periods,
    seed: int,
    scenario: str | None = None,
    settings: dict[str, Any] | None = None,
) -> CountryCheck:
    """Run one country's two seasons and return its figures."""
    from regional.network import build_network
    from regional.runner import run_scenario

    name = scenario or COUNTRY_BUILTIN[country]
    began = time.perf_counter()
    base = load_scenario(name, settings, seed=seed)
    peak = season_peak_day(base, country)
    offset = mean_season_offset_days()
    figures: dict[str, float] = {}
    runs = []
    for season, day in (("mean", peak + offset), ("peak", peak)):
        start = _start(day, periods.warmup_days, periods.measured_days)
        scen = load_scenario(name, settings, seed=seed, days=periods.days, start=start.isoformat())
        network = build_network(scen)
        result = run_scenario(scen, network=network)
        places = result.to_pandas("places")
        population = float(places["population"].sum())
        if not figures:
            figures |= measures.structure(result.to_pandas("facilities"), population)
        found = measures.activity(
            result,
            pd.Timestamp(scen.start),
            periods.warmup_days * 24.0,
            periods.days * 24.0,
            population,
        )
        for key, value in found.items():
            if (season == "peak") == (key in PEAK_KEYS):
                figures[key] = value
        runs.append(
            {
                "season": season,
                "start": scen.start.isoformat(),
                "days": periods.days,
                "simulate_seconds": result.manifest.get("simulate_seconds"),
            }
        )
    whole = _whole_structure(base)
    return CountryCheck(country, name, figures, time.perf_counter() - began, runs, whole)


def _whole_structure(scenario: Scenario) -> dict[str, float]:
    """Structure figures of the network of all sectors (what a registry of every hospital
    counts), when the scenario simulates some sectors only; empty otherwise."""
    from regional.network import build_network

    if not scenario.geography.sectors:
        return {}
    data = scenario.model_dump(mode="json")
    data["geography"]["sectors"] = None
    network = build_network(scenario_from_dict(data, "all sectors"))
    population = float(network.places["population"].sum())
    return measures.structure(network.facilities, population)


def _country_of(path: str) -> str:
    """The one country with targets that a scenario file simulates."""
    countries = load_scenario(path).geography.countries or []
    known = [c for c in countries if c in COUNTRY_BUILTIN]
    if len(countries) != 1 or not known:
        raise ScenarioError(
            f"{path}: geography.countries is {countries}; validate compares one of "
            f"{', '.join(COUNTRY_BUILTIN)} with its published figures"
        )
    return known[0]


def resolve(names: list[str]) -> list[tuple[str, str | None]]:
    """Countries (codes, built-in names or scenario files) to check, as (country, scenario)
    pairs.

    Raises:
        ScenarioError: a name that is neither a country with targets nor its built-in.
    """
    if not names:
        return [(c, None) for c in COUNTRY_BUILTIN]
    by_builtin = {v: k for k, v in COUNTRY_BUILTIN.items()}
    out: list[tuple[str, str | None]] = []
    for name in names:
        if name.upper() in COUNTRY_BUILTIN:
            out.append((name.upper(), None))
        elif name in by_builtin:
            out.append((by_builtin[name], None))
        elif name.endswith((".yaml", ".yml")) and Path(name).is_file():
            out.append((_country_of(name), name))
        else:
            known = ", ".join([*COUNTRY_BUILTIN, *by_builtin])
            hint = " (a built-in without published targets)" if name in builtin_names() else ""
            raise ScenarioError(
                f"validate: unknown country {name!r}{hint}; expected one of {known}"
            )
    return out
