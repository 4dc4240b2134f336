"""The scale ladder: ``python -m benchmarks.run`` (``make bench``).

Each rung runs in a fresh process on 1 worker (one shard, no Ray) and on 2 workers (one shard
each on a local Ray instance); the baselines run in the same invocation so that ratios hold on
a noisy machine: a plain time-stepped Mesa model of one region, and a bare heapq loop
replaying as many events as the largest rung. Results go to
``benchmarks/results/<date>-<machine>.json`` (other sets of rungs than the default add their
names to the file name) and a table, one per set of rungs, in ``benchmarks/README.md``.

``--rungs ensemble`` runs the ensemble rung instead (``benchmarks.ensemble``: 32 replications
of chile for 30 days on 1 and 2 workers and on a local 4-node cluster).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNGS = {"chile": 30.0, "brazil": 30.0, "latam": 365.0}
DEFAULT_RUNGS = "chile,brazil"
KEYS = (
    "episodes",
    "events",
    "wall_seconds",
    "simulate_seconds",
    "cpu_seconds",
    "episodes_per_cpu_second",
    "shard_compute_seconds",
    "exchange_seconds",
    "windows",
    "driver_peak_rss_mb",
    "worker_peak_rss_mb",
)
SECTION = "<!-- results:{key}:{edge} -->"


def run_rung(scenario: str, days: float, shards: int, workers: int) -> dict[str, Any]:
    """One run of the twin through its command line, in a fresh process."""
    env = {
        **os.environ,
        "RAY_AUTH_MODE": "disabled",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "regional",
                "run",
                scenario,
                "--days",
                str(days),
                "--shards",
                str(shards),
                "--workers",
                str(workers),
                "--quiet",
                "--out",
                str(out),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{scenario} on {workers} workers failed: {done.stderr[-500:]}")
        manifest = json.loads((out / "manifest.json").read_text())
    row = {key: manifest.get(key) for key in KEYS}
    row.update(scenario=scenario, days=days, shards=shards, workers=workers)
    wall = manifest["wall_seconds"]
    row["exchange_share"] = round(manifest["exchange_seconds"] / wall, 4) if wall else None
    return row


def baselines(events: int, days: float) -> dict[str, Any]:
    """The plain Mesa model of one region and the heapq floor, measured now."""
    from benchmarks.floor import replay
    from benchmarks.plain_mesa import run as plain

    return {"plain_mesa": plain(days=days), "heapq_floor": replay(events)}


def _machine() -> str:
    return f"{platform.machine()}-{os.cpu_count()}cpu"


def table(results: dict[str, Any]) -> str:
    """The Markdown table of a results file."""
    lines = [
        "| rung | workers | shards | episodes | events | wall s | CPU s | episodes/CPU-s "
        "| exchange share | driver peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["rungs"]:
        lines.append(
            f"| {r['scenario']} {r['days']:g} d | {r['workers']} | {r['shards']} | "
            f"{r['episodes']:,} | {r['events'] or 0:,} | {r['wall_seconds']:.1f} | "
            f"{r['cpu_seconds']:.1f} | {r['episodes_per_cpu_second'] or 0:,.0f} | "
            f"{r['exchange_share']:.1%} | {r['driver_peak_rss_mb']:,.0f} |"
        )
    b = results["baselines"]
    lines += [
        "",
        f"Plain Mesa ({b['plain_mesa']['region']}, {b['plain_mesa']['hospitals']} hospitals, "
        f"15-minute ticks): {b['plain_mesa']['episodes_per_cpu_second']:,.0f} episodes per "
        f"CPU-second. Heapq floor: {b['heapq_floor']['events_per_cpu_second']:,.0f} events per "
        "CPU-second.",
    ]
    for ratio, value in results["ratios"].items():
        lines.append(f"- {ratio}: {value}")
    return "\n".join(lines)


def ratios(rungs: list[dict[str, Any]], base: dict[str, Any]) -> dict[str, float]:
    """Speed-ups that the benchmark issue tracks."""
    out: dict[str, float] = {}
    for name in {r["scenario"] for r in rungs}:
        one = [r for r in rungs if r["scenario"] == name and r["workers"] == 1]
        two = [r for r in rungs if r["scenario"] == name and r["workers"] == 2]
        if one and two:
            out[f"{name}: 2 workers vs 1 (wall)"] = round(
                one[0]["wall_seconds"] / two[0]["wall_seconds"], 2
            )
        if one and one[0]["events"]:
            ours = one[0]["events"] / one[0]["cpu_seconds"]
            out[f"{name}: events per CPU-s vs heapq floor"] = round(
                ours / base["heapq_floor"]["events_per_cpu_second"], 4
            )
            out[f"{name}: episodes per CPU-s vs plain Mesa"] = round(
                one[0]["episodes_per_cpu_second"] / base["plain_mesa"]["episodes_per_cpu_second"], 2
            )
    return dict(sorted(out.items()))


def main(argv: list[str] | None = None) -> int:
    """Run the ladder and write the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--rungs", default=DEFAULT_RUNGS, help="comma-separated scenarios")
    parser.add_argument("--include-latam", action="store_true", help="add latam, 365 days")
    parser.add_argument("--quick", action="store_true", help="one day each (proves the harness)")
    parser.add_argument(
        "--workers", default="1,2", help="comma-separated worker counts (one shard per worker)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md as it is")
    args = parser.parse_args(argv)
    names = [n for n in args.rungs.split(",") if n]
    if "ensemble" in names:
        from benchmarks import ensemble

        names.remove("ensemble")
        found = ensemble.measure(quick=args.quick)
        print(ensemble.table(found))
        print(f"results: {ensemble.write(found, args.out, not args.no_readme)}")
        if not names:
            return 0
    if args.include_latam and "latam" not in names:
        names.append("latam")
    unknown = [n for n in names if n not in RUNGS]
    if unknown:
        parser.error(
            f"--rungs: unknown scenario {unknown[0]!r}; choose from {', '.join(RUNGS)} or ensemble"
        )
    try:
        worker_counts = [int(w) for w in args.workers.split(",") if w]
    except ValueError:
        parser.error(f"--workers {args.workers!r}: expected worker counts such as 1,2")
    rungs = []
    for name in names:
        days = 1.0 if args.quick else RUNGS[name]
        for workers in worker_counts:
            print(f"{name} {days:g} days on {workers} worker(s)...", flush=True)
            rungs.append(run_rung(name, days, workers, workers))
    events = max((r["events"] or 0) for r in rungs) or 100_000
    base = baselines(events, 1.0 if args.quick else 30.0)
    results = {
        "machine": _machine(),
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "rungs": rungs,
        "baselines": base,
        "ratios": ratios(rungs, base),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    key = ",".join(names)
    suffix = "" if key == DEFAULT_RUNGS else "-" + "-".join(names)
    path = args.out / f"{dt.date.today().isoformat()}-{_machine()}{suffix}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"results: {path}")
    if not args.no_readme:
        readme = HERE / "README.md"
        readme.write_text(with_section(readme.read_text(), key, table(results)))
    return 0


def with_section(text: str, key: str, body: str) -> str:
    """``text`` with the results section of ``key`` replaced by ``body`` (appended if new)."""
    start = SECTION.format(key=key, edge="start")
    end = SECTION.format(key=key, edge="end")
    if start not in text or end not in text:
        return f"{text.rstrip()}\n\n{start}\n{body}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


if __name__ == "__main__":
    sys.exit(main())
