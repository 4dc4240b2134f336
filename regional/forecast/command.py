"""The ``regional forecast`` and ``regional backtest`` commands."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from regional.forecast.output import ForecastError


def _time(text: str) -> dt.datetime:
    try:
        when = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"expected a time such as 2025-06-01T08:00:00Z, got {text!r}"
        ) from None
    if pd.isna(when):
        raise argparse.ArgumentTypeError(f"expected a time, got {text!r}")
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    return when.to_pydatetime()


def _dates(text: str) -> list[dt.date]:
    out = []
    for part in text.split(","):
        try:
            out.append(dt.date.fromisoformat(part.strip()))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected dates such as 2025-06-08,2025-06-15, got {part.strip()!r}"
            ) from None
    return out


def _every(text: str) -> int:
    found = re.fullmatch(r"\s*(\d+)\s*d?\s*", text)
    if not found or int(found.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of days such as 7d, got {text!r}")
    return int(found.group(1))


def add_parsers(
    sub: Any,
    whole: Callable[[int, str], Callable[[str], int]],
    add_settings: Callable[..., None],
    add_overlay: Callable[[argparse.ArgumentParser], None],
) -> None:
    """The ``forecast`` and ``backtest`` subcommands."""
    forecast = sub.add_parser(
        "forecast", help="forecast the next days from a census, with the hubs' 23 quantiles"
    )
    backtest = sub.add_parser(
        "backtest", help="forecast from past censuses and score against what happened"
    )
    for parser in (forecast, backtest):
        parser.add_argument(
            "scenario",
            nargs="?",
            default="chile",
            help="the forecasting scenario: a built-in name or a scenario .yaml file",
        )
    forecast.add_argument(
        "--census", type=Path, required=True, help="census file: CSV, Parquet or FHIR R4 JSON"
    )
    forecast.add_argument(
        "--history",
        type=Path,
        help="admissions history to calibrate demand on (the days before the census)",
    )
    forecast.add_argument(
        "--at", type=_time, help="the census time (default: a per-facility census's latest time)"
    )
    backtest.add_argument(
        "--censuses", type=Path, required=True, help="census history: per facility, daily"
    )
    backtest.add_argument(
        "--history", type=Path, required=True, help="admissions history (date, facility, ...)"
    )
    when = backtest.add_mutually_exclusive_group()
    when.add_argument("--dates", type=_dates, help="reference dates, such as 2025-06-08,2025-06-15")
    when.add_argument("--every", type=_every, help="a reference date every N days (7d)")
    for parser in (forecast, backtest):
        parser.add_argument(
            "--days", type=whole(1, "at least 1 day"), default=14, help="days ahead (default 14)"
        )
        parser.add_argument(
            "--replications",
            type=whole(2, "at least 2 replications"),
            default=32,
            help="replications of the ensemble (default 32)",
        )
        parser.add_argument(
            "--workers",
            type=whole(1, "at least 1 worker"),
            default=1,
            help="CPU workers; more than 1 runs replications as Ray tasks",
        )
        parser.add_argument(
            "--seed", type=whole(0, "a non-negative seed"), help="seed of the replications"
        )
        parser.add_argument("--out", type=Path, help="folder to write (default runs/...)")
        add_settings(parser, "override a parameter of the scenario, as `regional run` does")
        add_overlay(parser)
        parser.add_argument("--quiet", action="store_true", help="no table")


def _scenario(args: argparse.Namespace) -> Any:
    from regional.scenario import load_scenario

    return load_scenario(args.scenario, settings=dict(args.settings), overlays=args.overlays)


def _out(args: argparse.Namespace, kind: str, name: str) -> Path:
    from regional.forecast.output import check_writable

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out or Path("runs") / f"{name}-{kind}-{stamp}")
    check_writable(out)
    return out


def run_forecast(args: argparse.Namespace) -> int:
    """``regional forecast``: the forecast folder, or one line and nothing written."""
    from regional.cli import UsageError
    from regional.forecast.driver import make_forecast, median_of, write_forecast

    try:
        scenario = _scenario(args)
        out = _out(args, "forecast", scenario.name)
        forecast = make_forecast(
            scenario,
            args.census,
            days=args.days,
            replications=args.replications,
            seed=args.seed,
            at=args.at,
            history=args.history,
            workers=args.workers,
        )
        written = write_forecast(forecast, out)
    except ForecastError as error:
        raise UsageError(str(error)) from None
    if not args.quiet:
        locations = forecast.ensemble.locations
        for region in locations.loc[locations["level"] == "region", "location"]:
            icu = median_of(forecast.hub, "icu_occupied", region)
            ward = median_of(forecast.hub, "ward_occupied", region)
            print(
                f"{region}: median ward beds occupied {ward[0]:.0f} tomorrow, {ward[-1]:.0f} on "
                f"day {len(ward)}; ICU {icu[0]:.0f}, {icu[-1]:.0f}"
            )
    for path in written:
        print(path)
    return 0


def run_backtest_command(args: argparse.Namespace) -> int:
    """``regional backtest``: the scores folder, or one line and nothing written."""
    from regional.cli import UsageError
    from regional.forecast.backtest import markdown, summary, write_backtest
    from regional.forecast.history import read_census_history

    try:
        scenario = _scenario(args)
        out = _out(args, "backtest", scenario.name)
        censuses = read_census_history(args.censuses)
        result = write_backtest(
            out,
            scenario,
            censuses,
            args.history,
            days=args.days,
            replications=args.replications,
            seed=args.seed,
            workers=args.workers,
            dates=args.dates,
            every=args.every,
        )
    except ForecastError as error:
        raise UsageError(str(error)) from None
    if not args.quiet:
        print(markdown(summary(result.scores, ["horizon"])), end="")
    print(f"Back-test folder: {out}")
    return 0
