"""What a report shows, read from a run directory or an ensemble folder and thinned.

The time series are thinned to one value a day (a facility's hours near full ICU that day, a
region's mean occupied beds), and the flows to the busiest routes, so that a month of Brazil
fits in a page a laptop opens at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from regional.ensembles.dataset import NEAR_FULL
from regional.report.keys import KEYS

UNITS = ("ward", "icu", "intermediate")
TOP_ROUTES = 300


class ReportError(ValueError):
    """A folder or option a report cannot be made from; the message is one actionable line."""


@dataclass
class Source:
    """One run or ensemble, as the report shows it.

    Attributes:
        facilities: one row per facility: ids, names, region, position, beds and, per map key,
            its value over the whole run (the mean over the replications of an ensemble).
        daily: per day and facility, the map keys for that day (a run only).
        regions: per region, unit and day: occupied beds (``q05`` .. ``q95`` across the
            replications, or the day's lowest, mean and highest sample of a run) and staffed.
        flows: the busiest transfer routes: origin and destination ids and counts.
        local: per region: deaths waiting, transfers out, peak teleconsult backlog.
        headline: the run's key results (for an ensemble: mean, ci_low, ci_high per result).
    """

    path: Path
    kind: str
    name: str
    start: pd.Timestamp
    days: float
    seeds: list[int]
    manifest: dict[str, Any]
    facilities: pd.DataFrame
    regions: pd.DataFrame
    headline: dict[str, Any]
    local: pd.DataFrame
    places: pd.DataFrame | None = None
    daily: pd.DataFrame | None = None
    flows: pd.DataFrame | None = None
    boundary: Any = None
    long: pd.DataFrame | None = None
    bottlenecks: pd.DataFrame | None = None
    names: list[str] = field(default_factory=list)

    @property
    def replications(self) -> int:
        return len(self.seeds)

    @property
    def has_positions(self) -> bool:
        return bool(self.facilities["lon"].notna().any())

    def network_codes(self) -> frozenset[str]:
        """The facility codes, which say which network it ran on."""
        return frozenset(self.facilities["code"].astype(str))


def read_source(path: Path) -> Source:
    """A run directory or an ensemble folder.

    Raises:
        ReportError: the folder is neither, or a file of it is missing or unreadable.
    """
    path = Path(path)
    if not path.is_dir():
        raise ReportError(
            f"{path}: not a directory; give a run directory from `regional run` or an "
            "ensemble folder from `regional ensemble`"
        )
    if (path / "ensemble.json").is_file():
        return _read_ensemble(path)
    if (path / "manifest.json").is_file() and (path / "facilities.parquet").is_file():
        return _read_run(path)
    raise ReportError(
        f"{path}: neither a run directory (manifest.json, facilities.parquet, ...) nor an "
        "ensemble folder (ensemble.json); give the folder `regional run` or "
        "`regional ensemble` wrote"
    )


def _parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    if not path.is_file():
        raise ReportError(
            f"{path.parent}: {path.name} is missing; this is not a complete run directory "
            "(run `regional run` again)"
        )
    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except Exception as error:  # pyarrow raises several kinds for a damaged file
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ReportError(f"{path}: unreadable ({first}); run `regional run` again") from None


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ReportError(f"{path}: unreadable ({error}); write the folder again") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object; write the folder again")
    return data


def _read_run(path: Path) -> Source:
    manifest = _json(path / "manifest.json")
    summary = _json(path / "summary.json") if (path / "summary.json").is_file() else {}
    scenario = manifest.get("scenario", {})
    f = _parquet(path / "facilities.parquet")
    ts = _parquet(
        path / "timeseries.parquet",
        ["facility_id", "time", "waiting"]
        + [f"{u}_{w}" for u in UNITS for w in ("occupied", "staffed")],
    )
    transfers = _parquet(
        path / "transfers.parquet", ["from_facility", "to_facility", "depart_time"]
    )
    referrals = _parquet(path / "referrals.parquet", ["clinic", "request_time", "answer_time"])
    patients = _parquet(path / "patients.parquet", ["final_facility", "end_time", "died_waiting"])
    places = _parquet(path / "places.parquet", ["name", "region", "lon", "lat", "population"])
    start = pd.Timestamp(scenario.get("start", ts["time"].min())).tz_convert("UTC")
    sample_hours = float(scenario.get("sample_hours", 1.0))
    day = _day_of(ts["time"], start)
    daily = _daily_keys(f, ts, day, transfers, patients, start, sample_hours)
    totals = daily.groupby("facility_id")[["icu_hours_95", "died_waiting", "transfers_out"]].sum()
    facilities = _facility_frame(f).join(
        totals.rename(columns={"icu_hours_95": "hours_at_95_icu"})[["hours_at_95_icu"]],
        on="facility_id",
    )
    facilities["hours_at_95_icu"] = facilities["hours_at_95_icu"].fillna(0.0)
    return Source(
        path=path,
        kind="run",
        name=str(scenario.get("name", path.name)),
        start=start,
        days=float(scenario.get("days", 0.0)),
        seeds=[int(manifest.get("seed", scenario.get("seed", 0)))],
        manifest=manifest,
        facilities=facilities,
        regions=_run_regions(f, ts, day),
        headline=summary,
        local=_run_local(f, referrals),
        places=places,
        daily=daily,
        flows=_top_routes(transfers),
        boundary=_boundary(path),
        names=[str(scenario.get("name", path.name))],
    )


def _day_of(times: pd.Series, start: pd.Timestamp) -> np.ndarray:
    """Whole days since ``start`` (0 for the first day)."""
    delta = (times - start) / pd.Timedelta(days=1)
    return np.floor(delta.to_numpy(dtype=float)).astype(np.int64).clip(min=0)


def _facility_frame(f: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "facility_id",
        "code",
        "name",
        "kind",
        "region",
        "lon",
        "lat",
        "ward_beds",
        "icu_beds",
        "intermediate_beds",
        "icu_staffed",
        "mean_icu_occupancy",
        "mean_ward_occupancy",
        "peak_icu_occupancy",
        "peak_waiting",
        "died_waiting",
        "transfers_out",
    ]
    out = f[columns].copy()
    out["code"] = out["code"].astype(str)
    out["name"] = out["name"].astype(str)
    out["region"] = out["region"].astype(str)
    return out.reset_index(drop=True)


def _daily_keys(
    f: pd.DataFrame,
    ts: pd.DataFrame,
    day: np.ndarray,
    transfers: pd.DataFrame,
    patients: pd.DataFrame,
    start: pd.Timestamp,
    sample_hours: float,
) -> pd.DataFrame:
    """Per facility and day: hours near full ICU, mean ICU and ward occupancy, peak waiting,
    deaths waiting and transfers out."""
    icu_staffed = ts["icu_staffed"].to_numpy(dtype=float)
    icu = ts["icu_occupied"].to_numpy(dtype=float)
    ward_staffed = ts["ward_staffed"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame(
            {
                "facility_id": ts["facility_id"].to_numpy(),
                "day": day,
                "icu_hours_95": ((icu_staffed > 0) & (icu >= NEAR_FULL * icu_staffed))
                * sample_hours,
                "icu_occupancy": np.where(icu_staffed > 0, icu / icu_staffed, np.nan),
                "ward_occupancy": np.where(
                    ward_staffed > 0,
                    ts["ward_occupied"].to_numpy(dtype=float) / ward_staffed,
                    np.nan,
                ),
                "waiting": ts["waiting"].to_numpy(),
            }
        )
    daily = frame.groupby(["day", "facility_id"], sort=True).agg(
        icu_hours_95=("icu_hours_95", "sum"),
        icu_occupancy=("icu_occupancy", "mean"),
        ward_occupancy=("ward_occupancy", "mean"),
        waiting=("waiting", "max"),
    )
    died = patients[patients["died_waiting"].fillna(False).astype(bool)]
    died_daily = (
        pd.DataFrame(
            {
                "facility_id": died["final_facility"].to_numpy(),
                "day": _day_of(died["end_time"], start),
            }
        )
        .groupby(["day", "facility_id"])
        .size()
        .rename("died_waiting")
    )
    out_daily = (
        pd.DataFrame(
            {
                "facility_id": transfers["from_facility"].to_numpy(),
                "day": _day_of(transfers["depart_time"], start),
            }
        )
        .groupby(["day", "facility_id"])
        .size()
        .rename("transfers_out")
    )
    daily = daily.join(died_daily, how="left").join(out_daily, how="left")
    daily[["died_waiting", "transfers_out"]] = daily[["died_waiting", "transfers_out"]].fillna(0)
    return daily.reset_index()


def _run_regions(f: pd.DataFrame, ts: pd.DataFrame, day: np.ndarray) -> pd.DataFrame:
    """Per region, unit and day: the lowest, mean and highest sample of occupied beds, and
    the mean staffed beds."""
    region = f.set_index("facility_id")["region"].astype(str)
    beds = [f"{u}_{w}" for u in UNITS for w in ("occupied", "staffed")]
    frame = ts[beds].assign(region=region.reindex(ts["facility_id"]).to_numpy(), time=ts["time"])
    by_time = frame.groupby(["region", "time"], sort=True)[beds].sum().reset_index()
    by_time["day"] = _day_of(by_time["time"], by_time["time"].min())
    rows = []
    for unit in UNITS:
        g = by_time.groupby(["region", "day"])
        stats = pd.DataFrame(
            {
                "q05": g[f"{unit}_occupied"].min(),
                "q25": g[f"{unit}_occupied"].mean(),
                "q50": g[f"{unit}_occupied"].mean(),
                "q75": g[f"{unit}_occupied"].mean(),
                "q95": g[f"{unit}_occupied"].max(),
                "staffed": g[f"{unit}_staffed"].mean(),
            }
        ).reset_index()
        rows.append(stats.assign(unit=unit))
    return pd.concat(rows, ignore_index=True)


def _run_local(f: pd.DataFrame, referrals: pd.DataFrame) -> pd.DataFrame:
    """Per region: deaths waiting, transfers out and the peak of teleconsults asked and not
    yet answered."""
    regions = f.groupby(f["region"].astype(str))[["died_waiting", "transfers_out"]].sum()
    region_of = f.set_index("facility_id")["region"].astype(str)
    backlog = {}
    if len(referrals):
        r = referrals.assign(region=region_of.reindex(referrals["clinic"]).to_numpy())
        for name, group in r.groupby("region"):
            asked = group["request_time"].to_numpy()
            answered = group["answer_time"].dropna().to_numpy()
            events = np.concatenate([asked, answered])
            steps = np.concatenate([np.ones(len(asked)), -np.ones(len(answered))])
            # answers before requests at the same instant: a backlog is what is left waiting
            order = np.lexsort((steps, events))
            backlog[name] = int(np.cumsum(steps[order]).max(initial=0))
    regions["teleconsult_backlog"] = pd.Series(backlog).reindex(regions.index).fillna(0)
    return regions.reset_index().rename(columns={"index": "region"})


def _top_routes(transfers: pd.DataFrame, top: int = TOP_ROUTES) -> pd.DataFrame:
    pairs = transfers.groupby(["from_facility", "to_facility"], as_index=False).size()
    pairs = pairs.rename(
        columns={"from_facility": "origin_id", "to_facility": "dest_id", "size": "count"}
    )
    return pairs.sort_values(["count", "origin_id", "dest_id"], ascending=[False, True, True]).head(
        top
    )


def _boundary(path: Path) -> Any:
    file = path / "boundary.parquet"
    if not file.is_file():
        return None
    import geopandas as gpd

    try:
        return gpd.read_parquet(file).geometry.union_all()
    except Exception as error:  # pyarrow and shapely raise several kinds for a damaged file
        raise ReportError(f"{file}: unreadable ({error}); run `regional run` again") from None


def _read_ensemble(path: Path) -> Source:
    from regional.ensembles import dataset, stats

    manifest = _json(path / "ensemble.json")
    names = [str(n) for n in manifest.get("scenarios", [])]
    if not names:
        raise ReportError(f"{path / 'ensemble.json'}: names no scenario; run the ensemble again")
    try:
        tables = dataset.read(path, names)
    except (FileNotFoundError, OSError) as error:
        raise ReportError(f"{path}: {error}; run or resume the ensemble again") from None
    long = stats.long_results(tables)
    base = names[0]
    settings = manifest.get("scenario_settings", {})
    scenario = settings.get(base, {}) if isinstance(settings, dict) else {}
    f = tables["facilities"]
    mine = f[f["scenario"] == base]
    if not len(mine):
        raise ReportError(f"{path}: no replication of {base} finished; resume the ensemble")
    summary = stats.summarize(long)
    national = summary[(summary["level"] == "national") & (summary["scenario"] == base)]
    headline: dict[str, Any] = {
        str(row.metric): {"mean": row.mean, "ci_low": row.ci_low, "ci_high": row.ci_high}
        for row in national.itertuples()
    }
    regions_table = tables["regions"]
    start = pd.Timestamp(scenario.get("start") or regions_table["time"].min()).tz_convert("UTC")
    seeds = sorted(mine.drop_duplicates("replication")["seed"].astype(int).tolist())
    return Source(
        path=path,
        kind="ensemble",
        name=base,
        start=start,
        days=float(scenario.get("days", 0.0)),
        seeds=seeds,
        manifest={**manifest, "scenario": scenario},
        facilities=_ensemble_facilities(mine),
        regions=_ensemble_regions(regions_table[regions_table["scenario"] == base]),
        headline=headline,
        local=_ensemble_local(mine),
        long=long,
        bottlenecks=stats.bottlenecks(tables["facilities"]),
        names=names,
    )


def _ensemble_facilities(f: pd.DataFrame) -> pd.DataFrame:
    """One row per facility: its fixed columns and the mean of its results."""
    fixed = f.drop_duplicates("facility_id").set_index("facility_id")
    means = f.groupby("facility_id")[
        [c for c in KEYS.values() if c in f.columns] + ["peak_icu_occupancy", "icu_staffed"]
    ].mean()
    out = pd.DataFrame(index=fixed.index)
    for column in ("code", "name", "kind", "region"):
        out[column] = fixed[column].astype(str)
    for column in ("lon", "lat", "ward_beds", "icu_beds", "intermediate_beds"):
        out[column] = fixed[column] if column in fixed.columns else np.nan
    out = out.join(means)
    for column in KEYS.values():
        if column not in out.columns:
            out[column] = np.nan
    return out.reset_index()


def _ensemble_regions(regions: pd.DataFrame) -> pd.DataFrame:
    """Per region, unit and day: quantiles across replications of the day's mean occupied
    beds, and the median staffed beds."""
    frame = regions.copy()
    frame["day"] = _day_of(frame["time"], frame["time"].min())
    rows = []
    for unit in UNITS:
        if f"{unit}_occupied" not in frame.columns:
            continue
        per_run = (
            frame.groupby(["region", "day", "replication"])[[f"{unit}_occupied", f"{unit}_staffed"]]
            .mean()
            .reset_index()
        )
        g = per_run.groupby(["region", "day"])
        occupied = g[f"{unit}_occupied"]
        stats = pd.DataFrame(
            {
                "q05": occupied.quantile(0.05),
                "q25": occupied.quantile(0.25),
                "q50": occupied.quantile(0.5),
                "q75": occupied.quantile(0.75),
                "q95": occupied.quantile(0.95),
                "staffed": g[f"{unit}_staffed"].median(),
            }
        ).reset_index()
        rows.append(stats.assign(unit=unit))
    return pd.concat(rows, ignore_index=True)


def _ensemble_local(f: pd.DataFrame) -> pd.DataFrame:
    """Per region: mean over the replications of deaths waiting and transfers out."""
    sums = f.groupby(["region", "replication"])[["died_waiting", "transfers_out"]].sum()
    out = sums.groupby(level="region").mean()
    out["teleconsult_backlog"] = np.nan  # an ensemble keeps no referrals
    return out.reset_index()
