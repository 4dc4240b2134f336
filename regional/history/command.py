"""``regional calibrate`` and ``regional history``: folders written whole or not at all."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUTPUTS = ("overlay.yaml", "fit.csv", "fit.md", "residuals.png")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2025-06-01 (YYYY-MM-DD), got {text!r}"
        ) from None


def _time(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a time such as 2025-06-09T00:00:00Z, got {text!r}"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.9, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share above 0 and at most 1, got {text}")
    return value


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of hours, got {text!r}") from None
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 hour, got {text}")
    return value


def add_parsers(sub: Any, add_settings: Callable[..., None], add_overlay: Callable) -> None:
    """The ``calibrate`` and ``history`` subcommands."""
    calibrate = sub.add_parser(
        "calibrate",
        help="fit demand to an admissions history and write a scenario overlay",
    )
    calibrate.add_argument(
        "scenario",
        nargs="?",
        default="chile",
        help="the forecasting scenario: a built-in name or a scenario .yaml file",
    )
    calibrate.add_argument(
        "--history",
        type=Path,
        required=True,
        metavar="FILE",
        help="admissions history: CSV or Parquet with date, facility, need, admissions",
    )
    calibrate.add_argument(
        "--until",
        type=_date,
        help="first day the fit does not see (YYYY-MM-DD; default the day after the history)",
    )
    calibrate.add_argument(
        "--by", choices=("region", "facility"), default="region", help="units of the fit"
    )
    calibrate.add_argument(
        "--weeks",
        type=float,
        default=8.0,
        help="weeks of history before --until that the fit uses (default 8)",
    )
    calibrate.add_argument("--out", type=Path, help="folder (default runs/calibrate-<UTC time>)")
    add_settings(calibrate, "override a parameter of the scenario, as `regional run` does")
    add_overlay(calibrate)
    history = sub.add_parser(
        "history",
        help="write a run's daily admissions and censuses (admissions.csv, censuses.csv)",
    )
    history.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    history.add_argument("--out", type=Path, required=True, help="folder to write")
    history.add_argument(
        "--every-hours", type=_hours, default=24.0, help="hours between censuses (default 24)"
    )
    history.add_argument(
        "--report-share",
        type=_share,
        default=1.0,
        help="share of admissions reported (binomial undercount; default 1, all)",
    )
    history.add_argument(
        "--seed", type=int, default=0, help="seed of the reporting noise (default 0)"
    )
    history.add_argument(
        "--census-at",
        type=_time,
        metavar="TIME",
        help="also write the per-patient census at this UTC time (census.csv) and its FHIR "
        "bundle (census.fhir.json), e.g. 2025-06-09T00:00:00Z",
    )


def _write_whole(out: Path, write: Callable[[Path], None], what: str) -> Path:
    """Write a folder into a temporary sibling and rename it into place."""
    from regional.cli import UsageError
    from regional.storage import guarded

    if out.exists():
        raise UsageError(f"{out}: already exists; choose another --out or remove it")
    with guarded(out, what):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
        try:
            write(tmp)
            os.rename(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out


def run_calibrate(args: argparse.Namespace) -> int:
    """``regional calibrate``: overlay.yaml, fit.csv, fit.md and residuals.png, or nothing."""
    from regional.cli import UsageError
    from regional.history.calibrate import fit
    from regional.history.files import HistoryError, read_admissions
    from regional.network import build_network
    from regional.scenario import load_scenario

    try:
        import matplotlib  # noqa: F401  (the `plot` extra: residuals.png)
        import statsmodels  # noqa: F401  (the `forecast` extra)
    except ImportError as error:
        raise UsageError(
            f"regional calibrate needs statsmodels and matplotlib ({error}); install the "
            "`forecast` and `plot` extras: pip install -e '.[forecast,plot]'"
        ) from None
    if not args.weeks >= 2:
        raise UsageError(f"--weeks {args.weeks:g}: expected at least 2 weeks")
    scenario = load_scenario(args.scenario, settings=dict(args.settings), overlays=args.overlays)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or Path("runs") / f"calibrate-{stamp}"
    if out.exists():
        raise UsageError(f"{out}: already exists; choose another --out or remove it")
    network = build_network(scenario)
    try:
        history = read_admissions(args.history, network, until=None)
        calibration = fit(
            history, scenario, network, args.until, by=args.by, window_weeks=args.weeks
        )
    except HistoryError as error:
        raise UsageError(f"--history {error}") from None

    def write(folder: Path) -> None:
        calibration.write(folder / "overlay.yaml")
        calibration.table().to_csv(folder / "fit.csv", index=False)
        (folder / "fit.md").write_text(calibration.report())
        calibration.plot_residuals(folder / "residuals.png")

    _write_whole(out, write, "the calibration")
    for name in OUTPUTS:
        print(out / name)
    factors = ", ".join(
        f"{r} x{f:.3f}"
        for r, f in zip(
            calibration.region_factors["region"], calibration.region_factors["factor"], strict=True
        )
    )
    print(
        f"{args.history.name}: {calibration.first_day} to {calibration.last_day}; deviance "
        f"{calibration.deviance:.1f} on {calibration.df_resid} df, dispersion "
        f"{calibration.dispersion:.2f}; trend {calibration.trend_per_week:+.2%} a week; {factors}"
    )
    return 0


def run_history(args: argparse.Namespace) -> int:
    """``regional history``: admissions.csv and censuses.csv of a run directory (and a census
    at one time, as CSV and FHIR), or nothing."""
    from regional.cli import UsageError
    from regional.history.files import write_admissions
    from regional.history.from_run import (
        admissions_from_run,
        censuses_from_run,
        patient_census_from_run,
        report_noise,
    )
    from regional.results import RunDirectoryError
    from regional.snapshot.fhir import write_bundle
    from regional.snapshot.records import patients_census
    from regional.snapshot.saner import write_measure_reports

    if args.out.exists():
        raise UsageError(f"{args.out}: already exists; choose another --out or remove it")
    try:
        admissions = report_noise(admissions_from_run(args.run_dir), args.report_share, args.seed)
        censuses = censuses_from_run(args.run_dir, args.every_hours)
        census = None
        if args.census_at is not None:
            census = patient_census_from_run(args.run_dir, args.census_at)
    except (RunDirectoryError, ValueError) as error:
        raise UsageError(str(error)) from None
    names = ["admissions.csv", "censuses.csv"]

    def write(folder: Path) -> None:
        write_admissions(admissions, folder / "admissions.csv")
        censuses.to_csv(folder / "censuses.csv", index=False)
        if census is not None:
            census.to_csv(folder / "census.csv", index=False)
            checked = patients_census(census.astype(str), "census.csv", args.census_at)
            write_bundle(checked, args.census_at, folder / "census.fhir.json")
            write_measure_reports(checked, args.census_at, folder / "census.saner.json")

    out = _write_whole(args.out, write, "the history")
    if census is not None:
        names += ["census.csv", "census.fhir.json", "census.saner.json"]
    for name in names:
        print(out / name)
    return 0
