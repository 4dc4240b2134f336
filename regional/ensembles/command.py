"""The ``regional ensemble`` command: load the scenarios, run the ensemble, print its intervals."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from regional.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    import pandas as pd

    from regional.ensembles import EnsembleResult

EXIT_FAILED = 1
SHOWN = (
    ("patients", "{:,.0f}"),
    ("admissions", "{:,.0f}"),
    ("icu_admissions", "{:,.0f}"),
    ("transfers", "{:,.0f}"),
    ("deaths", "{:,.1f}"),
    ("died_waiting_for_icu", "{:,.1f}"),
    ("mean_wait_hours", "{:.2f}"),
    ("p95_wait_hours", "{:.2f}"),
    ("mean_icu_occupancy", "{:.3f}"),
    ("peak_icu_occupancy", "{:.3f}"),
)


def load_scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The first scenario and every ``--vs``, with the command's --overlay, --days, --set (and
    no seed: each replication sets its own)."""
    from regional.cli import UsageError

    scenarios = []
    for flag, name in [("", args.scenario), *(("--vs ", other) for other in args.vs)]:
        try:
            scenarios.append(
                load_scenario(
                    name,
                    settings=dict(args.settings),
                    overlays=getattr(args, "overlays", ()),
                    days=args.days,
                    seed=args.seed,
                )
            )
        except ScenarioError as error:
            raise UsageError(f"{flag}{error}") from None
    return scenarios


def run_ensemble_command(args: argparse.Namespace) -> int:
    """Run ``regional ensemble`` (a mistake becomes a ``UsageError``: exit 2, nothing written)."""
    from regional.cli import UsageError
    from regional.ensembles.plan import EnsembleError, check_numbers

    if args.resume and args.out is None:
        raise UsageError("--resume needs the --out of the ensemble to finish")
    try:  # before the scenarios are read: a wrong number is said at once
        check_numbers(args.replications, args.precision, args.max_replications)
    except EnsembleError as error:
        raise UsageError(str(error)) from None
    scenarios = load_scenarios(args)
    from regional.ensembles.driver import run_ensemble

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or Path("runs") / f"{scenarios[0].name}-ensemble-{stamp}"
    try:
        result = run_ensemble(
            scenarios,
            replications=args.replications,
            out=out,
            workers=args.workers,
            address=args.address,
            precision=args.precision,
            max_replications=args.max_replications,
            resume=args.resume,
            base_seed=args.seed,
            show_progress=not args.quiet,
        )
    except EnsembleError as error:
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        if (out / "plan.json").is_file():
            print(
                f"regional: interrupted; the replications that finished are kept in {out}; "
                f"finish it with the same command and `--out {out} --resume`",
                file=sys.stderr,
            )
        else:
            print("regional: interrupted before anything was written", file=sys.stderr)
        return 130
    if not args.quiet:
        report(result)
    print(f"Ensemble folder: {result.out}")
    for failure in result.failures:
        print(f"regional: replication failed twice: {failure}", file=sys.stderr)
    if result.failures:
        total = len(result.manifest["scenarios"]) * result.manifest["replications"]
        print(
            f"regional: error: {len(result.failures)} of {total} replications failed (above); "
            f"the others are kept; `regional ensemble ... --out {result.out} --resume` runs "
            "them again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


def _cell(mean: float, low: float, high: float, fmt: str) -> str:
    if mean != mean:  # NaN
        return "-"
    text = fmt.format(mean)
    if low == low and high == high:
        text += f" [{fmt.format(low)}, {fmt.format(high)}]"
    return text


def _lookup(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict[tuple[str, str], list[float]]:
    """Rows of a summary by (scenario, metric): the values of ``columns`` as floats."""
    return {
        (str(scenario), str(metric)): [float(v) for v in values]
        for scenario, metric, *values in frame[["scenario", "metric", *columns]].itertuples(
            index=False
        )
    }


def report(result: EnsembleResult) -> None:
    """Print the key results with their intervals, and the paired comparisons."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    m = result.manifest
    names = list(m["scenarios"])
    national = _lookup(result.national(), ("mean", "ci_low", "ci_high"))
    table = Table(
        title=f"Key results: mean [95% interval of the mean] of {m['replications']} replications"
    )
    table.add_column("result")
    for name in names:
        table.add_column(name, justify="right")
    for metric, fmt in SHOWN:
        row = [metric.replace("_", " ")]
        for name in names:
            found = national.get((name, metric))
            row.append("-" if found is None else _cell(found[0], found[1], found[2], fmt))
        table.add_row(*row)
    console.print(table)
    if len(names) > 1:
        console.print(_comparison(result.comparison, names))
    if m.get("precision") is not None:
        needed = m["timings"].get("replications_needed")
        said = (
            f"reached with {needed} replications"
            if needed
            else f"not reached within {m['replications']} replications"
        )
        console.print(f"Precision {m['precision']:g} of the mean: {said}", highlight=False)
    for path in result.charts:
        console.print(f"Chart: {path}", highlight=False, soft_wrap=True)


def _comparison(comparison: pd.DataFrame, names: list[str]) -> object:
    from rich.table import Table

    national = _lookup(
        comparison[comparison["level"] == "national"],
        ("difference", "ci_low", "ci_high", "share_better"),
    )
    table = Table(
        title=f"Paired differences from {names[0]}: mean [95% interval], share of "
        "replications better"
    )
    table.add_column("result")
    for name in names[1:]:
        table.add_column(f"{name} - {names[0]}", justify="right")
    for metric, _ in SHOWN:
        row = [metric.replace("_", " ")]
        for name in names[1:]:
            found = national.get((name, metric))
            if found is None:
                row.append("-")
                continue
            difference, low, high, better = found
            text = _cell(difference, low, high, "{:+,.2f}")
            if better == better:  # NaN for a result with no better direction
                text += f", better in {better:.0%}"
            row.append(text)
        table.add_row(*row)
    return table
