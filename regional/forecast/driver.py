"""``regional forecast`` from start to end: check, calibrate, simulate, summarise, write.

Everything a user can get wrong (the census, the network it belongs to, the overlay, the
folder) is refused before the first replication runs, and nothing is written then.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from regional.forecast.ensemble import Ensemble, simulate
from regional.forecast.output import ForecastError, check_out, whole_folder
from regional.forecast.quantiles import (
    MEAN_TARGETS,
    PMF_TARGET,
    QUANTILE_TARGETS,
    hub_table,
    long_rows,
)
from regional.network import Network, build_network
from regional.scenario import (
    Scenario,
    ScenarioError,
    _deep_merge,
    scenario_from_dict,
    scenario_to_dict,
)
from regional.storage import guarded

NetworkFor = Callable[[Scenario], Network]


@dataclass
class Forecast:
    """A forecast: its reference time, the hub table and the ensemble it summarises."""

    reference: dt.datetime
    hub: pd.DataFrame
    ensemble: Ensemble
    scenario: Scenario
    overlay: dict[str, Any]


def census_time(path: Path) -> dt.datetime | None:
    """The time of a per-facility census (its latest ``time``), None for other forms."""
    path = Path(path)
    if path.suffix.lower() == ".json" or not path.is_file():
        return None
    from regional.snapshot.records import _read_table

    try:
        frame = _read_table(path)
    except ValueError:
        return None
    if "time" not in frame.columns or "bed_type" in frame.columns:
        return None
    times = pd.to_datetime(frame["time"], utc=True, errors="coerce").dropna()
    return None if times.empty else times.max().to_pydatetime()


def apply_overlay(scenario: Scenario, overlay: dict[str, Any], origin: str) -> Scenario:
    """The scenario with a nested overlay merged in (a calibration's demand, say)."""
    if not overlay:
        return scenario
    try:
        return scenario_from_dict(_deep_merge(scenario_to_dict(scenario), overlay), origin)
    except ScenarioError as error:
        raise ForecastError(str(error)) from None


def calibrated(
    scenario: Scenario, network: Network, history: Path, until: dt.datetime
) -> dict[str, Any]:
    """The overlay fitted to the admissions history known before ``until``."""
    try:
        from regional.history import calibrate, files
    except ImportError:
        raise ForecastError(
            "--history: this build has no calibration (regional.history); forecast with the "
            "scenario's own rates (no --history) or with --overlay"
        ) from None
    try:
        admissions = files.read_admissions(history, network)
        return dict(calibrate.fit(admissions, scenario, network, until).overlay())
    except (ValueError, ScenarioError) as error:
        raise ForecastError(f"--history {history}: {error}") from None


def from_census(
    scenario: Scenario, census: Path, at: dt.datetime | None, days: int, form: str | None = None
) -> Scenario:
    """The scenario started at the census time (or ``at``) from the census, for ``days``."""
    if days < 1:
        raise ForecastError(f"--days: expected at least 1 day, got {days}")
    census = Path(census)
    if not census.is_file():
        raise ForecastError(f"--census {census}: no such file; give the census file's path")
    start = at or census_time(census)
    if start is None:
        raise ForecastError(
            f"--census {census}: a census of patients or FHIR has no census time; give --at "
            "(such as 2025-06-01T08:00:00Z)"
        )
    update = {
        "start": start.isoformat(),
        "days": float(days),
        "warmup_days": 0.0,
        "census": {"path": str(census.resolve()), "form": form},
    }
    data = {**scenario_to_dict(scenario), **update}
    try:
        return scenario_from_dict(data, f"--census {census.name}")
    except ScenarioError as error:
        raise ForecastError(str(error)) from None


def check_same_network(scenario: Scenario, network: Network) -> None:
    """Refuse a census none of whose facilities is a hospital of the scenario's network."""
    from regional.snapshot.records import CensusError, read_census

    assert scenario.census is not None
    path = Path(scenario.census.path)
    try:
        census = read_census(path, scenario.start, scenario.census.form)
    except CensusError as error:
        raise ForecastError(f"--census: {error}") from None
    f = network.facilities
    hospitals = f[f["kind"] == "hospital"]
    known = set(hospitals["code"].astype(str)) | set(hospitals["name"].astype(str))
    given = set(census["facility"].astype(str))
    if given and not given & known:
        raise ForecastError(
            f"--census {path.name}: none of its {len(given)} facilities (such as "
            f"{sorted(given)[0]}) is a hospital of {scenario.name}'s network (such as "
            f"{hospitals['code'].iloc[0]}); the census and the scenario are of different "
            "networks"
        )


def prepare(
    scenario: Scenario,
    census: Path,
    at: dt.datetime | None,
    days: int,
    overlay: dict[str, Any] | None = None,
    history: Path | None = None,
    network_for: NetworkFor = build_network,
    form: str | None = None,
) -> tuple[Scenario, Network, dict[str, Any]]:
    """The scenario from the census with its calibrated rates, its network, and the overlay."""
    scn = from_census(scenario, census, at, days, form)
    merged = dict(overlay or {})
    plain: Network | None = None
    if history is not None:
        plain = network_for(without_census(scn))
        fitted = calibrated(without_census(scn), plain, Path(history), scn.start)
        merged = _deep_merge(merged, fitted)
    if merged:
        scn, plain = apply_overlay(scn, merged, "the overlay"), None
    plain = plain or network_for(without_census(scn))
    check_same_network(scn, plain)
    return scn, with_census(plain, scn), merged


def without_census(scenario: Scenario) -> Scenario:
    """The scenario without its census (its network's facilities are the same)."""
    return scenario.model_copy(update={"census": None})


def with_census(network: Network, scenario: Scenario) -> Network:
    """A network built without the census, with the scenario's census read against it (the
    census is the last thing ``regional.network.assemble`` adds).

    Raises:
        ForecastError: the census names a facility or bed the network lacks.
    """
    from regional.snapshot.network import census_for

    try:
        census, line = census_for(scenario, network.facilities)
    except ScenarioError as error:
        raise ForecastError(str(error)) from None
    net = dataclasses.replace(network, scenario=scenario, filled={**network.filled})
    net.census = census
    net.filled["census"] = line
    return net


def hub_frame(reference: dt.date, ensemble: Ensemble) -> pd.DataFrame:
    """The ensemble in the hubs' long format (targets in a fixed order)."""
    locations = ensemble.locations["location"].tolist()
    parts = [
        long_rows(reference, target, locations, ensemble.samples[target])
        for target in (*QUANTILE_TARGETS, PMF_TARGET, *MEAN_TARGETS)
    ]
    return pd.concat(parts, ignore_index=True)


def make_forecast(
    scenario: Scenario,
    census: Path,
    days: int = 14,
    replications: int = 32,
    seed: int | None = None,
    at: dt.datetime | None = None,
    overlay: dict[str, Any] | None = None,
    history: Path | None = None,
    workers: int = 1,
    address: str | None = None,
    network_for: NetworkFor = build_network,
) -> Forecast:
    """A forecast from a census (nothing written; ``write_forecast`` writes it)."""
    if replications < 2:
        raise ForecastError(f"--replications: expected at least 2, got {replications}")
    scn, network, merged = prepare(scenario, census, at, days, overlay, history, network_for)
    base = scn.seed if seed is None else int(seed)
    ensemble = simulate(scn, network, days, replications, base, workers, address)
    reference = scn.start
    return Forecast(reference, hub_frame(reference.date(), ensemble), ensemble, scn, merged)


def write_forecast(forecast: Forecast, out: Path, charts: bool = True) -> list[Path]:
    """Write the forecast's folder whole: forecast.parquet, locations.csv, forecast.gpkg,
    charts/fan_<region>.png and forecast.json. Returns the files written."""
    began = time.perf_counter()
    out = Path(out)
    with whole_folder(out, "the forecast folder") as work:
        with guarded(work, "the forecast folder"):
            pq.write_table(hub_table(forecast.hub), work / "forecast.parquet")
            forecast.ensemble.locations.to_csv(work / "locations.csv", index=False)
            from regional.forecast.layers import write_layers

            write_layers(work / "forecast.gpkg", forecast.hub, forecast.ensemble.locations)
            if charts:
                from regional.forecast.charts import fan_charts

                fan_charts(work / "charts", forecast.hub, forecast.ensemble)
            manifest = {
                "reference_time": forecast.reference.isoformat(),
                "days": forecast.ensemble.days,
                "replications": len(forecast.ensemble.seeds),
                "seeds": forecast.ensemble.seeds,
                "seed_rule": "regional.ensembles.plan.replication_seed(seed, replication)",
                "overlay": forecast.overlay,
                "scenario": scenario_to_dict(forecast.scenario),
                "timings": {
                    **forecast.ensemble.timings,
                    "write_seconds": round(time.perf_counter() - began, 3),
                },
            }
            (work / "forecast.json").write_text(json.dumps(manifest, indent=2, default=str))
        written = sorted(p.relative_to(work) for p in work.rglob("*") if p.is_file())
    return [out / p for p in written]


def median_of(hub: pd.DataFrame, target: str, location: str) -> np.ndarray:
    """The median by horizon of one target at one location."""
    rows = hub[
        (hub["target"] == target)
        & (hub["location"] == location)
        & (hub["output_type"] == "quantile")
        & (hub["output_type_id"] == "0.5")
    ]
    return rows.sort_values("horizon")["value"].to_numpy()


__all__ = ["Forecast", "ForecastError", "check_out", "make_forecast", "write_forecast"]
