"""A full, read-only or stale disk: one line naming the path, and either a work area to resume
or nothing left behind.

The full-disk cases mount a small tmpfs, which needs root (CI runs as root); elsewhere they
skip and say why.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from regional.checkpoint import committed_window
from regional.scenario import load_scenario
from regional.workdir import WorkDir
from tests.e2e.test_cli import regional

RUN = ("run", "chile", "--days", "1", "--seed", "2", "--quiet")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount a tmpfs of a given size (and options) under ``tmp_path``; unmount it after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mounted: list[Path] = []

    def mount(size: str, *options: str) -> Path:
        folder = tmp_path / f"disk-{len(mounted)}"
        folder.mkdir()
        spec = ",".join([f"size={size}", *options])
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", spec, "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _fill(folder: Path) -> None:
    """Take every free byte of the disk at ``folder``."""
    handle = open(folder / "filler", "wb", buffering=0)  # noqa: SIM115 (closed below)
    try:
        while True:
            handle.write(b"\0" * 4096)
    except OSError:
        pass
    finally:
        handle.close()


def test_results_that_do_not_fit_are_one_line_and_leave_nothing(
    tmp_path: Path, small_disk: Callable[..., Path]
) -> None:
    disk = small_disk("256k")
    done = regional(*RUN, "--out", str(disk / "out"), cwd=tmp_path)
    line = _one_line(done)
    assert line.startswith(f"regional: error: {disk / 'out'}: cannot write the run directory: ")
    assert "no space left on the device (up to " in line and " MB needed, " in line
    assert line.endswith("free some space or give --out on another disk")
    assert list(disk.iterdir()) == []  # no partial directory, no work area


def test_a_disk_that_fills_mid_run_keeps_the_last_good_checkpoint_to_resume(
    tmp_path: Path, small_disk: Callable[..., Path]
) -> None:
    args = (*RUN, "--shards", "2", "--set", "checkpoint_every_windows=2")
    reference = regional(*args, "--out", "reference", cwd=tmp_path)
    assert reference.returncode == 0, reference.stderr
    # 5 MB hold the work area and the first checkpoint (window 2), not the later ones (each
    # checkpoint holds the logs so far, and two are on disk while one is committed), nor the
    # results beside the last good one
    disk = small_disk("5m")
    out = disk / "out"
    done = regional(*args, "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    warning, error = done.stderr.strip().splitlines()
    kept = committed_window(disk / "out.incomplete" / "checkpoints")
    assert kept is not None and kept >= 2
    assert warning.startswith("warning: ") and ": cannot write the checkpoint of window " in warning
    assert "no space left on the device" in warning
    assert f"the run goes on; --resume would start from window {kept} (later" in warning
    assert error.startswith(f"regional: error: {out}: cannot write the run directory: no space")
    assert error.endswith(f"the run can be finished with `regional run --resume {out}`")
    assert not out.exists()
    # with room again, the run finishes from that checkpoint as if it had never stopped
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
    resumed = regional("run", "--resume", str(out), "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from the checkpoint of window {kept} " in resumed.stdout
    for name in ("patients", "transfers", "referrals", "timeseries", "facilities"):
        expected = pq.read_table(tmp_path / "reference" / f"{name}.parquet")
        assert pq.read_table(out / f"{name}.parquet").equals(expected), name


def test_a_disk_full_before_the_start_leaves_no_stub(
    tmp_path: Path, small_disk: Callable[..., Path]
) -> None:
    disk = small_disk("64k")
    _fill(disk)
    line = _one_line(regional(*RUN, "--out", str(disk / "out"), cwd=tmp_path))
    assert f"{disk / 'out.incomplete'}: cannot write the run's work area: no space left" in line
    assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_a_read_only_disk_is_one_line(tmp_path: Path, small_disk: Callable[..., Path]) -> None:
    disk = small_disk("1m", "ro")
    line = _one_line(regional(*RUN, "--out", str(disk / "out"), cwd=tmp_path))
    assert "cannot write the run's work area: a read-only file system" in line
    assert "give --out on a writable disk" in line


def test_a_work_area_without_state_is_replaced_by_the_next_run(tmp_path: Path) -> None:
    stub = tmp_path / "out.incomplete"
    stub.mkdir()
    (stub / "run.json").write_text("")  # what a disk full at the start used to leave
    resumed = regional("run", "--resume", "out", cwd=tmp_path)
    assert "is empty or cut short" in _one_line(resumed)
    done = regional(*RUN, "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "manifest.json").is_file() and not stub.exists()


def test_resume_of_a_run_without_a_checkpoint_says_it_starts_over(tmp_path: Path) -> None:
    WorkDir.create(tmp_path / "out", load_scenario("chile", days=1, seed=2))
    done = regional("run", "--resume", "out", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no checkpoint was written before the run stopped; it starts over from day 0" in (
        done.stdout
    )
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["seed"] == 2


def test_a_checkpoint_pointer_cut_short_is_one_line(tmp_path: Path) -> None:
    work = WorkDir.create(tmp_path / "out", load_scenario("chile", days=1, seed=2))
    work.checkpoints.mkdir()
    (work.checkpoints / "LATEST").write_text("1\x00")  # what a full disk can leave
    line = _one_line(regional("run", "--resume", "out", "--quiet", cwd=tmp_path))
    assert "LATEST: corrupt checkpoint pointer; the run cannot be resumed, start it again" in line
    done = regional(*RUN, "--out", "out", cwd=tmp_path)  # which the next run may do
    assert done.returncode == 0, done.stderr
