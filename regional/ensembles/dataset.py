"""The ensemble's dataset: the key tables of every replication, one Hive partition each.

Layout under the ensemble's folder ``OUT``::

    OUT/key_results/scenario=NAME/replication=R/part-0.parquet   one row: the run's key results
    OUT/facilities/scenario=NAME/replication=R/part-0.parquet    one row per facility (with its
                                                                 position and beds, for maps)
    OUT/regions/scenario=NAME/replication=R/part-0.parquet       per region and sample: ward,
                                                                 ICU and intermediate occupied
                                                                 and staffed beds
    OUT/ensemble.json                                            scenarios, seeds, versions, timings

``scenario`` and ``replication`` are partition keys and columns of every file too, so each
table reads whole: ``pyarrow.dataset.dataset(OUT / "facilities", partitioning="hive")``,
``pandas.read_parquet(OUT / "facilities", partitioning=None)`` (the columns come from the
files), DuckDB's ``read_parquet('OUT/facilities/*/*/*.parquet', hive_partitioning = false)``.

A replication is committed table by table, each file written beside its place and renamed
into it; it counts as done once all its tables are there, so an interrupted ensemble resumes
with exactly the replications that have no complete set (``done``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from regional.ensembles.plan import Cell
from regional.storage import guarded

if TYPE_CHECKING:
    import pandas as pd

    from regional.results import RunResult

TABLES = ("key_results", "facilities", "regions")
BED_UNITS = ("ward", "icu", "intermediate")
PLAN_FILE = "plan.json"
MANIFEST_FILE = "ensemble.json"
NEAR_FULL = 0.95  # the share of staffed ICU beds a planner reads as full (hours_at_95_icu)
FACILITY_KEYS = (
    "arrivals",
    "admissions",
    "icu_admissions",
    "transfers_out",
    "transfers_in",
    "deaths",
    "died_waiting",
    "peak_waiting",
    "peak_icu_occupancy",
    "mean_icu_occupancy",
    "peak_ward_occupancy",
    "mean_ward_occupancy",
)


def key_tables(result: RunResult, cell: Cell) -> dict[str, pa.Table]:
    """The tables an ensemble keeps of one run (no timings: a replication's tables are the
    same on every backend)."""
    scenario = result.manifest["scenario"]
    sample_hours = float(scenario["sample_hours"])
    return {
        "key_results": _key_results(result.summary, cell),
        "facilities": _facilities(result, cell, sample_hours),
        "regions": _regions(result, cell),
    }


def _tagged(columns: dict[str, Any], cell: Cell, rows: int) -> pa.Table:
    return pa.table(
        {
            "scenario": pa.array([cell.scenario] * rows, pa.string()),
            "replication": pa.array([cell.replication] * rows, pa.int32()),
            "seed": pa.array([cell.seed] * rows, pa.int64()),
            **columns,
        }
    )


def _key_results(summary: dict[str, Any], cell: Cell) -> pa.Table:
    # the numbers of the summary (the list of surge actions and its kind stay in the runs)
    columns = {
        key: pa.array([np.nan if value is None else float(value)], pa.float64())
        for key, value in summary.items()
        if value is None or isinstance(value, (int, float))
    }
    return _tagged(columns, cell, 1)


def hours_at_full_icu(
    timeseries: pa.Table, sample_hours: float, share: float = 1.0
) -> dict[int, float]:
    """Hours each facility spent with at least ``share`` of its staffed ICU beds taken
    (samples times their step; every bed with the default share)."""
    staffed = timeseries.column("icu_staffed")
    full = pc.and_(
        pc.greater(staffed, 0),
        pc.greater_equal(
            pc.cast(timeseries.column("icu_occupied"), pa.float64()),
            pc.multiply(pc.cast(staffed, pa.float64()), share),
        ),
    )
    fid = timeseries.column("facility_id").to_numpy()
    counts = np.bincount(fid, weights=full.to_numpy(zero_copy_only=False).astype(float))
    return {i: float(c) * sample_hours for i, c in enumerate(counts)}


def _facilities(result: RunResult, cell: Cell, sample_hours: float) -> pa.Table:
    f = result.tables["facilities"]
    n = f.num_rows
    fid = f.column("facility_id").to_numpy()
    full = hours_at_full_icu(result.tables["timeseries"], sample_hours)
    columns: dict[str, Any] = {
        "facility_id": pa.array(fid, pa.int32()),
        "code": f.column("code").cast(pa.string()),
        "name": f.column("name").cast(pa.string()),
        "kind": f.column("kind").cast(pa.string()),
        "region": f.column("region").cast(pa.string()),
        "icu_staffed": f.column("icu_staffed").cast(pa.int32()),
        "ward_staffed": f.column("ward_staffed").cast(pa.int32()),
        "lon": f.column("lon").cast(pa.float64()),
        "lat": f.column("lat").cast(pa.float64()),
        **{
            beds: f.column(beds).cast(pa.int32())
            for beds in ("ward_beds", "icu_beds", "intermediate_beds")
        },
    }
    for key in FACILITY_KEYS:
        values = f.column(key).to_numpy(zero_copy_only=False).astype(np.float64)
        columns[key] = pa.array(values, pa.float64())
    columns["hours_at_full_icu"] = pa.array([full.get(int(i), 0.0) for i in fid], pa.float64())
    near = hours_at_full_icu(result.tables["timeseries"], sample_hours, NEAR_FULL)
    columns["hours_at_95_icu"] = pa.array([near.get(int(i), 0.0) for i in fid], pa.float64())
    return _tagged(columns, cell, n)


def _regions(result: RunResult, cell: Cell) -> pa.Table:
    ts = result.tables["timeseries"]
    region_of = result.tables["facilities"].select(["facility_id", "region"])
    beds = [f"{unit}_{what}" for unit in BED_UNITS for what in ("occupied", "staffed")]
    joined = ts.select(["facility_id", "time", *beds]).join(region_of, "facility_id")
    summed = joined.group_by(["region", "time"]).aggregate([(c, "sum") for c in beds])
    summed = summed.sort_by([("region", "ascending"), ("time", "ascending")])
    columns = {
        "region": summed.column("region").cast(pa.string()),
        "time": summed.column("time"),
        **{c: summed.column(f"{c}_sum").cast(pa.int64()) for c in beds},
    }
    return _tagged(columns, cell, summed.num_rows)


def partition(out: Path, table: str, scenario: str, replication: int) -> Path:
    """The folder of one replication's table."""
    return Path(out) / table / f"scenario={scenario}" / f"replication={replication}"


