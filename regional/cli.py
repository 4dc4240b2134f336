"""The command line: ``regional run``, ``ensemble``, ``check``, ``scenarios``, ``export``,
``plot``, ``report``, ``validate``, ``calibrate``, ``history``, ``forecast``, ``backtest``,
``app``.

A user's mistake (a bad flag, an unknown scenario, a malformed file) gets one line on stderr
that says what is wrong and how to fix it, exit code 2, and no run directory. So does a disk
that is full or cannot be written (``regional.storage``), and a command whose optional extra
is not installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from regional.scenario import ScenarioError, builtin_descriptions, load_scenario
from regional.storage import StorageError, guarded

if TYPE_CHECKING:
    from regional.workdir import WorkDir

EXIT_USAGE = 2
EXPORT_FORMATS = ("gpkg", "geojson", "fgb", "geoparquet", "csv", "xlsx", "all")


class UsageError(Exception):
    """A mistake in how the command was called."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see `{self.prog} --help`")


def _whole_number(minimum: int, what: str) -> Any:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
        return value

    return parse


_positive_int = _whole_number(1, "a number of at least 1")
_seed = _whole_number(0, "a non-negative seed")


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 days, got {text}")
    return value


def _add_settings(parser: argparse.ArgumentParser, help_text: str) -> None:
    """The ``--set KEY=VALUE`` option, repeatable, shared by the commands that load a scenario."""
    parser.add_argument(
        "--set",
        dest="settings",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=help_text,
    )


def _add_overlay(parser: argparse.ArgumentParser) -> None:
    """The ``--overlay FILE.yaml`` option, repeatable: nested scenario keys merged in order."""
    parser.add_argument(
        "--overlay",
        dest="overlays",
        type=Path,
        action="append",
        default=[],
        metavar="FILE.yaml",
        help="merge a scenario overlay (such as `regional calibrate`'s overlay.yaml) into the "
        "scenario before --set; repeatable",
    )


