"""Histories made from a run directory: the synthetic data a forecast is proved on.

A run of the twin is a "truth": its daily admissions and daily censuses are what a network
would have recorded, and ``report_noise`` adds what a network's reporting does to them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from regional.results import TABLES, RunDirectoryError

CENSUS_HISTORY_COLUMNS = (
    "facility",
    "time",
    "ward_occupied",
    "icu_occupied",
    "intermediate_occupied",
    "ventilators_in_use",
    "waiting_ward",
    "waiting_icu",
)


def _scenario(run_dir: Path) -> dict[str, Any]:
    """The scenario of a complete run directory, from its manifest."""
    needed = [f"{n}.parquet" for n in TABLES] + ["manifest.json"]
    if not run_dir.is_dir():
        raise RunDirectoryError(
            f"{run_dir}: not a directory; give a run directory of `regional run`"
        )
    for name in needed:
        if not (run_dir / name).is_file():
            raise RunDirectoryError(
                f"{run_dir}: {name} is missing; this is not a complete run directory"
            )
    scenario = json.loads((run_dir / "manifest.json").read_text()).get("scenario")
    if not isinstance(scenario, dict) or "start" not in scenario or "days" not in scenario:
        raise RunDirectoryError(f"{run_dir}: manifest.json names no scenario start and days")
    return scenario


def _start(run_dir: Path) -> pd.Timestamp:
    stamp = pd.Timestamp(_scenario(run_dir)["start"])
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _end(run_dir: Path, start: pd.Timestamp) -> pd.Timestamp:
    return start + pd.Timedelta(days=float(_scenario(run_dir)["days"]))


def _table(run_dir: Path, name: str, columns: list[str]) -> pd.DataFrame:
    return pq.read_table(Path(run_dir) / f"{name}.parquet", columns=columns).to_pandas()


def _hospitals(run_dir: Path) -> pd.DataFrame:
    facilities = pq.read_table(Path(run_dir) / "facilities.parquet").to_pandas()
    if "utc_offset_hours" not in facilities.columns:  # a run directory of an older version
        facilities["utc_offset_hours"] = 0.0
    return facilities[facilities["kind"] == "hospital"].set_index("facility_id")


def admissions_from_run(run_dir: str | Path) -> pd.DataFrame:
    """Daily admissions per facility and bed type of a run, in the admissions history format.

    An admission is an episode that needs a bed (ward or ICU), counted on the local day it
    arrived, at the hospital of its first bed and as that bed's type (ward, icu or
    intermediate); an episode that never had a bed counts at the hospital it arrived at, as the
    bed it needs (it was admitted and boarded). So the history is the demand for beds, whether
    or not a bed was free: the day of a boarder's admission is its arrival, as in a hospital's
    admission records. An episode still at a rural post is not yet a hospital's admission; the
    patients of the starting census and of a warm-up are not admissions of the run; transfers
    and escalations to the ICU are not new admissions. Every (day, hospital, bed type) of the
    run has a row, zeros included.

    Raises:
        RunDirectoryError: ``run_dir`` is not a complete run directory.
    """
    run_dir = Path(run_dir)
    start = _start(run_dir)
    hospitals = _hospitals(run_dir)
    patients = _table(
        run_dir,
        "patients",
        ["patient_id", "carried_over", "first_facility", "need", "arrival_time"],
    )
    fresh = patients[~patients["carried_over"].astype(bool) & (patients["need"] > 0)]
    stays = _table(run_dir, "stays", ["patient_id", "facility_id", "bed", "start_time"])
    stays = stays[stays["patient_id"].isin(fresh["patient_id"])]
    first = (
        stays.sort_values(["patient_id", "start_time"], kind="stable")
        .drop_duplicates("patient_id")
        .set_index("patient_id")
    )
    took = first.reindex(fresh["patient_id"])
    facility = took["facility_id"].fillna(
        pd.Series(fresh["first_facility"].to_numpy(), index=took.index)
    )
    needed = pd.Series(np.where(fresh["need"].to_numpy() == 2, "icu", "ward"), index=took.index)
    first = pd.DataFrame(
        {
            "facility_id": facility.to_numpy(dtype=np.int64),
            "bed": took["bed"].astype(object).fillna(needed).astype(str).to_numpy(),
            "arrival_time": fresh["arrival_time"].to_numpy(),
        }
    )
    first = first[first["facility_id"].isin(hospitals.index)]
    offset = hospitals["utc_offset_hours"].reindex(first["facility_id"]).to_numpy()
    local = first["arrival_time"].dt.tz_convert(None) + pd.to_timedelta(offset, unit="h")
    first = first.assign(date=local.dt.normalize().to_numpy())
    days = _local_days(start, _end(run_dir, start), hospitals)
    counts = first.groupby(["date", "facility_id", "bed"]).size().rename("admissions")
    grid = pd.MultiIndex.from_product(
        [days, hospitals.index, ["ward", "icu", "intermediate"]],
        names=["date", "facility_id", "bed"],
    )
    out = counts.reindex(grid, fill_value=0).reset_index()
    out = out[out["date"].isin(days)]
    return pd.DataFrame(
        {
            "date": out["date"].to_numpy(),
            "facility": hospitals["code"].reindex(out["facility_id"]).astype(str).to_numpy(),
            "need": out["bed"].astype(str).to_numpy(),
            "admissions": out["admissions"].to_numpy(dtype=np.int64),
        }
    ).reset_index(drop=True)


def _local_days(start: pd.Timestamp, end: pd.Timestamp, hospitals: pd.DataFrame) -> pd.Index:
    """The local days the run covers whole at every hospital."""
    offsets = hospitals["utc_offset_hours"].to_numpy(dtype=np.float64)
    lo = start.tz_convert(None) + pd.Timedelta(hours=float(offsets.max(initial=0.0)))
    hi = end.tz_convert(None) + pd.Timedelta(hours=float(offsets.min(initial=0.0)))
    first = lo.ceil("D")
    last = hi.floor("D") - pd.Timedelta(days=1)
    return pd.date_range(first, last, freq="D") if last >= first else pd.DatetimeIndex([])


def censuses_from_run(run_dir: str | Path, every_hours: float = 24) -> pd.DataFrame:
    """A census history of a run: each hospital's beds in use and patients waiting, every
    ``every_hours`` from the run's start (hours), in the per-facility census form.

    The occupancy is the run's time series; a patient waits, for a ward or an ICU bed as it
    needs, at the facility it arrived at, from its arrival until it has a bed or its episode
    ends.

    Raises:
        RunDirectoryError: ``run_dir`` is not a complete run directory.
    """
    run_dir = Path(run_dir)
    start = _start(run_dir)
    hospitals = _hospitals(run_dir)
    series = _table(
        run_dir,
        "timeseries",
        [
            "facility_id",
            "time",
            "ward_occupied",
            "icu_occupied",
            "intermediate_occupied",
            "ventilators_in_use",
        ],
    )
    hours = (series["time"] - start).dt.total_seconds() / 3600.0
    step = float(every_hours)
    picked = series[np.isclose(np.mod(hours + 1e-6, step), 0.0, atol=1e-3)]
    picked = picked[picked["facility_id"].isin(hospitals.index)]
    patients = _table(
        run_dir, "patients", ["patient_id", "first_facility", "need", "arrival_time", "end_time"]
    )
    first_bed = _first_beds(run_dir, patients["patient_id"])
    open_episode = patients["end_time"].isna()
    rows = []
    for time in sorted(picked["time"].unique()):
        waiting = patients[_waiting(patients, first_bed, open_episode, time)]
        by = waiting.groupby(["first_facility", "need"]).size()
        rows.append(by.rename("n").reset_index().assign(time=time))
    waits = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    out = picked.copy()
    for need, column in ((1, "waiting_ward"), (2, "waiting_icu")):
        counts = (
            waits[waits["need"] == need].set_index(["first_facility", "time"])["n"]
            if len(waits)
            else pd.Series(dtype=np.int64)
        )
        key = pd.MultiIndex.from_arrays([out["facility_id"], out["time"]])
        out[column] = counts.reindex(key).fillna(0).to_numpy(dtype=np.int64)
    out["facility"] = hospitals["code"].reindex(out["facility_id"]).astype(str).to_numpy()
    out["time"] = out["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = out.sort_values(["time", "facility_id"], kind="stable")
    return out.loc[:, list(CENSUS_HISTORY_COLUMNS)].reset_index(drop=True)


def report_noise(
    admissions: pd.DataFrame, report_share: float = 1.0, seed: int = 0
) -> pd.DataFrame:
    """Admissions as a network reports them: each admission is reported with probability
    ``report_share`` (binomial thinning, independent per admission), from a stream seeded by
    ``seed``, so the history undercounts the truth by ``1 - report_share`` on average."""
    if not 0 < report_share <= 1:
        raise ValueError(f"report_share {report_share}: expected a share above 0 and at most 1")
    if report_share == 1:
        return admissions.copy()
    rng = np.random.default_rng([seed, 0x4E01])
    counts = admissions["admissions"].to_numpy(dtype=np.int64)
    return admissions.assign(admissions=rng.binomial(counts, report_share).astype(np.int64))


def patient_census_from_run(run_dir: str | Path, at: pd.Timestamp) -> pd.DataFrame:
    """The per-patient census of a run at ``at`` (a UTC time within the run): every patient in a
    hospital bed then, with the time it took that bed, and every patient waiting at a hospital
    for the bed it needs, since its arrival (the form ``regional.snapshot`` reads: ``patient,
    facility, bed_type, admitted_at, condition, ventilated, waiting_since``).

    Raises:
        RunDirectoryError: ``run_dir`` is not a complete run directory.
        ValueError: ``at`` is outside the run.
    """
    run_dir = Path(run_dir)
    start = _start(run_dir)
    at = pd.Timestamp(at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    if not start <= at <= _end(run_dir, start):
        raise ValueError(f"{at.isoformat()} is outside the run ({start.isoformat()} on)")
    hospitals = _hospitals(run_dir)
    patients = _table(
        run_dir,
        "patients",
        [
            "patient_id",
            "first_facility",
            "condition",
            "need",
            "ventilator",
            "arrival_time",
            "end_time",
        ],
    ).set_index("patient_id")
    stays = _table(run_dir, "stays", ["patient_id", "facility_id", "bed", "start_time", "end_time"])
    held = stays[
        (stays["start_time"] < at) & (stays["end_time"].isna() | (stays["end_time"] >= at))
    ]
    held = held[held["facility_id"].isin(hospitals.index)]
    course = patients.reindex(held["patient_id"])
    in_bed = pd.DataFrame(
        {
            "patient": held["patient_id"].astype(str).to_numpy(),
            "facility": hospitals["code"].reindex(held["facility_id"]).astype(str).to_numpy(),
            "bed_type": held["bed"].astype(str).to_numpy(),
            "admitted_at": _iso(held["start_time"]),
            "condition": course["condition"].astype(str).to_numpy(),
            "ventilated": (course["ventilator"].to_numpy(dtype=bool))
            & (held["bed"].astype(str).to_numpy() == "icu"),
            "waiting_since": "",
        }
    )
    first_bed = stays.groupby("patient_id")["start_time"].min().reindex(patients.index)
    waiting = patients[
        _waiting(patients, first_bed.to_numpy(), patients["end_time"].isna(), at)
        & patients["first_facility"].isin(hospitals.index)
    ]
    arrived = _iso(waiting["arrival_time"])
    queue = pd.DataFrame(
        {
            "patient": waiting.index.astype(str),
            "facility": hospitals["code"].reindex(waiting["first_facility"]).astype(str).to_numpy(),
            "bed_type": np.where(waiting["need"].to_numpy() == 2, "icu", "ward"),
            "admitted_at": arrived,
            "condition": waiting["condition"].astype(str).to_numpy(),
            "ventilated": waiting["ventilator"].to_numpy(dtype=bool)
            & (waiting["need"].to_numpy() == 2),
            "waiting_since": arrived,
        }
    )
    return pd.concat([in_bed, queue], ignore_index=True)


def _iso(times: pd.Series) -> np.ndarray:
    return np.asarray(times.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _first_beds(run_dir: Path, patient_ids: pd.Series) -> np.ndarray:
    """The time each patient first took a bed (NaT: never), aligned with ``patient_ids``."""
    stays = _table(run_dir, "stays", ["patient_id", "start_time"])
    first = stays.groupby("patient_id")["start_time"].min()
    return first.reindex(patient_ids.to_numpy()).to_numpy()


def _waiting(
    patients: pd.DataFrame, first_bed: np.ndarray, open_episode: pd.Series, time: pd.Timestamp
) -> pd.Series:
    """Patients waiting at ``time`` for their first bed: arrived, episode not over, no bed
    taken yet (a patient in transit between beds is not waiting), needing a bed."""
    bedless = pd.isna(first_bed) | (pd.Series(first_bed, index=patients.index) >= time)
    return (
        (patients["arrival_time"] <= time)
        & (open_episode | (patients["end_time"] > time))
        & bedless
        & (patients["need"] > 0)
    )
