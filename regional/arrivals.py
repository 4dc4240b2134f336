"""The episodes arriving at one shard, block by block of the demand model.

The demand model draws a place's arrivals a block (``BLOCK_HOURS``) at a time; the feed holds
the current block's episodes in arrival order and hands out those due before a window's end,
bringing in the next block when the current one does not reach that far.
"""

from __future__ import annotations

import numpy as np

from regional.demand import BLOCK_HOURS, DemandModel, PlaceTable

# the block's columns in the order of Patient's arguments
ARRIVAL_FIELDS = (
    "patient_id",
    "place",
    "condition",
    "acuity",
    "need",
    "ventilator",
    "los_hours",
    "escalate_after_hours",
    "los_icu_after_hours",
    "death_clock",
    "u_tele",
    "onset",
    "arrival",
    "facility",
    "vent_on_escalation",
    "los_stepdown_hours",
    "readmit_after_hours",
)
ARRIVAL_TIME = ARRIVAL_FIELDS.index("arrival")


class ArrivalFeed:
    """Episodes of a shard's places not yet arrived: the current block's, from ``next_row``."""

    def __init__(self, demand: DemandModel, places: PlaceTable, horizon_hours: float) -> None:
        self.demand = demand
        self.places = places
        self.horizon_hours = horizon_hours
        self.block = -1  # the last block brought in
        self.arrivals: dict[str, np.ndarray] = {}  # its episodes (and earlier ones left over)
        self.next_row = 0  # the first of them not handed out

    def due(self, end: float) -> list[list[object]]:
        """The columns (``ARRIVAL_FIELDS``) of the episodes arriving before ``end``, in order."""
        while True:
            a = self.arrivals
            if a and self.next_row < len(a["arrival"]) and a["arrival"][-1] >= end:
                break
            # the current block may not cover the window: bring in the next block's episodes
            next_block = self.block + 1
            if next_block * BLOCK_HOURS >= end or next_block * BLOCK_HOURS >= self.horizon_hours:
                break
            self._load(next_block)
        a = self.arrivals
        if not a:
            return []
        stop = int(np.searchsorted(a["arrival"], end, side="left"))
        lo = self.next_row
        if stop <= lo:
            return []
        self.next_row = stop
        return [a[name][lo:stop].tolist() for name in ARRIVAL_FIELDS]

    def _load(self, block: int) -> None:
        fresh = self.demand.generate_block(self.places, block)
        a = self.arrivals
        if a and self.next_row < len(a["arrival"]):
            rest = {k: v[self.next_row :] for k, v in a.items()}
            merged = {k: np.concatenate([rest[k], fresh[k]]) for k in fresh}
            order = np.lexsort((merged["patient_id"], merged["arrival"]))
            fresh = {k: v[order] for k, v in merged.items()}
        self.arrivals = fresh
        self.next_row = 0
        self.block = block
