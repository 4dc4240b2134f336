"""The ensemble rung: ``python -m benchmarks.run --rungs ensemble`` (or ``python -m
benchmarks.ensemble``).

32 replications of chile for 30 days through ``regional ensemble`` on 1 worker (serial) and
on 2 (Ray tasks on a local instance), each in a fresh process, and the same on a local
4-node cluster of 1 CPU each (``ray.cluster_utils.Cluster``); beside them, one ``regional
run`` of the same scenario, whose simulate time is what a replication should cost. Reported:
the ensemble's wall time, the time of its grid of runs (``run_seconds``: networks built and
Ray started before, summaries and charts after), each replication's simulate time against
the single run's, and the speed-up of 2 workers over 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.run import HERE, _machine, run_rung, with_section

SCENARIO = "chile"
DAYS, REPLICATIONS = 30.0, 32
QUICK_DAYS, QUICK_REPLICATIONS = 2.0, 4
ENV = {
    "RAY_AUTH_MODE": "disabled",
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
}


def ensemble_rung(
    replications: int, days: float, workers: int, address: str | None = None
) -> dict[str, Any]:
    """One ``regional ensemble`` in a fresh process; its timings from ``ensemble.json``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ensemble"
        command = [
            sys.executable, "-m", "regional", "ensemble", SCENARIO,
            "--replications", str(replications), "--days", str(days),
            "--workers", str(workers), "--quiet", "--out", str(out),
        ]  # fmt: skip
        if address:
            command += ["--address", address]
        done = subprocess.run(command, env={**os.environ, **ENV}, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"ensemble on {workers} workers failed: {done.stderr[-800:]}")
        manifest = json.loads((out / "ensemble.json").read_text())
    t = manifest["timings"]
    runs = list(t["replications"].values())
    simulate = [r["simulate_seconds"] for r in runs]
    wall = [r["wall_seconds"] for r in runs]
    return {
        "replications": replications,
        "days": days,
        "workers": workers,
        "cluster": bool(address),
        "backend": manifest["backend"],
        "wall_seconds": t["wall_seconds"],
        "build_seconds": sum(t["build_seconds"].values()),
        "start_seconds": t["start_seconds"],
        "run_seconds": t["run_seconds"],
        "summary_seconds": t["summary_seconds"],
        "charts_seconds": t.get("charts_seconds"),
        "replication_simulate_seconds": round(sum(simulate) / len(simulate), 3),
        "replication_wall_seconds": round(sum(wall) / len(wall), 3),
        "failures": len(manifest["failures"]),
    }


def cluster_rung(replications: int, days: float, nodes: int = 4) -> dict[str, Any]:
    """The ensemble on a local cluster of ``nodes`` nodes of 1 CPU each."""
    os.environ.update(ENV)
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        row = ensemble_rung(replications, days, nodes, address=cluster.address)
    finally:
        cluster.shutdown()
    row["nodes"] = nodes
    return row


def measure(
    quick: bool = False, workers: tuple[int, ...] = (1, 2), nodes: int = 4
) -> dict[str, Any]:
    """Every rung and the ratios the ensemble issue tracks."""
    days = QUICK_DAYS if quick else DAYS
    replications = QUICK_REPLICATIONS if quick else REPLICATIONS
    print(f"{SCENARIO} {days:g} days, a single run...", flush=True)
    single = run_rung(SCENARIO, days, 1, 1)
    rungs = []
    for w in workers:
        print(f"{replications} replications on {w} worker(s)...", flush=True)
        rungs.append(ensemble_rung(replications, days, w))
    if nodes:
        print(f"{replications} replications on a local cluster of {nodes} nodes...", flush=True)
        rungs.append(cluster_rung(replications, days, nodes))
    single_simulate = float(single["simulate_seconds"])
    ratios: dict[str, float] = {}
    for r in rungs:
        where = f"{r['workers']} nodes" if r["cluster"] else f"{r['workers']} worker(s)"
        ratios[f"replication simulate vs single run ({where})"] = round(
            r["replication_simulate_seconds"] / single_simulate, 3
        )
    one = next((r for r in rungs if r["workers"] == 1 and not r["cluster"]), None)
    two = next((r for r in rungs if r["workers"] == 2 and not r["cluster"]), None)
    if one and two:
        ratios["2 workers vs 1 (grid of runs, wall)"] = round(
            one["run_seconds"] / two["run_seconds"], 2
        )
        ratios["2 workers vs 1 (whole ensemble, wall)"] = round(
            one["wall_seconds"] / two["wall_seconds"], 2
        )
    return {
        "machine": _machine(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "single_run": {**single, "simulate_seconds": single_simulate},
        "rungs": rungs,
        "ratios": ratios,
    }


def table(results: dict[str, Any]) -> str:
    """The Markdown table of the ensemble rung."""
    s = results["single_run"]
    lines = [
        "| ensemble | wall s | build s | Ray start s | runs s | summary s | charts s "
        "| replication simulate s | replication wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["rungs"]:
        where = f"{r['workers']} nodes x 1 CPU" if r["cluster"] else f"{r['workers']} worker(s)"
        lines.append(
            f"| {r['replications']} x {SCENARIO} {r['days']:g} d, {where} | "
            f"{r['wall_seconds']:.1f} | {r['build_seconds']:.1f} | {r['start_seconds']:.1f} | "
            f"{r['run_seconds']:.1f} | {r['summary_seconds']:.1f} | "
            f"{r['charts_seconds'] or 0:.1f} | {r['replication_simulate_seconds']:.2f} | "
            f"{r['replication_wall_seconds']:.2f} |"
        )
    lines += [
        "",
        f"A single `regional run {SCENARIO} --days {s['days']:g}`: {s['simulate_seconds']:.2f} s "
        f"simulating, {s['wall_seconds']:.1f} s wall.",
    ]
    for ratio, value in results["ratios"].items():
        lines.append(f"- {ratio}: {value}")
    return "\n".join(lines)


def write(results: dict[str, Any], out: Path, readme: bool) -> Path:
    """Write the results file (and the README's section of the rung)."""
    out.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if results["quick"] else ""
    path = out / f"{dt.date.today().isoformat()}-{_machine()}-ensemble{suffix}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    if readme:
        target = HERE / "README.md"
        target.write_text(with_section(target.read_text(), "ensemble", table(results)))
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the ensemble rung and write its results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ensemble")
    parser.add_argument(
        "--quick", action="store_true", help="4 replications of 2 days (proves the harness)"
    )
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--nodes", type=int, default=4, help="nodes of the local cluster (0: none)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md as it is")
    args = parser.parse_args(argv)
    workers = tuple(int(w) for w in args.workers.split(",") if w)
    results = measure(args.quick, workers, args.nodes)
    print(table(results))
    print(f"results: {write(results, args.out, not args.no_readme)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
