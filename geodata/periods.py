"""A run's facility time series summed up over periods (``--every 1d``, ``6h``, ``30min``).

A run records every facility at the end of every window (two hours by default): levels such
as beds occupied or patients waiting, and one amount, the nurse hours short in the window. A
period's row keeps the mean of each level, the peak of the ones a planner watches for
crowding, and the sum of the amount, so that a day of a facility is one row instead of twelve.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

WINDOW = "window"
LEVELS = (
    "ward_beds",
    "ward_staffed",
    "ward_occupied",
    "icu_beds",
    "icu_staffed",
    "icu_occupied",
    "ventilators",
    "ventilators_available",
    "ventilators_in_use",
    "waiting",
    "in_ed",
    "oxygen_short",
    "nurses_on_duty",
)
PEAKS = ("ward_occupied", "icu_occupied", "ventilators_in_use", "waiting", "in_ed")
AMOUNTS = ("nurse_hours_short",)
_PERIOD = re.compile(r"^(\d+)(min|h|d)$")
_UNITS = {"min": "min", "h": "h", "d": "D"}


class PeriodError(ValueError):
    """A period that cannot be read; the message says what is expected."""


def parse_every(text: str) -> str | None:
    """A pandas frequency for ``text`` (``1d``, ``6h``, ``30min``), or None for ``window``
    (every window kept as the run recorded it).

    Raises:
        PeriodError: anything else, or a period of zero.
    """
    text = text.strip().lower()
    if text == WINDOW:
        return None
    match = _PERIOD.match(text)
    if match is None or int(match.group(1)) == 0:
        raise PeriodError(
            f"--every {text}: expected a period such as 1d, 6h or 30min, "
            "or `window` to keep every window"
        )
    return f"{int(match.group(1))}{_UNITS[match.group(2)]}"


def aggregate(ts: pd.DataFrame, freq: str | None) -> pd.DataFrame:
    """The time series in periods of ``freq`` (None: unchanged).

    Each row is a facility and a period, stamped with the period's start: the mean of every
    level (``waiting`` is the mean queue), ``<level>_peak`` for the crowding levels, the sum of
    the nurse hours short, and ``samples``, the windows the period holds.
    """
    if freq is None:
        return ts
    start = ts["time"].dt.floor(freq)
    grouped = ts.assign(time=start).groupby(["facility_id", "time"], sort=True)
    levels = [c for c in LEVELS if c in ts]
    out = grouped[levels].mean().round(3)
    for column in PEAKS:
        if column in ts:
            out[f"{column}_peak"] = grouped[column].max()
    for column in AMOUNTS:
        if column in ts:
            out[column] = grouped[column].sum().round(3)
    out["samples"] = grouped.size().astype(np.int32)
    return out.reset_index()