def _setting(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE such as capacity.absenteeism=0.15, got {text!r}"
        )
    from regional.yamlfile import YamlError, load_yaml

    try:
        value = load_yaml(raw)  # the loader of scenario files: no duplicate keys, no alias bombs
    except YamlError:
        value = raw
    return key.strip(), value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``regional``."""
    parser = _Parser(
        prog="regional", description="Regional network twin of Latin American healthcare networks."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", help="run a scenario and write a run directory")
    run.add_argument(
        "scenario",
        nargs="?",
        default="chile",
        help="built-in name (see `regional scenarios`) or a scenario .yaml file",
    )
    run.add_argument("--days", type=_days, help="simulated days")
    run.add_argument("--seed", type=_seed, help="random seed; fixes every result")
    run.add_argument("--shards", type=_positive_int, help="geographic shards")
    run.add_argument(
        "--workers",
        type=_positive_int,
        help="CPU workers; more than 1 runs the shards on a local Ray instance",
    )
    run.add_argument("--address", help="join a running Ray cluster (`auto` or host:port)")
    run.add_argument("--out", type=Path, help="run directory (default runs/<scenario>-<UTC time>)")
    _add_settings(run, "override a parameter, e.g. care.max_transfer_hours=8")
    _add_overlay(run)
    run.add_argument("--quiet", action="store_true", help="no progress bar or table")
    run.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="finish an interrupted run from its last checkpoint",
    )
    run.add_argument(
        "--export",
        choices=EXPORT_FORMATS,
        metavar="FORMAT",
        help="also write GIS layers: gpkg, geojson, fgb, geoparquet, csv, xlsx or all",
    )
    _add_ensemble(sub)
    check = sub.add_parser(
        "check", help="validate a scenario and every file it names, without running it"
    )
    check.add_argument(
        "scenario", help="built-in name (see `regional scenarios`) or a scenario .yaml file"
    )
    _add_settings(check, "override a parameter, as `regional run` does")
    check.add_argument(
        "--all",
        action="store_true",
        help="list every bad row of the files instead of stopping at the first",
    )
    sub.add_parser("scenarios", help="list the built-in scenarios")
    export = sub.add_parser("export", help="write GIS layers of a run directory")
    export.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    export.add_argument(
        "--format",
        required=True,
        choices=EXPORT_FORMATS,
        help="gpkg, geojson, fgb, geoparquet, csv, xlsx (spreadsheets) or all",
    )
    export.add_argument("--out", type=Path, help="folder for the layers (default RUN_DIR/gis)")
    export.add_argument(
        "--layers",
        metavar="A,B",
        help="layers to write (default all): facilities, places, catchments, flows, "
        "facility_timeseries, flows_kepler",
    )
    export.add_argument(
        "--every",
        metavar="PERIOD",
        help="time series period: 1d, 6h, 30min... or `window` (default 1d in geojson, csv "
        "and xlsx, every window in the others)",
    )
    plot = sub.add_parser("plot", help="draw a run directory: a map and occupancy over time")
    plot.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    plot.add_argument("--out", type=Path, help="folder for the PNGs (default RUN_DIR/plots)")
    from regional.history.command import add_parsers as add_history

    add_history(sub, _add_settings, _add_overlay)
    from regional.forecast.command import add_parsers as add_forecast

    add_forecast(sub, _whole_number, _add_settings, _add_overlay)
    from regional.report.command import add_parser as add_report

    app = sub.add_parser(
        "app", help="serve the interactive twin in the browser (local; the `app` extra)"
    )
    app.add_argument(
        "scenario",
        nargs="?",
        default="chile",
        help="the scenario to open: a built-in name or a scenario .yaml file",
    )
    app.add_argument("--host", default="127.0.0.1", help="address to listen on (this machine)")
    app.add_argument(
        "--lang", choices=("es", "pt", "en"), default="es", help="es, pt or en (default es)"
    )
    app.add_argument("--port", type=_whole_number(0, "a port from 0 (any free one)"), default=8765)
    from regional.validation.command import add_parser as add_validate

    add_report(sub)

    add_validate(sub, _days, _seed)
    _add_settings(sub.choices["validate"], "override a parameter of every run, as `run` does")
    return parser


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.05, got {text!r}") from None


def _add_ensemble(sub: Any) -> None:
    ensemble = sub.add_parser(
        "ensemble",
        help="run replications of a scenario (and others to compare) and summarise them",
    )
    ensemble.add_argument(
        "scenario", help="built-in name (see `regional scenarios`) or a scenario .yaml file"
    )
    ensemble.add_argument(
        "--vs",
        action="append",
        default=[],
        metavar="OTHER",
        help="a scenario to compare with the first, replication by replication (repeatable)",
    )
    ensemble.add_argument(
        "--replications",
        type=_whole_number(1, "at least 1 replication"),
        required=True,
        help="runs of each scenario (the first batch, with --precision)",
    )
    ensemble.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        help="CPU workers; more than 1 runs replications as tasks on a local Ray instance",
    )
    ensemble.add_argument("--address", help="join a running Ray cluster (`auto` or host:port)")
    ensemble.add_argument(
        "--out", type=Path, help="ensemble folder (default runs/<scenario>-ensemble-<UTC time>)"
    )
    ensemble.add_argument(
        "--precision",
        type=_share,
        help="add replications until each key result's 95%% interval is within this share of "
        "its mean, e.g. 0.05",
    )
    ensemble.add_argument(
        "--max-replications",
        type=_positive_int,
        help="the most replications --precision may run (default 10 x --replications)",
    )
    ensemble.add_argument(
        "--resume",
        action="store_true",
        help="finish the interrupted ensemble in --out: run only the replications it lacks",
    )
    ensemble.add_argument("--days", type=_days, help="simulated days (of every scenario)")
    ensemble.add_argument(
        "--seed", type=_seed, help="base seed the replications' seeds derive from"
    )
    _add_settings(ensemble, "override a parameter of every scenario, e.g. capacity.absenteeism=0.1")
    _add_overlay(ensemble)
    ensemble.add_argument("--quiet", action="store_true", help="no progress bar or table")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``regional`` command."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "scenarios":
            return _scenarios()
        if args.command == "run":
            return _run(args)
        if args.command == "check":
            return _check(args)
        if args.command == "ensemble":
            from regional.ensembles.command import run_ensemble_command

            return run_ensemble_command(args)
        if args.command == "plot":
            for path in _plot(args.run_dir, args.out):
                print(path)
            return 0
        if args.command == "calibrate":
            from regional.history.command import run_calibrate

            return run_calibrate(args)
        if args.command == "forecast":
            from regional.forecast.command import run_forecast

            return run_forecast(args)
        if args.command == "backtest":
            from regional.forecast.command import run_backtest_command

            return run_backtest_command(args)
        if args.command == "history":
            from regional.history.command import run_history

            return run_history(args)
        if args.command == "report":
            from regional.report.command import run as report

            return report(args)
        if args.command == "validate":
            from regional.validation.command import run as validate

            return validate(args)
        if args.command == "app":
            return _app(args)
        if args.command == "export":
            for path in _export(args.run_dir, args.format, args.out, args.layers, args.every):
                print(path)
            return 0
        build_parser().print_help()
        return EXIT_USAGE
    except (UsageError, ScenarioError, StorageError) as error:
        print(f"regional: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("regional: interrupted", file=sys.stderr)
        return 130


def _scenarios() -> int:
    for name, description in builtin_descriptions().items():
        print(f"{name:<10} {description}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from regional.checkpoint import CheckpointError
    from regional.network import build_network
    from regional.reporting import ConsoleReporter
    from regional.results import RunDirectoryError
    from regional.runner import run_scenario
    from regional.workdir import WorkDir, WorkDirError

    try:
        if args.resume is not None:
            _no_scenario_flags_with_resume(args)
            resumed: WorkDir | None = WorkDir.open(args.resume)
            assert resumed is not None
            scenario = resumed.scenario(workers=args.workers)
            out = resumed.out
        else:
            resumed = None
            overrides: dict[str, Any] = {
                "days": args.days,
                "seed": args.seed,
                "shards": args.shards,
                "workers": args.workers,
            }
            scenario = load_scenario(
                args.scenario, settings=dict(args.settings), overlays=args.overlays, **overrides
            )
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            out = args.out or Path("runs") / f"{scenario.name}-{stamp}"
            WorkDir.check_free(out)
    except WorkDirError as error:
        raise UsageError(str(error)) from None
    # everything that can fail before the first window fails here, before any work area
    backend = _backend(scenario.workers, args.address)
    reporter = ConsoleReporter(scenario, quiet=args.quiet)
    network = build_network(scenario)
    reporter.loaded(network)
    try:
        work = resumed if resumed is not None else WorkDir.create(out, scenario)
    except WorkDirError as error:
        raise UsageError(str(error)) from None
    if resumed is not None:
        try:
            reporter.resuming(resumed.out, resumed.committed_window())
        except CheckpointError as error:
            raise UsageError(str(error)) from None
    try:
        with reporter:
            result = run_scenario(
                scenario,
                backend=backend,
                progress=reporter.update,
                network=network,
                checkpoints=work.checkpoints,
                resume=resumed is not None,
                warn=reporter.warn,
            )
        path = result.write(work.out)
    except (RunDirectoryError, CheckpointError, StorageError) as error:
        raise UsageError(str(error) + _what_is_left(work)) from None
    except KeyboardInterrupt:
        if not _what_is_left(work):
            print("regional: interrupted before the first checkpoint", file=sys.stderr)
        else:
            print(
                f"regional: interrupted; finish it with `regional run --resume {work.out}`",
                file=sys.stderr,
            )
        return 130
    except Exception:
        # a run that failed before its first checkpoint has nothing to resume: it leaves
        # nothing behind
        work.remove_if_stateless()
        raise
    work.remove()
    reporter.report(result, path)
    if args.export:
        for written in _export(path, args.export, None):
            print(written)
    return 0


def _what_is_left(work: WorkDir) -> str:
    """What a failed run leaves: a work area to resume, or nothing (said in the message)."""
    try:
        window = work.committed_window()
    except Exception:  # a pointer cut short: nothing to resume
        window = None
    if window is None:
        work.remove_if_stateless()
        return ""
    return f"; the run can be finished with `regional run --resume {work.out}`"


def _check(args: argparse.Namespace) -> int:
    from regional.network import build_network
    from regional.reporting import bad_row_lines, loaded_lines, skip_warnings

    settings = dict(args.settings)
    scenario = load_scenario(args.scenario, settings=settings)
    stop = scenario.data is not None and scenario.data.on_bad_rows == "stop"
    if args.all and stop:
        scenario = load_scenario(args.scenario, settings={**settings, "data.on_bad_rows": "skip"})
    network = build_network(scenario)
    for line in loaded_lines(network):
        print(line)
    for line in skip_warnings(network):
        print(f"warning: {line}", file=sys.stderr)
    if args.all:
        bad = bad_row_lines(network)
        for line in bad:
            print(line)
        if stop and bad:
            print(
                f"regional: error: {len(bad)} bad rows; with `on_bad_rows: stop` the run stops "
                "at the first (fix them, or set `on_bad_rows: skip`)",
                file=sys.stderr,
            )
            return EXIT_USAGE
    print(f"{scenario.name}: no problem found; `regional run {args.scenario}` runs it")
    return 0


def _plot(run_dir: Path, out: Path | None) -> list[Path]:
    from geodata.export import ExportError

    try:
        import matplotlib  # noqa: F401  (the `plot` extra)

        from geodata.plot import plot_run
    except ImportError as error:
        raise UsageError(
            f"regional plot needs matplotlib ({error}); install the `plot` extra: "
            "pip install -e '.[plot]' (or `make run`, which installs it)"
        ) from None
    target = out or Path(run_dir) / "plots"
    if (Path(run_dir) / "ensemble.json").is_file():  # an ensemble: its fan charts, with bands
        from regional.ensembles import read_ensemble
        from regional.ensembles.charts import draw

        ensemble = read_ensemble(Path(run_dir))
        with guarded(target, "the plots"):
            return draw(target, ensemble.tables, ensemble.summary, ensemble.bottlenecks)
    try:
        with guarded(target, "the plots"):
            return plot_run(run_dir, out)
    except ExportError as error:
        raise UsageError(str(error)) from None


def _export(
    run_dir: Path,
    fmt: str,
    out: Path | None,
    layers: str | None = None,
    every: str | None = None,
) -> list[Path]:
    from geodata.export import ExportError, export_run

    target = out or Path(run_dir) / "gis"
    try:
        with guarded(target, "the GIS layers"):
            return export_run(run_dir, fmt, out, layers=layers, every=every)
    except ExportError as error:
        raise UsageError(str(error)) from None


def _app(args: argparse.Namespace) -> int:
    from regional.app.server import AppError, serve

    load_scenario(args.scenario)  # a scenario that cannot load fails here, in one line
    if args.port > 65535:
        raise UsageError(f"--port {args.port}: expected a port from 0 to 65535")
    try:
        serve(args.scenario, host=args.host, port=args.port, lang=args.lang)
    except AppError as error:
        raise UsageError(str(error)) from None
    return 0


def _no_scenario_flags_with_resume(args: argparse.Namespace) -> None:
    given = [f"--{name}" for name in ("days", "seed", "shards", "out") if getattr(args, name)]
    if args.settings:
        given.append("--set")
    if args.overlays:
        given.append("--overlay")
    if given:
        raise UsageError(
            f"{', '.join(given)} cannot change a run being resumed; "
            "drop them (the run keeps its scenario)"
        )


def _backend(workers: int, address: str | None) -> Any:
    if workers <= 1 and address is None:
        from regional.runner import SerialBackend

        return SerialBackend()
    try:
        from cluster.backend import RayBackend
    except ImportError as error:
        raise UsageError(
            f"--workers {workers} needs Ray ({error}); install the `ray` extra "
            "(pip install -e '.[ray]', or `make run`) or run with --workers 1"
        ) from None
    return RayBackend(workers=workers, address=address)


if __name__ == "__main__":
    sys.exit(main())
