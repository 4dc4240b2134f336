"""An ensemble from start to end: check, build the networks, run the grid, summarise, draw.

Everything a user can get wrong is refused before the first network is built or the folder
is made (``plan.check_inputs``, the folder's state), or, for two scenarios on different
networks, after the networks are built and still before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from regional.ensembles import dataset, stats
from regional.ensembles.execute import Failure, Finished, executor
from regional.ensembles.plan import (
    EnsembleError,
    Plan,
    check_inputs,
    check_same_network,
)
from regional.ensembles.result import EnsembleResult
from regional.network import Network, build_network
from regional.scenario import Scenario
from regional.storage import guarded


def run_ensemble(
    scenarios: Sequence[Scenario],
    replications: int,
    out: Path,
    workers: int = 1,
    address: str | None = None,
    precision: float | None = None,
    max_replications: int | None = None,
    resume: bool = False,
    targets: Sequence[str] = stats.DEFAULT_TARGETS,
    base_seed: int | None = None,
    networks: dict[str, Network] | None = None,
    show_progress: bool = False,
    charts: bool = True,
) -> EnsembleResult:
    """Run ``replications`` of every scenario (the first is the base of the comparisons) and
    write the dataset, its summaries and ``ensemble.json`` into ``out``.

    Args:
        scenarios: what to run; their names name the partitions.
        replications: runs of each scenario (the first number, with ``precision``).
        out: the ensemble's folder; it must not exist, unless ``resume``.
        workers: CPUs; more than one (or an ``address``) runs replications as Ray tasks.
        address: a Ray cluster to join (``auto`` or host:port).
        precision: add replications until each target's interval half-width is within this
            share of its mean (``max_replications`` caps them, default 10 x replications).
        resume: finish the ensemble in ``out``: run only the replications it lacks.
        targets: the national key results ``precision`` watches.
        base_seed: the seed replications' seeds derive from (default the first scenario's).
        networks: networks already built, by scenario name (default: built here, once each).
        show_progress: a progress bar on stderr across all runs.
        charts: draw the PNGs (needs matplotlib).

    Raises:
        EnsembleError: inputs that cannot make an ensemble (nothing is written).
    """
    began = time.perf_counter()
    scenarios = list(scenarios)
    if not scenarios:
        raise EnsembleError("no scenario given; name one, e.g. `regional ensemble chile`")
    check_inputs(scenarios, replications, precision, max_replications)
    unknown = [t for t in targets if t not in stats.NATIONAL]
    if unknown:
        raise EnsembleError(
            f"target {unknown[0]!r} is no key result; choose from {', '.join(stats.NATIONAL)}"
        )
    seed = scenarios[0].seed if base_seed is None else int(base_seed)
    cap = max_replications or (10 * replications if precision is not None else replications)
    plan = Plan(scenarios, replications, seed, precision, cap, tuple(targets))
    out = Path(out)
    _check_folder(out, plan, resume)

    timings: dict[str, Any] = {"build_seconds": {}}
    built: dict[str, Network] = {}
    for s in scenarios:
        t0 = time.perf_counter()
        built[s.name] = networks[s.name] if networks and s.name in networks else build_network(s)
        timings["build_seconds"][s.name] = round(time.perf_counter() - t0, 3)
    paired = check_same_network(built) if len(built) > 1 else {}

    run = executor(plan, built, workers, address)
    timings["start_seconds"] = run.start_seconds
    failures: list[Failure] = []
    replication_timings: dict[str, dict[str, float]] = {}
    running = time.perf_counter()
    try:
        if not resume:
            with guarded(out, "the ensemble folder"):
                out.mkdir(parents=True)
                dataset.write_json(out / dataset.PLAN_FILE, plan.to_dict())
        # a folder's ensemble never shrinks: resuming with fewer replications keeps them all
        wanted = max(replications, dataset.replications_in(out)) if resume else replications
        while True:
            cells = [
                c
                for c in plan.cells(range(wanted))
                if not dataset.done(out, c.scenario, c.replication)
            ]
            for c in cells:
                dataset.discard(out, c.scenario, c.replication)
            failures = [f for f in failures if f.cell not in cells]
            _run_cells(run, cells, out, failures, replication_timings, show_progress)
            if precision is None:
                break
            needed = _replications_needed(out, plan, wanted)
            if needed is not None or wanted >= cap:
                timings["replications_needed"] = needed
                break
            wanted = min(cap, wanted + max(run.workers, stats.look_ahead(wanted)))
    finally:
        timings["run_seconds"] = round(time.perf_counter() - running, 3)
        run.close()

    names = plan.names
    timings["wall_seconds"] = round(time.perf_counter() - began, 3)
    timings["replications"] = replication_timings
    manifest = _manifest(plan, wanted, run.name, run.workers, timings, failures)
    # the share of the base's expected episodes each other scenario draws alike (paired)
    manifest["paired_demand_share"] = paired
    summarising = time.perf_counter()
    result = EnsembleResult.of(out, names, failures=failures, manifest=manifest)
    with guarded(out / "stats", "the summaries"):
        result.write_summaries()
    timings["summary_seconds"] = round(time.perf_counter() - summarising, 3)
    if charts:
        drawing = time.perf_counter()
        result.charts = _draw(out, result)
        timings["charts_seconds"] = round(time.perf_counter() - drawing, 3)
    timings["wall_seconds"] = round(time.perf_counter() - began, 3)
    dataset.write_json(out / dataset.MANIFEST_FILE, manifest)
    return result


def _check_folder(out: Path, plan: Plan, resume: bool) -> None:
    if not resume:
        if out.exists():
            raise EnsembleError(
                f"{out}: already exists; choose another --out, or add --resume to finish the "
                "ensemble in it"
            )
        return
    path = out / dataset.PLAN_FILE
    if not path.is_file():
        raise EnsembleError(
            f"{out}: no ensemble to resume there ({dataset.PLAN_FILE} is missing); drop --resume "
            "to start one"
        )
    try:
        stored = json.loads(path.read_text())
    except ValueError:
        raise EnsembleError(
            f"{path}: not readable JSON; start the ensemble again in another --out"
        ) from None
    if stored != json.loads(json.dumps(plan.to_dict())):
        raise EnsembleError(
            f"{out}: holds an ensemble of other scenarios or another seed "
            f"({', '.join(stored.get('scenarios', []))}, base seed {stored.get('base_seed')}); "
            "resume it with the same scenarios and settings, or choose another --out"
        )


def _run_cells(
    run: Any,
    cells: list[Any],
    out: Path,
    failures: list[Failure],
    timings: dict[str, dict[str, float]],
    show_progress: bool,
) -> None:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if not cells:
        return
    console = Console(stderr=True)
    bar: Progress | None = None
    if show_progress and console.is_terminal:
        bar = Progress(
            TextColumn("[bold]ensemble[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        bar.__enter__()
    task = bar.add_task("runs", total=len(cells)) if bar is not None else None

    def done(outcome: Finished | Failure) -> None:
        if isinstance(outcome, Finished):
            dataset.commit(out, outcome.cell, outcome.tables)
            timings[f"{outcome.cell.scenario}/{outcome.cell.replication}"] = outcome.timings
        else:
            failures.append(outcome)
        if bar is not None and task is not None:
            bar.advance(task)

    try:
        run.run(cells, done)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _replications_needed(out: Path, plan: Plan, wanted: int) -> int | None:
    """The fewest replications from which every target stays within the precision over the
    look-ahead, or None while there is no such number yet."""
    tables = dataset.read(out, plan.names)
    long = stats.long_results(tables)
    assert plan.precision is not None
    for n in range(2, wanted + 1):
        ahead = stats.look_ahead(n)
        if n + ahead > wanted:
            return None
        if all(
            max(
                stats.precision_met(
                    long[long["replication"] < m], plan.precision, plan.targets
                ).values(),
                default=0.0,
            )
            <= plan.precision
            for m in range(n, n + ahead + 1)
        ):
            return n
    return None


def _manifest(
    plan: Plan,
    replications: int,
    backend: str,
    workers: int,
    timings: dict[str, Any],
    failures: list[Failure],
) -> dict[str, Any]:
    from regional.results import _versions
    from regional.scenario import scenario_to_dict

    return {
        "scenarios": plan.names,
        "base": plan.names[0],
        "replications": replications,
        "base_seed": plan.base_seed,
        "seeds": plan.seeds(replications),
        "seed_rule": "regional.ensembles.plan.replication_seed(base_seed, replication)",
        "precision": plan.precision,
        "max_replications": plan.max_replications if plan.precision is not None else None,
        "targets": list(plan.targets) if plan.precision is not None else [],
        "fingerprints": plan.fingerprints,
        "scenario_settings": {s.name: scenario_to_dict(s) for s in plan.scenarios},
        "backend": backend,
        "workers": workers,
        "failures": [
            {
                "scenario": f.cell.scenario,
                "replication": f.cell.replication,
                "seed": f.cell.seed,
                "error": f.error,
            }
            for f in failures
        ],
        "timings": timings,
        "versions": _versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _draw(out: Path, result: EnsembleResult) -> list[Path]:
    try:
        import matplotlib  # noqa: F401  (the `plot` extra)
    except ImportError:
        return []
    from regional.ensembles.charts import draw

    with guarded(out / "charts", "the charts"):
        return draw(out / "charts", result.tables, result.summary, result.bottlenecks)
