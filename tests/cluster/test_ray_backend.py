"""The same seed gives the same tables on Ray at any shard count, and after a shard is lost."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import ray

import cluster.backend as backend_module
from cluster.backend import RayBackend
from regional.runner import Progress, run_scenario
from regional.scenario import load_scenario

TABLES = ("patients", "transfers", "referrals", "timeseries", "facilities")


def _tables(result: Any) -> dict[str, pa.Table]:
    tables = {name: result.tables[name] for name in TABLES}
    tables["facilities"] = tables["facilities"].drop_columns(["shard"])
    return tables


def _assert_same(left: dict[str, pa.Table], right: dict[str, pa.Table]) -> None:
    for name in TABLES:
        assert left[name].equals(right[name]), f"{name} differs"


@pytest.fixture(scope="module")
def reference() -> dict[str, pa.Table]:
    return _tables(run_scenario(load_scenario("chile", days=2, seed=9)))


@pytest.mark.slow
@pytest.mark.parametrize("shards", [2, 3, 5])
def test_ray_matches_serial_at_any_shard_count(
    ray_local: None, reference: dict[str, pa.Table], shards: int
) -> None:
    scenario = load_scenario("chile", days=2, seed=9, shards=shards, workers=2)
    result = run_scenario(scenario, backend=RayBackend(workers=2))
    assert result.manifest["backend"] == "ray"
    _assert_same(_tables(result), reference)


@pytest.mark.slow
def test_heavy_cross_shard_traffic_is_invariant(ray_local: None) -> None:
    settings = {
        "days": 2,
        "seed": 3,
        "capacity.icu_beds_per_100k": 4.0,
        "capacity.beds_per_1000": 1.2,
        "telemedicine.coverage": 1.0,
    }
    serial = run_scenario(load_scenario("chile", **settings))
    scenario = load_scenario("chile", shards=16, workers=2, **settings)
    result = run_scenario(scenario, backend=RayBackend(workers=2))
    _assert_same(_tables(result), _tables(serial))
    facilities = result.to_pandas("facilities").set_index("facility_id")["shard"]
    transfers = result.to_pandas("transfers")
    crossing = (
        facilities.loc[transfers["from_facility"]].to_numpy()
        != facilities.loc[transfers["to_facility"]].to_numpy()
    ).mean()
    assert len(transfers) > 500
    assert crossing > 0.2


def _run_killing_a_worker(checkpoints: Path | None, after_window: int | None) -> Any:
    """Chile for 2 days on three shards, the worker of shard 1 killed after ``after_window``
    (``None``: after the last window); the run must have replayed it."""
    scenario = load_scenario(
        "chile", days=2, seed=9, shards=3, workers=2, checkpoint_every_windows=4
    )
    backend = RayBackend(workers=2)
    killed: list[int] = []

    def kill(progress: Progress) -> None:
        target = progress.windows if after_window is None else after_window
        if progress.window == target and not killed:
            ray.kill(backend.actors[1], no_restart=False)
            killed.append(progress.window)

    result = run_scenario(scenario, backend=backend, progress=kill, checkpoints=checkpoints)
    assert killed == [after_window or result.manifest["windows"]]
    assert result.manifest["recovered_shards"] >= 1
    return result


@pytest.mark.slow
@pytest.mark.parametrize("with_checkpoints", [True, False])
def test_killed_shard_actor_recovers_with_identical_results(
    ray_local: None, reference: dict[str, pa.Table], tmp_path: Path, with_checkpoints: bool
) -> None:
    checkpoints = tmp_path / "ck" if with_checkpoints else None
    _assert_same(_tables(_run_killing_a_worker(checkpoints, after_window=10)), reference)


@pytest.mark.slow
@pytest.mark.parametrize(("with_checkpoints", "memory_mb"), [(True, 1e9), (False, 0.0)])
def test_shard_actor_lost_before_handing_over_replays_to_the_end(
    ray_local: None,
    reference: dict[str, pa.Table],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    with_checkpoints: bool,
    memory_mb: float,
) -> None:
    """Killed after the last window, a shard comes back at its checkpoint (or its start) and
    must replay to the end before it hands over, whether the workers hand over together or one
    at a time."""
    monkeypatch.setattr(backend_module, "_memory_available_mb", lambda: memory_mb)
    checkpoints = tmp_path / "ck" if with_checkpoints else None
    _assert_same(_tables(_run_killing_a_worker(checkpoints, after_window=None)), reference)


def _record_waits(monkeypatch: pytest.MonkeyPatch, backend: RayBackend) -> list[tuple[int, int]]:
    """Each wait for a worker's process: its pid and how many actors were still to be let go."""
    waited: list[tuple[int, int]] = []
    wait_until_gone = backend_module._wait_until_gone

    def recorded(pid: int, timeout: float = 30.0) -> None:
        wait_until_gone(pid, timeout)
        assert not backend_module._process_runs(pid)
        waited.append((pid, len(backend.actors)))

    monkeypatch.setattr(backend_module, "_wait_until_gone", recorded)
    return waited