def commit(out: Path, cell: Cell, tables: dict[str, pa.Table]) -> None:
    """Write one replication's tables, each renamed into place whole."""
    for name in TABLES:
        folder = partition(out, name, cell.scenario, cell.replication)
        with guarded(folder, f"the {name} of {cell.label}"):
            folder.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(prefix=".part-0.", suffix=".partial", dir=folder)
            os.close(handle)
            try:
                pq.write_table(tables[name], tmp)
                os.replace(tmp, folder / "part-0.parquet")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise


def done(out: Path, scenario: str, replication: int) -> bool:
    """Whether every table of that replication is committed."""
    return all(
        (partition(out, name, scenario, replication) / "part-0.parquet").is_file()
        for name in TABLES
    )


def replications_in(out: Path) -> int:
    """One more than the highest replication with a table in the folder (0 if none)."""
    found = [
        int(path.name.removeprefix("replication="))
        for path in Path(out).glob("*/scenario=*/replication=*")
        if path.is_dir()
    ]
    return max(found, default=-1) + 1


def discard(out: Path, scenario: str, replication: int) -> None:
    """Remove what an interrupted replication left (some of its tables, partial files)."""
    for name in TABLES:
        folder = partition(out, name, scenario, replication)
        if folder.is_dir():
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()


def read(out: Path, scenarios: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the dataset as a pandas frame (of ``scenarios`` only, if given), in
    scenario, replication order."""
    frames = {}
    for name in TABLES:
        root = Path(out) / name
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no {name} in this ensemble folder")
        table = ds.dataset(root, partitioning="hive").to_table()
        frame = table.to_pandas()
        if scenarios is not None:
            frame = frame[frame["scenario"].isin(scenarios)]
            order = {n: i for i, n in enumerate(scenarios)}
            frame = frame.assign(_order=frame["scenario"].map(order))
            keys = ["_order", "replication"] + (["facility_id"] if name == "facilities" else [])
            keys += ["region", "time"] if name == "regions" else []
            frame = frame.sort_values(keys, kind="stable").drop(columns="_order")
        frames[name] = frame.reset_index(drop=True)
    return frames


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a JSON file whole or not at all (temp sibling, then rename)."""
    path = Path(path)
    with guarded(path, path.name):
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        try:
            with os.fdopen(handle, "w") as stream:
                stream.write(json.dumps(data, indent=2, default=str) + "\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
