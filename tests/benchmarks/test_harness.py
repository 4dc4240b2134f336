"""The benchmark harness runs end to end on a tiny ladder (no timing is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import floor, plain_mesa
from benchmarks.run import main, with_section


def test_floor_and_plain_mesa_report_their_rates() -> None:
    assert floor.replay(2_000, pending=100)["events"] == 2_000
    result = plain_mesa.run(
        days=0.5, inputs={"region": "X", "beds": [10, 4], "arrivals_per_day": [6.0, 2.0]}
    )
    assert result["ticks"] == 48 and result["episodes"] > 0


@pytest.mark.slow
def test_quick_ladder_writes_results(tmp_path: Path) -> None:
    assert main(["--quick", "--rungs", "chile", "--out", str(tmp_path), "--no-readme"]) == 0
    (path,) = tmp_path.glob("*.json")
    results = json.loads(path.read_text())
    assert [(r["workers"], r["shards"]) for r in results["rungs"]] == [(1, 1), (2, 2)]
    for rung in results["rungs"]:
        assert rung["episodes"] > 1000 and rung["events"] > rung["episodes"]
        assert rung["driver_peak_rss_mb"] > 0
    assert results["rungs"][1]["worker_peak_rss_mb"]
    assert {"plain_mesa", "heapq_floor"} <= set(results["baselines"])
    assert "chile: 2 workers vs 1 (wall)" in results["ratios"]


def test_each_set_of_rungs_keeps_its_own_table_in_the_readme() -> None:
    text = "# Benchmarks\n\nprose\n"
    text = with_section(text, "chile,brazil", "| old |")
    text = with_section(text, "latam", "| latam |")
    text = with_section(text, "chile,brazil", "| new |")
    assert "| old |" not in text and "| new |" in text and "| latam |" in text
    assert text.startswith("# Benchmarks\n\nprose\n")
    assert text.index("| new |") < text.index("| latam |")


@pytest.mark.slow
def test_round_cost_measures_a_round_of_stub_shards() -> None:
    import ray

    from benchmarks.round_cost import round_ms

    ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        assert round_ms(shards=2, hospitals=100, rounds=3) > 0
    finally:
        ray.shutdown()


def test_the_ensemble_rung_has_its_own_table() -> None:
    from benchmarks import ensemble

    rung = {
        "replications": 4, "days": 2.0, "workers": 2, "cluster": False, "wall_seconds": 9.0,
        "build_seconds": 1.0, "start_seconds": 2.0, "run_seconds": 5.0, "summary_seconds": 0.5,
        "charts_seconds": 0.5, "replication_simulate_seconds": 1.1, "replication_wall_seconds": 1.4,
    }  # fmt: skip
    results = {
        "quick": True,
        "single_run": {"days": 2.0, "simulate_seconds": 1.0, "wall_seconds": 1.5},
        "rungs": [rung, {**rung, "workers": 4, "cluster": True}],
        "ratios": {"2 workers vs 1 (grid of runs, wall)": 1.9},
    }
    text = ensemble.table(results)
    assert "| 4 x chile 2 d, 2 worker(s) | 9.0 |" in text
    assert "| 4 x chile 2 d, 4 nodes x 1 CPU |" in text
    assert "- 2 workers vs 1 (grid of runs, wall): 1.9" in text
    readme = with_section("# Benchmarks\n", "ensemble", text)
    assert readme.count("<!-- results:ensemble:start -->") == 1