@pytest.mark.slow
def test_short_of_memory_each_worker_is_gone_before_the_next_hands_over(
    ray_local: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker turning its logs into tables about doubles its memory: without room for all
    of them at once, the one before must have exited by then, not merely been told to."""
    scenario = load_scenario("chile", days=0.5, seed=9, shards=3, workers=2)
    together = _tables(run_scenario(scenario, backend=RayBackend(workers=2)))
    monkeypatch.setattr(backend_module, "_memory_available_mb", lambda: 0.0)
    backend = RayBackend(workers=2)
    waited = _record_waits(monkeypatch, backend)
    one_by_one = _tables(run_scenario(scenario, backend=backend))
    assert len({pid for pid, _ in waited}) == 3
    # the second and third actors were not yet asked for their tables during the first wait
    assert [left for _, left in waited] == [2, 1, 0]
    _assert_same(one_by_one, together)


@pytest.mark.slow
def test_with_room_workers_hand_over_together_and_are_all_gone(
    ray_local: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend_module, "_memory_available_mb", lambda: 1e9)
    backend = RayBackend(workers=2)
    waited = _record_waits(monkeypatch, backend)
    run_scenario(load_scenario("chile", days=0.5, seed=9, shards=3, workers=2), backend=backend)
    assert len({pid for pid, _ in waited}) == 3
    assert [left for _, left in waited] == [0, 0, 0]


def test_memory_available_is_read_on_linux() -> None:
    available = backend_module._memory_available_mb()
    if Path("/proc/meminfo").exists():
        assert available > 0
    else:
        assert available == 0.0


@pytest.mark.slow
def test_the_monitor_of_a_local_instance_is_stopped_and_ray_still_works() -> None:
    """In a process of its own: the backend starts and stops its own local instance."""
    script = """
import ray
from cluster.backend import RayBackend, _stop_autoscaler_monitor
backend = RayBackend(workers=1)
backend._connect()
monitor = ray._private.worker._global_node.all_processes["monitor"][0].process
assert monitor.poll() is None
_stop_autoscaler_monitor()
assert monitor.poll() is not None, "the monitor still runs"
assert ray.get(ray.remote(lambda: 41 + 1).remote()) == 42
backend.shutdown()
assert not ray.is_initialized()
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_waiting_for_a_process_returns_once_it_has_exited() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert backend_module._process_runs(child.pid)
    child.kill()  # not reaped yet: a zombie, whose memory is already free
    began = time.monotonic()
    backend_module._wait_until_gone(child.pid, timeout=10.0)
    assert time.monotonic() - began < 5.0
    assert not backend_module._process_runs(child.pid)
    child.wait()
    assert not backend_module._process_runs(child.pid)  # gone altogether
