"""A real Ray cluster on loopback: two nodes with one removed mid-run, and `ray job submit`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import ray
from ray.cluster_utils import Cluster

from cluster.backend import RayBackend
from regional.runner import Progress, run_scenario
from regional.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fresh_ray() -> Iterator[None]:
    """No Ray in this process before or after (a Cluster brings its own)."""
    if ray.is_initialized():
        ray.shutdown()
    try:
        yield
    finally:
        if ray.is_initialized():
            ray.shutdown()


@pytest.mark.slow
def test_node_removed_mid_run_gives_identical_results(fresh_ray: None, tmp_path: Path) -> None:
    reference = run_scenario(load_scenario("chile", days=2, seed=21))
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 2, "node_ip_address": LOOPBACK}
    )
    try:
        worker = cluster.add_node(num_cpus=2, node_ip_address=LOOPBACK)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address)
        scenario = load_scenario(
            "chile", days=2, seed=21, shards=4, workers=2, checkpoint_every_windows=6
        )
        backend = RayBackend(workers=2)
        removed: list[int] = []

        def remove_worker(progress: Progress) -> None:
            if progress.window == 9 and not removed:
                cluster.remove_node(worker)
                removed.append(progress.window)

        result = run_scenario(
            scenario, backend=backend, progress=remove_worker, checkpoints=tmp_path / "ck"
        )
        assert removed == [9]
        assert result.manifest["recovered_shards"] >= 1
        for name in ("patients", "transfers", "referrals", "timeseries"):
            assert result.tables[name].equals(reference.tables[name]), name
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.mark.slow
def test_ray_job_submit_runs_the_chile_scenario(fresh_ray: None, tmp_path: Path) -> None:
    port = _free_port()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 2,
            "node_ip_address": LOOPBACK,
            "include_dashboard": True,
            "dashboard_host": LOOPBACK,
            "dashboard_port": port,
        },
    )
    try:
        out = tmp_path / "chile-job"
        env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
        entrypoint = (
            f"{sys.executable} -m regional run chile --days 2 --seed 5 --shards 2 "
            f"--workers 2 --address auto --quiet --out {out}"
        )
        runtime_env = {
            "env_vars": {"RAY_AUTH_MODE": "disabled", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
        }
        _wait_for_dashboard(port)
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("ray")),
                "job",
                "submit",
                "--address",
                f"http://{LOOPBACK}:{port}",
                "--working-dir",
                str(ROOT),
                "--runtime-env-json",
                json.dumps(runtime_env),
                "--",
                *entrypoint.split(),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "succeeded" in done.stdout
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["backend"] == "ray" and manifest["shards"] == 2
        assert pq.read_table(out / "patients.parquet").num_rows > 1000
    finally:
        cluster.shutdown()


def _wait_for_dashboard(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the dashboard did not open on port {port}")
