"""The capacity board and where a patient sent on goes.

A shard posts its hospitals' free staffed beds on the board at each window's end
(``board_rows``); during the next window its facilities choose transfer destinations from
that board (``Router``): the nearest hospital by travel time with room for the patient, net
of what this shard has already claimed there in the window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from agents.pathway import Need
from geodata.travel import haversine_km, trip_minutes
from regional import protocol

if TYPE_CHECKING:
    from agents import Hospital, Patient
    from regional.shard import ShardSpec

NEAR_FIRST = 32  # hospitals tried one by one before the rest are checked at once


def board_rows(hospitals: Sequence[Hospital], facility_ids: np.ndarray) -> pa.Table:
    """A shard's rows of the capacity board: free staffed capacity now, net of its queues."""
    hs = hospitals

    def column(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int32)

    ward_queue = column([len(h.ward_queue) for h in hs])
    icu_queue = column([len(h.icu_queue) for h in hs])
    ward_free = column([h.ward_staffed for h in hs]) - column([h.ward_occupied for h in hs])
    icu_free = column([h.icu_staffed for h in hs]) - column([h.icu_occupied for h in hs])
    vents = column([h.ventilators_available for h in hs])
    vents_free = np.maximum(vents - column([h.ventilators_in_use for h in hs]), 0)
    return pa.Table.from_arrays(
        [
            pa.array(facility_ids[: len(hs)]),
            pa.array(ward_free - ward_queue),
            pa.array(icu_free - icu_queue),
            pa.array(vents_free),
            pa.array(ward_queue + icu_queue),
        ],
        schema=protocol.BOARD_SCHEMA,
    )


