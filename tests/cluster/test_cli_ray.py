"""Ray through the command line: a run on local workers, and the faults a user can make."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import regional


@pytest.mark.slow
def test_run_on_two_local_workers(tmp_path: Path) -> None:
    done = regional(
        "run",
        "chile",
        "--days",
        "2",
        "--shards",
        "4",
        "--workers",
        "2",
        "--quiet",
        "--out",
        "ray-run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "ray-run" / "manifest.json").read_text())
    assert manifest["backend"] == "ray" and manifest["workers"] == 2
    assert len(manifest["partition"]["shards"]) == 4
    assert manifest["windows"] == 24
    assert manifest["shard_compute_seconds"] > 0 and manifest["exchange_seconds"] >= 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--address", "127.0.0.1:9"], "--address 127.0.0.1:9: no Ray cluster answers there"),
        (["--workers", "512"], "--workers 512: this machine has"),
    ],
)
def test_ray_faults_are_one_line_and_leave_nothing(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    done = regional("run", "chile", "--days", "1", "--out", "x", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not any(tmp_path.iterdir())
