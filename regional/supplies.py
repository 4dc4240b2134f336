"""A shard's ventilators and oxygen, window by window.

Ventilators in service follow the fleet's failures, repairs and maintenance, plus those that
surge actions add; oxygen is drawn from each hospital's tanks at the flows its patients need,
refilled at the supply that reaches it (less during an outage). ``Supplies.update_oxygen``
says which hospitals run short in the window, so the shard can change their patients' risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from regional.equipment import OxygenSupply, VentilatorFleet

if TYPE_CHECKING:
    from agents import Hospital
    from regional.shard import ShardSpec


class Supplies:
    """The ventilator fleet and oxygen tanks of one shard's hospitals, in their order."""

    def __init__(self, spec: ShardSpec, hospitals: Sequence[Hospital]) -> None:
        self.spec = spec
        self.hospitals = hospitals
        f = spec.facilities
        self.fleet = VentilatorFleet(
            f["stream_key"][f["kind"] == "hospital"],  # the units' draws: by the code's key
            np.array([h.ventilators for h in hospitals], dtype=np.int64),
            spec.seed,
            spec.ventilator_mtbf_hours,
            spec.ventilator_mttr_hours,
            spec.ventilator_maintenance_every_days,
            spec.ventilator_maintenance_hours,
        )
        self.oxygen = OxygenSupply(self._oxygen_supply(), spec.oxygen_reserve_hours)
        self.surge_ventilators = np.zeros(len(hospitals), dtype=np.int64)  # added by actions

    def _oxygen_supply(self) -> np.ndarray:
        ward, icu = self.spec.oxygen_supply_lpm_per_bed
        return np.array(
            [h.ward_beds * ward + (h.icu_beds + h.intermediate_beds) * icu for h in self.hospitals],
            dtype=np.float64,
        )

    def beds_changed(self) -> None:
        """Beds changed: their oxygen supply and tanks follow (the stock stays, within them)."""
        oxygen = self.oxygen
        oxygen.supply_lpm = self._oxygen_supply()
        oxygen.capacity_litres = oxygen.supply_lpm * self.spec.oxygen_reserve_hours * 60.0
        oxygen.stock_litres = np.minimum(oxygen.stock_litres, oxygen.capacity_litres)

    def _supply_share(self, at_hours: float) -> np.ndarray:
        """Share of normal oxygen supply that reaches each hospital at ``at_hours``."""
        share = np.ones(len(self.hospitals))
        for start, end, part, where in self.spec.oxygen_outages:
            if not start <= at_hours < end:
                continue
            if where:
                f = self.spec.facilities
                hospital = f["kind"] == "hospital"  # the shard's hospitals, in their order
                hit = np.isin(f["region"][hospital], where) | np.isin(f["country"][hospital], where)
                share[hit] = np.minimum(share[hit], part)
            else:
                share = np.minimum(share, part)
        return share

    def update_oxygen(self, window: int) -> set[int]:
        """Draw the window's oxygen; the facility ids of the hospitals short of it."""
        ward, icu, ventilated = self.spec.oxygen_lpm
        hs = self.hospitals
        on_vent = np.array([h.ventilators_in_use for h in hs], dtype=np.float64)
        in_icu = np.array([h.icu_occupied + h.intermediate_occupied for h in hs], dtype=np.float64)
        on_ward = np.array([h.ward_on_oxygen for h in hs], dtype=np.float64)
        # patients on a ventilator at its flow, the rest of the ICU and the ward's on oxygen
        demand = on_vent * ventilated + np.maximum(in_icu - on_vent, 0.0) * icu + on_ward * ward
        start = window * self.spec.window_hours
        end = min(start + self.spec.window_hours, self.spec.horizon_hours)
        short = self.oxygen.advance(demand, self._supply_share(start), end - start)
        return {h.facility_id for h, s in zip(hs, short.tolist(), strict=True) if s}

    def update_ventilators(self, window: int) -> None:
        """Ventilators in service during the window, after failures, repairs and maintenance."""
        self.fleet.advance(window, self.spec.window_hours)
        available = self.fleet.in_service(window * self.spec.window_hours)
        available = available + self.surge_ventilators
        now = np.array([h.ventilators_available for h in self.hospitals], dtype=np.int64)
        for i in np.flatnonzero(available != now).tolist():
            self.hospitals[i].set_ventilators_available(int(available[i]))