class Router:
    """Transfer destinations of one shard's facilities, chosen from the window's board.

    The board is as of the window start; the shard discounts the beds it has already claimed
    this window (its own record, so no other shard's decisions leak in). Hospitals are tried
    nearest first, ties in directory order; past the first few, the rest within reach are
    checked at once. Each source's nearest hospitals are worked out once and kept.
    """

    def __init__(self, spec: ShardSpec) -> None:
        self.spec = spec
        self.board_free = np.zeros((len(spec.hospitals.facility_id), 3), dtype=np.int64)
        self.claimed: dict[int, dict[int, list[int]]] = {}
        self.no_room: set[tuple[int, int, bool, int]] = set()  # searches failed this window
        self._near: dict[int, list[tuple[int, float]]] = {}
        self._far: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def open_window(self, board: pa.Table) -> None:
        """Take the window's board: free ward, ICU beds and ventilators by directory row."""
        free = np.column_stack(
            [
                board.column("ward_free").to_numpy(),
                board.column("icu_free").to_numpy(),
                board.column("ventilators_free").to_numpy(),
            ]
        )
        self.board_free = free.astype(np.int64)
        self.claimed = {}
        self.no_room = set()

    def choose(self, source: int, patient: Patient) -> tuple[int, float]:
        """The facility id and minutes of the nearest hospital with room for ``patient``
        (-1 and NaN: none within reach).

        A minor case (need 0) goes to the nearest hospital in reach: it is seen in the
        emergency department and takes no bed, so it neither needs nor claims one. A patient
        who needs a bed goes to the nearest hospital whose board shows a free staffed bed of
        the kind (net of that hospital's own queue) and, for the ICU, a ventilator if they are
        ventilated and the tier ``min_tier_icu`` gives their condition.
        """
        spec = self.spec
        if patient.n_transfers >= spec.max_transfers:
            return -1, math.nan
        if patient.need == Need.NONE:
            near = self.nearest(source)
            if not near or near[0][1] > spec.max_transfer_minutes:
                return -1, math.nan
            return int(spec.hospitals.facility_id[near[0][0]]), near[0][1]
        icu = patient.need == Need.ICU
        column = 1 if icu else 0
        vent = icu and patient.ventilator
        tiers = spec.min_tier_icu
        tier = int(tiers[patient.condition]) if icu and len(tiers) else 0
        if (source, column, vent, tier) in self.no_room:
            return -1, math.nan
        found = self._search(source, column, vent, tier)
        if found[0] < 0:
            # the board stays as it is until the window ends and claims only take room away,
            # so every later search of this kind from this source would fail too
            self.no_room.add((source, column, vent, tier))
        return found

    def _search(self, source: int, column: int, vent: bool, tier: int) -> tuple[int, float]:
        near = self.nearest(source)
        free = self.board_free
        tiers = self.spec.hospitals.tier
        claimed = self.claimed.setdefault(source, {})
        limit = self.spec.max_transfer_minutes
        for h, m in near:
            if m > limit:
                return -1, math.nan
            if tiers[h] < tier:
                continue
            c = claimed.get(h)
            if free[h, column] - (c[column] if c else 0) <= 0:
                continue
            if vent and free[h, 2] - (c[2] if c else 0) <= 0:
                continue
            return self._claim(claimed, h, column, vent), m
        # none of the nearest had room: check the rest within reach at once
        farther, minutes = self.farther(source)
        if not len(farther):
            return -1, math.nan
        room = free[farther, column]
        vents = free[farther, 2] if vent else None
        if claimed:
            taken = np.zeros((len(free), 3), dtype=np.int64)
            for h, c in claimed.items():
                taken[h] = c
            room = room - taken[farther, column]
            if vents is not None:
                vents = vents - taken[farther, 2]
        ok = (room > 0) & (tiers[farther] >= tier)
        if vents is not None:
            ok &= vents > 0
        hit = int(np.argmax(ok))
        if not ok[hit]:
            return -1, math.nan
        return self._claim(claimed, int(farther[hit]), column, vent), float(minutes[hit])

    def _claim(self, claimed: dict[int, list[int]], h: int, column: int, vent: bool) -> int:
        """Note a bed (and ventilator) claimed at hospital ``h``; return its facility id."""
        c = claimed.setdefault(h, [0, 0, 0])
        c[column] += 1
        if vent:
            c[2] += 1
        return int(self.spec.hospitals.facility_id[h])

    def minutes_from(self, source: int) -> np.ndarray:
        """Minutes from ``source`` to every hospital of the directory (NaN at itself)."""
        f = self.spec.facilities
        i = int(np.searchsorted(f["facility_id"], source))
        hs = self.spec.hospitals
        distance = haversine_km(f["lon"][i], f["lat"][i], hs.lon, hs.lat)
        remote = hs.remote | int(f["remote"][i])
        minutes = trip_minutes(distance, remote, self.spec.travel)
        road = self.spec.road_minutes.get(source)
        if road is not None:
            minutes[road[0]] = road[1]
        minutes[hs.facility_id == source] = np.nan
        return minutes

    def nearest(self, source: int) -> list[tuple[int, float]]:
        """The ``NEAR_FIRST`` hospitals nearest to ``source`` as (directory row, minutes), in
        order of minutes and then directory row; kept for the rest of the run."""
        near = self._near.get(source)
        if near is None:
            minutes = self.minutes_from(source)
            candidates = np.flatnonzero(~np.isnan(minutes))
            if len(candidates) > NEAR_FIRST:
                part = np.argpartition(minutes[candidates], NEAR_FIRST - 1)[:NEAR_FIRST]
                cutoff = minutes[candidates][part].max()
                # keep every hospital tied at the cut-off so that ties break by row
                candidates = candidates[minutes[candidates] <= cutoff]
            ranked = candidates[np.lexsort((candidates, minutes[candidates]))][:NEAR_FIRST]
            near = self._near[source] = list(
                zip(ranked.tolist(), minutes[ranked].tolist(), strict=True)
            )
        return near

    def farther(self, source: int) -> tuple[np.ndarray, np.ndarray]:
        """The hospitals within reach of ``source`` past the nearest few, in the same order, and
        their minutes; worked out the first time the nearest are all full, then kept.

        Only hospitals within ``max_transfer_minutes`` are kept, so a shard of a continent
        does not hold a row of every hospital for every source.
        """
        found = self._far.get(source)
        if found is None:
            minutes = self.minutes_from(source)
            within = np.flatnonzero(minutes <= self.spec.max_transfer_minutes)
            ranked = within[np.lexsort((within, minutes[within]))][len(self.nearest(source)) :]
            found = self._far[source] = (ranked.astype(np.int32), minutes[ranked])
        return found
