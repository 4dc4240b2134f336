"""Surge actions: what a network does when pressure builds, after a lead time.

A scenario lists actions (``Scenario.surge_actions``), each with a trigger (a day, or ICU
pressure in its regions above a level for some hours) and a lead time from trigger to effect:

- ``convert_ward_to_icu`` / ``convert_ward_to_intermediate``: ward beds become ICU (with
  ``ventilators_per_bed`` surge ventilators each) or intermediate-care beds, in the regions'
  hospitals with an ICU in proportion to their ICU beds, keeping ``MIN_WARD_BEDS`` ward beds;
- ``add_ward_beds``: beds added to the regions' hospitals in proportion to their ward beds (a
  field hospital run as an annex).

The beds keep the nurses their ward had (converted beds are staffed at the ratio of their new
unit, so a conversion without staff opens fewer beds than it converts) plus
``nurses_per_bed`` nurses hired with each bed. ICU pressure is read from the capacity board,
(ICU beds - free staffed ICU beds net of the queue) / ICU beds over the regions' hospitals:
every shard reads the same board, so every shard fires an action at the same window and
applies its own hospitals' share of it; the result does not depend on the shard count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from geodata.facilities import MIN_WARD_BEDS, largest_remainder

if TYPE_CHECKING:
    from regional.scenario import Scenario
    from regional.shard import HospitalDirectory, ShardModel

ACTIONS = ("convert_ward_to_icu", "convert_ward_to_intermediate", "add_ward_beds")
SURGE_SCHEMA = pa.schema(
    [
        ("action", pa.string()),
        ("regions", pa.string()),
        ("beds", pa.int64()),
        ("fired_hour", pa.float64()),
        ("effective_hour", pa.float64()),
    ]
)


@dataclass(frozen=True)
class SurgeRule:
    """One action as plain values (hours since the run's start)."""

    action: str
    beds: int
    regions: tuple[str, ...]
    at_hour: float | None
    pressure_above: float | None
    for_hours: float
    lead_hours: float
    ventilators_per_bed: float
    nurses_per_bed: float

    @classmethod
    def all_of(cls, scenario: Scenario) -> tuple[SurgeRule, ...]:
        """The scenario's actions."""
        return tuple(
            cls(
                a.action,
                a.beds,
                tuple(a.regions),
                None if a.day is None else a.day * 24.0,
                a.icu_pressure_above,
                a.for_hours,
                a.lead_hours,
                a.ventilators_per_bed,
                a.nurses_per_bed,
            )
            for a in scenario.surge_actions
        )


def in_regions(rule: SurgeRule, directory: HospitalDirectory) -> np.ndarray:
    """Which hospitals of the network (directory order) the action is about."""
    if not rule.regions:
        return np.ones(len(directory.facility_id), dtype=bool)
    return np.isin(directory.region, rule.regions) | np.isin(directory.country, rule.regions)


def shares(rule: SurgeRule, directory: HospitalDirectory) -> np.ndarray:
    """Beds each hospital of the network (directory order) takes of the action."""
    where = in_regions(rule, directory)
    out = np.zeros(len(where), dtype=np.int64)
    if rule.action == "add_ward_beds":
        rows = np.flatnonzero(where & (directory.ward_beds > 0))
        if len(rows):
            out[rows] = largest_remainder(directory.ward_beds[rows], rule.beds)
        return out
    rows = np.flatnonzero(where & (directory.icu_beds > 0))
    if len(rows):
        room = np.maximum(directory.ward_beds[rows] - MIN_WARD_BEDS, 0)
        out[rows] = largest_remainder(directory.icu_beds[rows], rule.beds, upper=room)
    return out


class SurgeActions:
    """A shard's view of the scenario's surge actions: their triggers and what they did."""

    def __init__(self, rules: tuple[SurgeRule, ...], directory: HospitalDirectory) -> None:
        self.rules = rules
        self.directory = directory
        n = len(rules)
        # the hospitals with an ICU whose pressure each action reads
        self.watched = [in_regions(r, directory) & (directory.icu_beds > 0) for r in rules]
        self.since = np.full(n, math.nan)  # since when the pressure has been above
        self.fired = np.full(n, math.nan)
        self.applied = np.zeros(n, dtype=bool)
        self.effective = np.full(n, math.nan)

    def pressure(self, j: int, board_free: np.ndarray) -> float:
        """ICU pressure over action ``j``'s regions from the board (free ICU beds in column 1)."""
        where = self.watched[j]
        beds = float(self.directory.icu_beds[where].sum())
        if beds <= 0:
            return 0.0
        return 1.0 - float(board_free[where, 1].sum()) / beds

    def step(self, model: ShardModel, start: float, board_free: np.ndarray) -> None:
        """At a window's start: fire the actions whose trigger holds, apply those now due."""
        for j, rule in enumerate(self.rules):
            if math.isnan(self.fired[j]):
                if rule.at_hour is not None:
                    if start >= rule.at_hour - 1e-9:
                        self.fired[j] = start
                elif rule.pressure_above is not None:
                    above = self.pressure(j, board_free) > rule.pressure_above
                    if not above:
                        self.since[j] = math.nan
                    else:
                        if math.isnan(self.since[j]):
                            self.since[j] = start
                        if start - self.since[j] >= rule.for_hours - 1e-9:
                            self.fired[j] = start
            due = self.fired[j] + rule.lead_hours
            if not self.applied[j] and not math.isnan(due) and start >= due - 1e-9:
                apply(model, rule, shares(rule, self.directory))
                self.applied[j] = True
                self.effective[j] = start

    def state(self) -> list[list[Any]]:
        """What a checkpoint keeps: per action, since, fired, applied, effective."""
        return [
            [
                _num(self.since[j]),
                _num(self.fired[j]),
                bool(self.applied[j]),
                _num(self.effective[j]),
            ]
            for j in range(len(self.rules))
        ]

    def restore(self, model: ShardModel, state: list[list[Any]]) -> None:
        """Put a checkpoint's state back, and the beds of the actions applied before it."""
        for j, (since, fired, applied, effective) in enumerate(state):
            self.since[j] = math.nan if since is None else since
            self.fired[j] = math.nan if fired is None else fired
            self.effective[j] = math.nan if effective is None else effective
            if applied:
                apply(model, self.rules[j], shares(self.rules[j], self.directory))
                self.applied[j] = True

    def table(self) -> pa.Table:
        """One row per action: what, where, and when it fired and took effect (hours)."""
        return pa.table(
            {
                "action": [r.action for r in self.rules],
                "regions": [",".join(r.regions) for r in self.rules],
                "beds": [r.beds for r in self.rules],
                "fired_hour": self.fired.tolist(),
                "effective_hour": self.effective.tolist(),
            },
            schema=SURGE_SCHEMA,
        )


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def apply(model: ShardModel, rule: SurgeRule, beds_by_row: np.ndarray) -> None:
    """Give the shard's own hospitals their share of an action's beds, nurses, ventilators."""
    row_of = {int(fid): i for i, fid in enumerate(model.spec.hospitals.facility_id.tolist())}
    staffing = model.staffing
    per_post = staffing.rules.staff_per_post
    for i, hospital in enumerate(model.hospitals):
        k = int(beds_by_row[row_of[hospital.facility_id]])
        if k <= 0:
            continue
        hired = k * rule.nurses_per_bed / per_post
        if rule.action == "add_ward_beds":
            hospital.ward_beds += k
            staffing.beds[i, 0] += k
            staffing.posts[i, 0] += hired
            continue
        moved = staffing.posts[i, 0] * k / max(hospital.ward_beds, 1)
        hospital.ward_beds -= k
        staffing.beds[i, 0] -= k
        staffing.posts[i, 0] -= moved
        if rule.action == "convert_ward_to_icu":
            hospital.icu_beds += k
            staffing.beds[i, 1] += k
            staffing.posts[i, 1] += moved + hired
            extra = round(k * rule.ventilators_per_bed)
            hospital.ventilators += extra
            model.supplies.surge_ventilators[i] += extra
            hospital.set_ventilators_available(hospital.ventilators_available + extra)
        else:
            hospital.intermediate_beds += k
            staffing.intermediate_beds[i] += k
            staffing.intermediate_posts[i] += moved + hired
    model.oxygen_supply_changed()
