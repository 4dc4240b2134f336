"""A run in the app's background thread: the map's facilities at once, a row of totals a
window, the board's beds in use, and a cancel that stops at the next window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regional.app.session import CANCELLED, DONE, RunSession, facility_occupancy
from regional.scenario import load_scenario


@pytest.mark.slow
def test_a_run_fills_in_window_by_window() -> None:
    scenario = load_scenario("chile", days=0.5)
    session = RunSession(scenario)
    session.start()
    session.join(300)
    snap = session.snapshot()
    assert snap.state == DONE, snap.message
    windows = int(np.ceil(scenario.simulated_hours / scenario.window_hours))
    assert snap.window == snap.windows == windows and snap.share == 1.0
    assert snap.history is not None and len(snap.history) == windows
    assert snap.history["hours"].is_monotonic_increasing
    assert snap.facilities is not None and snap.occupancy is not None
    assert len(snap.occupancy) == len(snap.facilities)
    used = snap.history["icu_used"] / snap.history["icu_staffed"]
    assert ((used > 0) & (used <= 1)).all()
    assert snap.first_picture_seconds is not None
    assert snap.summary["patients"] > 0


@pytest.mark.slow
def test_a_cancel_stops_the_run_early() -> None:
    session = RunSession(load_scenario("chile", days=30))
    session.start()
    session.cancel()
    session.join(300)
    snap = session.snapshot()
    assert snap.state == CANCELLED
    assert snap.window < 5  # stopped at its first windows, not after 360


def test_occupancy_reads_the_board_and_a_missing_row_as_free() -> None:
    facilities = pd.DataFrame(
        {"facility_id": [1, 2, 3], "ward_staffed": [10, 4, 0], "icu_staffed": [4, 0, 0]}
    )
    board = pd.DataFrame(
        {"facility_id": [1, 2], "ward_free": [2, 0], "icu_free": [1, 0], "waiting": [0, 3]}
    )
    out = facility_occupancy(facilities, board)
    assert out["ward_used"].tolist() == [8, 4, 0]
    assert out["ward_occupancy"].tolist()[:2] == [0.8, 1.0]
    assert out["icu_occupancy"].iloc[0] == 0.75 and np.isnan(out["icu_occupancy"].iloc[1])
    assert out["waiting"].tolist() == [0, 3, 0]
