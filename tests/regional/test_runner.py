"""The coordinator: when it checkpoints, and that checkpoints leave the results as they are."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pyarrow as pa
import pytest

from regional import checkpoint, protocol
from regional.results import RunDirectoryError
from regional.runner import CheckpointCadence, SerialBackend, fingerprint, run_scenario
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


class _DiskFullAfterFirstCheckpoint(SerialBackend):
    """The serial backend on a disk that fills up after the first checkpoint: every later
    checkpoint fails part way, as ``OSError(ENOSPC)`` from the second shard."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def checkpoint(
        self, window: int, inboxes: list[protocol.Inbox], root: Path, fingerprint: str
    ) -> None:
        self.calls += 1
        if self.calls == 1:
            super().checkpoint(window, inboxes, root, fingerprint)
            return
        checkpoint.save(self.shards[0], window, inboxes[0], root, fingerprint)
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_checkpoint_that_does_not_fit_keeps_the_last_good_one(tmp_path: Path) -> None:
    scn = load_scenario("chile", days=1.0, seed=3, shards=2, checkpoint_every_windows=4)
    said: list[str] = []
    full = run_scenario(
        scn, backend=_DiskFullAfterFirstCheckpoint(), checkpoints=tmp_path, warn=said.append
    )
    # windows 4 and 8: the first is committed, the second refused and said once
    assert checkpoint.committed_window(tmp_path) == 4
    assert len(said) == 1
    assert said[0].startswith(f"{tmp_path}: cannot write the checkpoint of window 8: no space")
    assert said[0].endswith(
        "the run goes on; --resume would start from window 4 (later checkpoints are still tried)"
    )
    assert not (checkpoint.shard_dir(tmp_path, 0) / "window-0000008").exists()
    # and the run itself is the one that never checkpointed
    plain = run_scenario(scn)
    for name, table in plain.tables.items():
        assert table.equals(full.tables[name]), name


def test_the_python_api_refuses_an_existing_folder_before_it_simulates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import regional
    import regional.runner

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated before refusing the folder")

    monkeypatch.setattr(regional.runner, "run_scenario", never)
    with pytest.raises(RunDirectoryError, match="already exists"):
        regional.run("chile", out=tmp_path, days=1)


def test_star_import_gives_every_public_name() -> None:
    names: dict[str, object] = {}
    exec("from regional import *", names)
    assert {"RunResult", "Scenario", "ScenarioError", "load_scenario", "run"} <= names.keys()
