"""The coordinator: when it checkpoints, and that checkpoints leave the results as they are."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa

from regional import checkpoint
from regional.runner import CheckpointCadence, fingerprint, run_scenario
from regional.scenario import load_scenario


def test_a_window_cadence_checkpoints_on_its_windows_and_zero_never() -> None:
    every_six = CheckpointCadence(windows=6, seconds=0.0)
    assert [w for w in range(1, 20) if every_six.due(w)] == [6, 12, 18]
    assert not any(CheckpointCadence(windows=0, seconds=0.0).due(w) for w in range(1, 20))


def test_the_wall_clock_cadence_waits_its_minutes_from_the_last_checkpoint() -> None:
    cadence = CheckpointCadence.of(load_scenario("chile"))
    assert cadence.windows is None and cadence.seconds == 300.0
    assert not cadence.due(1)
    cadence.last = time.perf_counter() - 301.0
    assert cadence.due(2)
    cadence.written()
    assert not cadence.due(3)


def test_how_often_a_run_checkpoints_is_not_part_of_what_it_resumes() -> None:
    base = load_scenario("chile", days=2.0)
    assert fingerprint(base) == fingerprint(
        load_scenario("chile", days=2.0, checkpoint_every_windows=6, workers=2)
    )
    assert fingerprint(base) == fingerprint(
        load_scenario("chile", days=2.0, checkpoint_every_minutes=0.5)
    )
    assert fingerprint(base) != fingerprint(load_scenario("chile", days=3.0))


def test_checkpoints_by_the_wall_clock_leave_the_results_unchanged(tmp_path: Path) -> None:
    def run(folder: str, **overrides: object) -> dict[str, pa.Table]:
        scn = load_scenario("chile", days=1.0, seed=3, shards=2, **overrides)
        return run_scenario(scn, checkpoints=tmp_path / folder).tables

    plain = run("default")
    assert checkpoint.committed_window(tmp_path / "default") is None  # done in seconds
    # a cadence shorter than any window: a checkpoint before every window but the first
    each = run("each", checkpoint_every_minutes=1e-9)
    assert checkpoint.committed_window(tmp_path / "each") == 11
    assert plain.keys() == each.keys()
    for name, table in plain.items():
        assert table.equals(each[name]), name
