"""The histories a back-test replays: censuses per facility over time, daily admissions.

A census history is a per-facility census (``regional.snapshot``'s facility form) with a row
per facility and census time, taken daily at the same time of day; an admissions history has
``date, facility, admissions`` (and optionally ``need``, summed over). Both are read into
daily grids (a row per day, a column per facility; NaN where a day has no row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regional.forecast.output import ForecastError
from regional.snapshot.records import FACILITY_COUNTS, CensusError, _read_table

OCCUPANCY = ("ward_occupied", "icu_occupied", "intermediate_occupied", "waiting")


@dataclass
class Histories:
    """What happened: the census rows, and each target as a daily grid."""

    census: pd.DataFrame  # the census rows, ``time`` as UTC timestamps
    days: pd.DatetimeIndex  # the daily census times
    grids: dict[str, pd.DataFrame]  # target -> (days x facilities); admissions by the day

    def census_until(self, when: pd.Timestamp) -> pd.DataFrame:
        """The census rows known at ``when`` (their time at or before it)."""
        return self.census[self.census["time"] <= when]


def read_census_history(path: Path) -> pd.DataFrame:
    """A census history, every row checked as a per-facility census row.

    Raises:
        ForecastError: the file is missing or has a bad row.
    """
    path = Path(path)
    if not path.is_file():
        raise ForecastError(f"--censuses {path}: no such file; give the census history's path")
    try:
        frame = _read_table(path)
    except CensusError as error:
        raise ForecastError(f"--censuses: {error}") from None
    if "time" not in frame.columns:
        raise ForecastError(
            f"--censuses {path.name}: no column 'time'; a census history has "
            "facility, time and the counts of a per-facility census"
        )
    times = pd.to_datetime(frame["time"], utc=True, errors="coerce", format="mixed")
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise ForecastError(
            f"--censuses {path.name}: row {row + 2}, column 'time': expected a "
            f"time such as 2025-06-01T00:00:00Z, got {frame['time'].iloc[row]!r}"
        )
    try:  # the counts and facilities of every row, as a census at the last time reads them
        for when, rows in frame.groupby(times):
            read_census_rows(rows, path.name, when.to_pydatetime())
    except CensusError as error:
        raise ForecastError(f"--censuses: {error}") from None
    out = frame.assign(time=times)
    for column in FACILITY_COUNTS:
        if column not in out:
            out[column] = 0
        out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0).astype(np.int64)
    out["facility"] = out["facility"].astype(str).str.strip()
    return out.sort_values(["time", "facility"], kind="stable").reset_index(drop=True)


def read_census_rows(rows: pd.DataFrame, name: str, at: dt.datetime) -> pd.DataFrame:
    """Rows of one census time read as a per-facility census (row numbers kept)."""
    from regional.snapshot.records import facility_census

    try:
        return facility_census(rows.reset_index(drop=True), name, at)
    except CensusError as error:  # say the row of the whole file
        text = str(error)
        if ": row " in text:
            head, _, rest = text.partition(": row ")
            number, _, tail = rest.partition(",")
            if number.isdigit() and 0 <= int(number) - 2 < len(rows):
                text = f"{head}: row {int(rows.index[int(number) - 2]) + 2}," + tail
        raise CensusError(text) from None


def read_admissions_history(path: Path) -> pd.DataFrame:
    """Daily admissions by facility, every need summed: columns date (datetime64, UTC
    midnight), facility, admissions; read and checked by ``regional.history.files``.

    Raises:
        ForecastError: the file is missing or a row is bad.
    """
    from regional.history.files import HistoryError, read_admissions

    try:
        frame = read_admissions(path)
    except HistoryError as error:
        raise ForecastError(f"--history {error}") from None
    frame = frame.assign(
        date=pd.to_datetime(frame["date"]).dt.tz_localize("UTC"),
        admissions=frame["admissions"].astype(np.float64),
    )
    return frame.groupby(["date", "facility"])["admissions"].sum().reset_index()


def histories(census: pd.DataFrame, admissions: pd.DataFrame | None) -> Histories:
    """The daily grids of a census history (and of admissions, when given)."""
    first, last = census["time"].min(), census["time"].max()
    days = pd.date_range(first, last, freq="D")
    frame = census.assign(waiting=census["waiting_ward"] + census["waiting_icu"])
    grids = {}
    for target in OCCUPANCY:
        grid = frame.pivot_table(index="time", columns="facility", values=target, aggfunc="last")
        grids[target] = grid.reindex(days).astype(np.float64)
    if admissions is not None:
        grid = admissions.pivot_table(
            index="date", columns="facility", values="admissions", aggfunc="sum"
        )
        span = pd.date_range(
            min(grid.index.min(), first.floor("D")),
            max(grid.index.max(), last.floor("D")),
            freq="D",
        )
        # a day without a row at a facility of the file admitted no one
        grids["admissions"] = grid.reindex(span).fillna(0.0).astype(np.float64)
    return Histories(census, days, grids)
