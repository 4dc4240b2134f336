"""The hub's teleconsult desk: office hours in the hub's local time."""

from __future__ import annotations

import math
from dataclasses import dataclass

HOURS_PER_WEEK = 168.0


@dataclass(frozen=True)
class OfficeHours:
    """The hours a synchronous desk is open: the same local hours on each of its days.

    Times are hours on the run's clock; ``week_offset_hours`` is the local hour of the week
    (0 at Monday 00:00) at the run's hour 0, so it carries both the run's start and the desk's
    time zone.
    """

    open_hour: float
    close_hour: float
    weekdays: frozenset[int]

    def next_open(self, t: float, week_offset_hours: float) -> float:
        """The first time at or after ``t`` at which the desk is open."""
        local = t + week_offset_hours
        day = math.floor(local / 24.0)
        for k in range(8):
            d = day + k
            if d % 7 not in self.weekdays:
                continue
            closes = d * 24.0 + self.close_hour
            if local < closes:
                return max(local, d * 24.0 + self.open_hour) - week_offset_hours
        raise ValueError("a desk with no open day")

    @property
    def open_hours_per_week(self) -> float:
        """Hours the desk is open in a week."""
        return (self.close_hour - self.open_hour) * len(self.weekdays)
