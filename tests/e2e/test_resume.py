"""A driver killed mid-run leaves a work area that `regional run --resume` finishes, with the
same results as a run that never stopped; broken or foreign directories get one clear line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.e2e.test_cli import ROOT, regional

ARGS = [
    "run",
    "chile",
    "--days",
    "6",
    "--seed",
    "4",
    "--shards",
    "3",
    "--quiet",
    "--set",
    "checkpoint_every_windows=6",
]
TABLES = ("patients", "transfers", "referrals", "timeseries", "facilities", "stays")


def _same_tables(a: Path, b: Path) -> None:
    for name in TABLES:
        left = pq.read_table(a / f"{name}.parquet")
        right = pq.read_table(b / f"{name}.parquet")
        assert left.equals(right), f"{name} differs"


@pytest.mark.slow
def test_resume_after_sigkill_gives_identical_results(tmp_path: Path) -> None:
    reference = regional(*ARGS, "--out", "reference", cwd=tmp_path)
    assert reference.returncode == 0, reference.stderr

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    driver = subprocess.Popen(
        [sys.executable, "-m", "regional", *ARGS, "--out", "killed"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pointer = tmp_path / "killed.incomplete" / "checkpoints" / "LATEST"
    deadline = time.monotonic() + 120
    while not (pointer.exists() and int(pointer.read_text()) >= 24):
        assert driver.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert not (tmp_path / "killed").exists()

    resumed = regional("run", "--resume", "killed", "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "killed: resuming from the checkpoint of window " in resumed.stdout
    assert not (tmp_path / "killed.incomplete").exists()
    _same_tables(tmp_path / "reference", tmp_path / "killed")


def _interrupted(tmp_path: Path) -> Path:
    driver = subprocess.Popen(
        [sys.executable, "-m", "regional", *ARGS, "--out", "cut"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pointer = tmp_path / "cut.incomplete" / "checkpoints" / "LATEST"
    deadline = time.monotonic() + 120
    while not pointer.exists():
        assert driver.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    return tmp_path / "cut.incomplete"


@pytest.mark.slow
def test_corrupt_checkpoint_is_refused_and_kept(tmp_path: Path) -> None:
    work = _interrupted(tmp_path)
    victim = next((work / "checkpoints").glob("shard-0001/window-*/patients.parquet"))
    victim.write_bytes(b"not parquet at all")
    done = regional("run", "--resume", "cut", cwd=tmp_path)
    assert done.returncode == 2
    assert "corrupt checkpoint" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert victim.exists() and work.is_dir()
    assert not (tmp_path / "cut").exists()


@pytest.mark.slow
def test_resume_cannot_change_the_scenario(tmp_path: Path) -> None:
    _interrupted(tmp_path)
    done = regional("run", "--resume", "cut", "--days", "3", cwd=tmp_path)
    assert done.returncode == 2
    assert "--days cannot change a run being resumed" in done.stderr


def test_resume_of_something_else_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine.incomplete").mkdir()
    (tmp_path / "mine.incomplete" / "notes.txt").write_text("keep")
    done = regional("run", "--resume", "mine", cwd=tmp_path)
    assert done.returncode == 2
    assert "not a run directory of ours" in done.stderr
    assert (tmp_path / "mine.incomplete" / "notes.txt").read_text() == "keep"
    done = regional("run", "--resume", "nowhere", cwd=tmp_path)
    assert done.returncode == 2 and "no interrupted run there" in done.stderr


def test_bad_scenario_leaves_no_work_area(tmp_path: Path) -> None:
    done = regional("run", "chile", "--shards", "4096", "--out", "x", cwd=tmp_path)
    assert done.returncode == 2
    assert "shards" in done.stderr
    assert not any(tmp_path.iterdir())
