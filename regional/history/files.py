"""The admissions history: daily admissions by facility and bed type, as CSV or Parquet.

Columns: ``date`` (YYYY-MM-DD, the facility's local day), ``facility`` (the network's facility
code, as in facilities.parquet), ``need`` (ward, icu or intermediate: the bed an admission
took first) and ``admissions`` (a whole number >= 0). One row per date, facility and need; a
missing row is a day without admissions of that kind.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from regional.network import Network

COLUMNS = ("date", "facility", "need", "admissions")
NEEDS = ("ward", "icu", "intermediate")


class HistoryError(ValueError):
    """An admissions history that cannot be read: one line naming file, row, column and fix."""


def read_admissions(
    path: str | Path, network: Network | None = None, until: dt.date | None = None
) -> pd.DataFrame:
    """The rows of an admissions history, checked one by one, sorted by date and facility.

    Returns a frame with ``date`` (datetime64, midnight of the local day), ``facility`` (str),
    ``need`` (str) and ``admissions`` (int64).

    Raises:
        HistoryError: the file is missing or unreadable; a row has a bad date, a date on or after
            ``until``, an unknown need, a negative or fractional count, a facility the
            ``network`` lacks, or repeats a (date, facility, need).
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise HistoryError(f"{path}: no such file; give the admissions history's path")
    frame = _read_table(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise HistoryError(
            f"{name}: no column {missing[0]!r}; an admissions history has columns "
            f"{', '.join(COLUMNS)} (has {', '.join(map(str, frame.columns)) or 'none'})"
        )
    codes = None if network is None else set(network.facilities["code"].astype(str))
    limit = None if until is None else pd.Timestamp(until).normalize()
    dates, facilities, needs, counts = [], [], [], []
    seen: dict[tuple[pd.Timestamp, str, str], int] = {}
    for i, (date, facility, need, count) in enumerate(
        frame[list(COLUMNS)].itertuples(index=False, name=None)
    ):
        day = _date(date, name, i)
        if limit is not None and day >= limit:
            raise HistoryError(
                f"{_where(name, i, 'date')}: {day.date()} is not before {limit.date()}; a history "
                "known then holds earlier days only (drop the row or move --until)"
            )
        code = str(facility).strip()
        if not code or code == "nan":
            raise HistoryError(f"{_where(name, i, 'facility')}: empty; give the facility's code")
        if codes is not None and code not in codes:
            example = next(iter(sorted(codes)), "?")
            raise HistoryError(
                f"{_where(name, i, 'facility')}: {code!r} is not a facility of the network; use "
                f"the codes of facilities.parquet (such as {example})"
            )
        kind = str(need).strip().lower()
        if kind not in NEEDS:
            raise HistoryError(
                f"{_where(name, i, 'need')}: expected ward, icu or intermediate, got {need!r}"
            )
        number = _count(count, name, i)
        key = (day, code, kind)
        if key in seen:
            raise HistoryError(
                f"{_where(name, i, 'date')}: {day.date()}, {code}, {kind} is also on row "
                f"{seen[key] + 2}; one row per date, facility and need (add them up)"
            )
        seen[key] = i
        dates.append(day)
        facilities.append(code)
        needs.append(kind)
        counts.append(number)
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(pd.Series(dates, dtype="datetime64[ns]")),
            "facility": pd.Series(facilities, dtype=str),
            "need": pd.Series(needs, dtype=str),
            "admissions": np.asarray(counts, dtype=np.int64),
        }
    )
    return out.sort_values(["date", "facility", "need"], kind="stable").reset_index(drop=True)


def write_admissions(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write an admissions history (CSV, or Parquet for a .parquet path); return the path."""
    path = Path(path)
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d"),
            "facility": frame["facility"].astype(str),
            "need": frame["need"].astype(str),
            "admissions": frame["admissions"].astype(np.int64),
        }
    )
    if path.suffix.lower() in (".parquet", ".pq"):
        out.to_parquet(path, index=False)
    else:
        out.to_csv(path, index=False)
    return path


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, ImportError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise HistoryError(f"{path.name}: cannot be read as CSV or Parquet ({first})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _where(name: str, row: int, column: str) -> str:
    return f"{name}: row {row + 2}, column {column!r}"  # row 1 is the header


def _date(value: object, name: str, row: int) -> pd.Timestamp:
    if isinstance(value, (dt.date, pd.Timestamp)):  # a Parquet date or timestamp column
        stamp = pd.Timestamp(value)
        return (stamp.tz_localize(None) if stamp.tzinfo else stamp).normalize()
    text = str(value).strip()
    try:
        day = pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise HistoryError(
            f"{_where(name, row, 'date')}: expected a date such as 2025-06-01 (YYYY-MM-DD), "
            f"got {text!r}"
        ) from None
    return day


def _count(value: object, name: str, row: int) -> int:
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise HistoryError(
            f"{_where(name, row, 'admissions')}: expected a whole number of admissions, got "
            f"{value!r}"
        ) from None
    if not np.isfinite(number) or number < 0 or number != int(number) or number > 1_000_000:
        raise HistoryError(
            f"{_where(name, row, 'admissions')}: expected a whole number from 0 to 1,000,000, "
            f"got {text}"
        )
    return int(number)
