"""The time series of a shard: every facility's state sampled at fixed hours.

A sample records what changes from event to event (beds occupied, ventilators in use, queues)
one column at a time; what is set once a window (staffed beds, ventilators in service, oxygen,
nurses on duty, beds after surge actions) is taken once and shared by the window's samples.
At the window's end the samples become one columnar chunk of the time-series log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from regional.records import ColumnBuffer
from regional.staffing import Staffing, nurses_short

if TYPE_CHECKING:
    from agents import Hospital, RuralClinic


class Sampler:
    """Samples of one shard's facilities, hospitals first, then clinics."""

    def __init__(
        self,
        hospitals: Sequence[Hospital],
        clinics: Sequence[RuralClinic],
        staffing: Staffing,
        sample_hours: float,
        log: ColumnBuffer,
    ) -> None:
        self.hospitals = hospitals
        self.clinics = clinics
        self.staffing = staffing
        self.sample_hours = sample_hours
        self.log = log
        self.index = 0  # samples taken since the start (the next is at index * sample_hours)
        self.facility_ids = np.array(
            [h.facility_id for h in hospitals] + [c.facility_id for c in clinics],
            dtype=np.int32,
        )
        self._samples: list[tuple[Any, ...]] = []
        self._window_columns: tuple[Any, ...] = ()

    def fix_window(self, short_of_oxygen: set[int]) -> None:
        """Take the columns that stay as they are for the whole window."""
        hs = self.hospitals
        short = short_of_oxygen
        self._window_columns = (
            [h.ward_staffed for h in hs],
            [h.icu_staffed for h in hs],
            [h.ventilators_available for h in hs],
            [h.facility_id in short for h in hs] if short else [False] * len(hs),
            self.staffing.on_duty,  # replaced, never changed in place, at each window
            self.staffing.ratio,
            [h.intermediate_staffed for h in hs],
            [h.ward_beds for h in hs],  # surge actions change beds
            [h.icu_beds for h in hs],
            [h.intermediate_beds for h in hs],
        )

    def sample(self, at: float) -> None:
        """Record every facility's state at ``at``."""
        hs = self.hospitals
        ward_waiting = [len(h.ward_queue) for h in hs]
        fixed = self._window_columns
        self._samples.append(
            (
                at,
                [h.ward_occupied for h in hs],
                [h.icu_occupied for h in hs],
                [h.ventilators_in_use for h in hs],
                [w + len(h.icu_queue) for w, h in zip(ward_waiting, hs, strict=True)]
                + [c.present for c in self.clinics],
                [h.in_ed for h in hs],
                *fixed[:4],
                ward_waiting,
                *fixed[4:6],
                [h.intermediate_occupied for h in hs],
                *fixed[6:],
            )
        )
        self.index += 1

    def flush(self) -> None:
        """Turn the window's samples into one columnar chunk of the time-series log."""
        if not self._samples:
            return
        n_h, n_c = len(self.hospitals), len(self.clinics)
        zeros = [0] * n_c
        columns: list[np.ndarray] = [
            np.tile(self.facility_ids, len(self._samples)),
            np.repeat([sample[0] for sample in self._samples], n_h + n_c),
        ]
        for j in range(1, 10):
            pad = [] if j == 4 else zeros  # waiting already holds the clinics' patients
            columns.append(
                np.array(
                    [v for sample in self._samples for v in (*sample[j], *pad)], dtype=np.int32
                )
            )
        columns += self._staff_columns(n_c)
        for j in (13, 14, 15, 16, 17):  # intermediate care occupied, staffed; beds
            columns.append(
                np.array([v for sample in self._samples for v in (*sample[j], *zeros)], np.int32)
            )
        self.log.chunks.append(
            pa.Table.from_arrays([pa.array(c) for c in columns], schema=self.log.schema)
        )
        self._samples.clear()

    def _staff_columns(self, n_clinics: int) -> list[np.ndarray]:
        """Nurses on duty and nurse-hours short of the window's samples (0 at clinics)."""
        n_h = len(self.hospitals)
        on_duty, short = [], []
        pad = np.zeros(n_clinics)
        for sample in self._samples:
            ward_waiting = np.asarray(sample[10], dtype=np.float64)
            occupied = np.column_stack([sample[1], sample[2]]).reshape(n_h, 2)
            waiting = np.column_stack(
                [ward_waiting, np.asarray(sample[4][:n_h], dtype=np.float64) - ward_waiting]
            ).reshape(n_h, 2)
            on_duty += [sample[11], pad]
            short += [
                nurses_short(
                    occupied,
                    waiting,
                    sample[12],
                    sample[11],
                    np.asarray(sample[13], dtype=np.float64),
                    self.staffing.intermediate_ratio,
                )
                * self.sample_hours,
                pad,
            ]
        return [np.concatenate(on_duty), np.concatenate(short)]
