"""A scenario run in a background thread, with what every window showed and a cancel.

The runner calls back after every window with the capacity board (free staffed ward and ICU
beds and the queue of every facility); the session keeps the board of the last window and one
row of network totals a window, which is what the page draws while the run goes on. A cancel
is honoured at the next window: the callback raises, the runner shuts its shards down.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from regional.network import Network, build_network
from regional.runner import Progress, run_scenario
from regional.scenario import Scenario

WAITING, BUILDING, RUNNING, DONE, CANCELLED, FAILED = (
    "waiting",
    "building",
    "running",
    "done",
    "cancelled",
    "failed",
)


class Cancelled(Exception):
    """Raised inside the runner's callback to stop a run the planner cancelled."""


@dataclass
class Snapshot:
    """What the page draws: a copy, safe to read while the run goes on."""

    state: str
    window: int = 0
    windows: int = 0
    hours: float = 0.0  # simulated so far
    facilities: pd.DataFrame | None = None
    occupancy: pd.DataFrame | None = None  # per facility, at the last window
    history: pd.DataFrame | None = None  # one row of network totals per window
    message: str = ""
    started: float = 0.0
    first_picture_seconds: float | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def share(self) -> float:
        """The share of windows done, 0 to 1."""
        return self.window / self.windows if self.windows else 0.0


def facility_occupancy(facilities: pd.DataFrame, board: pd.DataFrame) -> pd.DataFrame:
    """Beds in use of the staffed ones and the queue of every facility, from a board (a
    facility the board does not name has all its beds free)."""
    columns = ["facility_id", "ward_free", "icu_free", "waiting"]
    frame = facilities[["facility_id", "ward_staffed", "icu_staffed"]].merge(
        board.reindex(columns=columns), on="facility_id", how="left"
    )
    ward = frame["ward_staffed"].to_numpy(dtype=float)
    icu = frame["icu_staffed"].to_numpy(dtype=float)
    ward_free = frame["ward_free"].astype(float).fillna(frame["ward_staffed"]).to_numpy()
    icu_free = frame["icu_free"].astype(float).fillna(frame["icu_staffed"]).to_numpy()
    ward_used = np.clip(ward - ward_free, 0, None)
    icu_used = np.clip(icu - icu_free, 0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "facility_id": frame["facility_id"],
                "ward_used": ward_used,
                "icu_used": icu_used,
                "ward_occupancy": np.where(ward > 0, ward_used / ward, np.nan),
                "icu_occupancy": np.where(icu > 0, icu_used / icu, np.nan),
                "waiting": frame["waiting"].astype(float).fillna(0).to_numpy(dtype=int),
            }
        )


class RunSession:
    """One run of a scenario in a thread; ``snapshot()`` reads it at any time."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._snap = Snapshot(state=WAITING)
        self._rows: list[dict[str, float]] = []
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the run in a background thread."""
        with self._lock:
            self._snap = Snapshot(state=BUILDING, started=time.perf_counter())
        self._thread = threading.Thread(target=self._run, name="regional-app-run", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop the run at the end of the current window."""
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the run's thread to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    def snapshot(self) -> Snapshot:
        """The run as it stands."""
        with self._lock:
            snap = self._snap
            history = pd.DataFrame(self._rows) if self._rows else None
            return Snapshot(**{**snap.__dict__, "history": history})

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._snap = Snapshot(**{**self._snap.__dict__, **changes})

    def _run(self) -> None:
        try:
            network = build_network(self.scenario)
            facilities = network.facilities
            empty = pd.DataFrame({"facility_id": facilities["facility_id"]})
            self._update(
                state=RUNNING,
                facilities=facilities,
                occupancy=facility_occupancy(facilities, empty),
                first_picture_seconds=time.perf_counter() - self._snap.started,
            )
            result = run_scenario(
                self.scenario, network=network, progress=lambda p: self._window(network, p)
            )
            self._update(state=DONE, summary=dict(result.summary))
        except Cancelled:
            self._update(state=CANCELLED, message="cancelled")
        except Exception as error:  # shown on the page: the planner sees what went wrong
            traceback.print_exc()
            self._update(state=FAILED, message=f"{type(error).__name__}: {error}")

    def _window(self, network: Network, progress: Progress) -> None:
        if self._cancel.is_set():
            raise Cancelled
        occupancy = self._snap.occupancy
        if progress.board is not None:
            occupancy = facility_occupancy(network.facilities, progress.board.to_pandas())
        assert occupancy is not None
        hospitals = network.facilities["kind"].to_numpy() == "hospital"
        row = {
            "hours": progress.simulated_hours,
            "ward_used": float(occupancy["ward_used"].to_numpy()[hospitals].sum()),
            "icu_used": float(occupancy["icu_used"].to_numpy()[hospitals].sum()),
            "ward_staffed": float(network.facilities["ward_staffed"].to_numpy()[hospitals].sum()),
            "icu_staffed": float(network.facilities["icu_staffed"].to_numpy()[hospitals].sum()),
            "waiting": float(occupancy["waiting"].sum()),
            "patients": float(progress.patients),
        }
        with self._lock:
            self._rows.append(row)
            self._snap = Snapshot(
                **{
                    **self._snap.__dict__,
                    "window": progress.window,
                    "windows": progress.windows,
                    "hours": progress.simulated_hours,
                    "occupancy": occupancy,
                }
            )
