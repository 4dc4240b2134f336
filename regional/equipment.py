"""A shard's ventilators, unit by unit: failures, repairs and planned maintenance.

Each ventilator alternates between in service and failed: it fails at rate 1 / MTBF and is
repaired at rate 1 / MTTR, so over a long run it is in service a share MTBF / (MTBF + MTTR) of
the time. The two-state chain is advanced exactly over each window (its transition
probabilities over ``w`` hours), from the unit's own counter-based stream keyed by the hospital's
facility id and the unit's number, so a unit's history is the same at any shard count and does
not change when ventilators are added elsewhere. Planned maintenance takes each unit out for
``maintenance_hours`` once every ``maintenance_every_days``, at a phase of its own. Units start
in the chain's stationary state. The model never takes a ventilator off a patient: when units
in use fail (in practice swapped for a spare or a transport ventilator), the pool may have more
in use than in service, and no new patient gets one until fewer are in use than in service.
"""

from __future__ import annotations

import math

import numpy as np

from regional.streams import uniforms

STREAM_VENTILATORS = 2
_START = -1  # counters below the windows' own: the initial state and the maintenance phase
_PHASE = -2
UNIT_BITS = 20


class VentilatorFleet:
    """Every ventilator of a shard's hospitals (given in the shard's order) and its state.

    A unit's draws are keyed by its hospital's stable key (``regional.streams.stable_keys`` of
    the facility's code) and its number there.
    """

    def __init__(
        self,
        hospital_keys: np.ndarray,
        counts: np.ndarray,
        seed: int,
        mtbf_hours: float | None,
        mttr_hours: float,
        maintenance_every_days: float | None,
        maintenance_hours: float,
    ) -> None:
        counts = np.asarray(counts, dtype=np.int64)
        self.hospital = np.repeat(np.arange(len(counts)), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        unit = np.arange(len(self.hospital)) - first
        self.keys = (np.asarray(hospital_keys, dtype=np.int64)[self.hospital] << UNIT_BITS) | unit
        self.n_hospitals = len(counts)
        self.seed = seed
        self.failure_rate = 0.0 if mtbf_hours is None else 1.0 / mtbf_hours
        self.repair_rate = 1.0 / mttr_hours
        u = uniforms(seed, STREAM_VENTILATORS, self.keys, _START)
        self.up = u >= self.failure_rate / (self.failure_rate + self.repair_rate)
        self.every_hours = None if maintenance_every_days is None else maintenance_every_days * 24
        self.maintenance_hours = maintenance_hours
        if self.every_hours is not None:
            self.phase = uniforms(seed, STREAM_VENTILATORS, self.keys, _PHASE) * self.every_hours

    def advance(self, window: int, window_hours: float) -> None:
        """Fail and repair units over window ``window - 1`` to reach their state at its start."""
        if self.failure_rate == 0.0 or window == 0:
            return
        total = self.failure_rate + self.repair_rate
        moved = -math.expm1(-total * window_hours)
        u = uniforms(self.seed, STREAM_VENTILATORS, self.keys, window)
        fail = self.failure_rate / total * moved
        repair = self.repair_rate / total * moved
        self.up = np.where(self.up, u >= fail, u < repair)

    def in_service(self, at_hours: float) -> np.ndarray:
        """Ventilators in service per hospital at ``at_hours``: up and not in maintenance."""
        ok = self.up
        if self.every_hours is not None and self.maintenance_hours > 0:
            ok = ok & (np.mod(at_hours + self.phase, self.every_hours) >= self.maintenance_hours)
        return np.bincount(self.hospital[ok], minlength=self.n_hospitals).astype(np.int64)

    def state_by_hospital(self) -> list[list[bool]]:
        """Each hospital's units, in service or failed (for a checkpoint)."""
        out: list[list[bool]] = [[] for _ in range(self.n_hospitals)]
        for h, up in zip(self.hospital.tolist(), self.up.tolist(), strict=True):
            out[h].append(up)
        return out

    def restore(self, by_hospital: list[list[bool]]) -> None:
        """Set the units' state from ``state_by_hospital``'s output."""
        self.up = np.array([up for units in by_hospital for up in units], dtype=bool)


class OxygenSupply:
    """Medical oxygen of a shard's hospitals: a supply rate, a reserve in tanks, and demand.

    Each hospital receives ``supply_lpm`` litres a minute (its plant or deliveries, times the
    scenario's outage factor while one lasts) and holds up to ``reserve_hours`` of that supply
    in tanks, full at the start. Each window the reserve gains the supply and loses the demand
    of the patients on oxygen at the window start; a hospital whose reserve would not cover the
    window is short of oxygen for all of it (its patients on oxygen run a higher hazard).
    """

    def __init__(self, supply_lpm: np.ndarray, reserve_hours: float) -> None:
        self.supply_lpm = np.asarray(supply_lpm, dtype=np.float64)
        self.capacity_litres = self.supply_lpm * reserve_hours * 60.0
        self.stock_litres = self.capacity_litres.copy()
        self.short = np.zeros(len(self.supply_lpm), dtype=bool)

    def advance(self, demand_lpm: np.ndarray, supply_share: np.ndarray, hours: float) -> np.ndarray:
        """Draw one window of ``hours``; return which hospitals are short during it."""
        stock = self.stock_litres + (self.supply_lpm * supply_share - demand_lpm) * hours * 60.0
        self.short = stock < 0.0
        self.stock_litres = np.clip(stock, 0.0, self.capacity_litres)
        return self.short

    def reserve_hours_left(self) -> np.ndarray:
        """Hours of normal supply left in the tanks, by hospital."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.supply_lpm > 0, self.stock_litres / self.supply_lpm / 60.0, 0.0)
