"""``regional validate``: the countries' built-ins against their published figures."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from regional.scenario import ScenarioError, load_scenario
from regional.validation.check import (
    COUNTRY_BUILTIN,
    CountryCheck,
    Periods,
    check_country,
    resolve,
)
from regional.validation.report import (
    COUNTRY_NAMES,
    ROLE_TEXT,
    format_number,
    markdown,
    write,
    write_markdown,
)

VERDICT_STYLE = {"within band": "green", "outside band": "red", "context": "dim"}


def add_parser(sub: argparse._SubParsersAction, days: object, seed: object) -> None:
    """Declare ``validate`` and its options."""
    parser = sub.add_parser(
        "validate", help="run the built-ins and set their figures beside the published ones"
    )
    parser.add_argument(
        "countries",
        nargs="*",
        metavar="COUNTRY",
        help="CL, BR, MX, their built-ins chile, brazil, mexico, or a scenario file of one of "
        "them (default: all three)",
    )
    parser.add_argument("--seed", type=seed, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--warmup-days", type=days, default=Periods.warmup_days, help="days left out (7)"
    )
    parser.add_argument(
        "--measured-days", type=days, default=Periods.measured_days, help="days measured (14)"
    )
    parser.add_argument("--out", type=Path, help="new folder for validation.csv, .json and .md")
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="also write the page, e.g. docs/validation.md"
    )


def command_line(args: argparse.Namespace) -> str:
    """The command as a reader would type it again (written into the page)."""
    parts = ["regional validate", *args.countries]
    if args.seed != 42:
        parts.append(f"--seed {args.seed}")
    if args.warmup_days != Periods.warmup_days:
        parts.append(f"--warmup-days {args.warmup_days:g}")
    if args.measured_days != Periods.measured_days:
        parts.append(f"--measured-days {args.measured_days:g}")
    return " ".join(parts)


def run(args: argparse.Namespace) -> int:
    """Run the checks, print the tables, write what was asked."""
    if args.out is not None and args.out.exists():
        raise ScenarioError(f"{args.out}: already exists; choose another --out or remove it")
    for path, flag in ((args.out, "--out"), (args.markdown, "--markdown")):
        if path is not None:
            _check_writable(Path(path).parent, flag)
    pairs = resolve(args.countries)
    for country, scenario in pairs:  # every mistake in a setting is said before any run
        load_scenario(scenario or COUNTRY_BUILTIN[country], dict(args.settings))
    periods = Periods(args.warmup_days, args.measured_days)
    console = Console()
    checks: list[CountryCheck] = []
    for country, scenario in pairs:
        print(f"validate: running {COUNTRY_NAMES[country]}...", file=sys.stderr, flush=True)
        check = check_country(country, periods, args.seed, scenario, dict(args.settings))
        checks.append(check)
        console.print(_rich_table(check))
    text = markdown(checks, periods, args.seed, command_line(args))
    if args.out is not None:
        for path in write(args.out, checks, periods, args.seed, command_line(args)):
            print(path)
    if args.markdown is not None:
        print(write_markdown(args.markdown, text))
    return 0


def _check_writable(folder: Path, flag: str) -> None:
    """Fail before the runs, not after them, when an output cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".validate-"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ScenarioError(
            f"{flag}: cannot write in {folder} ({reason.lower()}); choose a folder you can write"
        ) from None


def _rich_table(check: CountryCheck) -> Table:
    table = Table(title=f"{COUNTRY_NAMES[check.country]} ({check.scenario}, {check.seconds:.0f} s)")
    for name in ("figure", "published", "band", "twin", "role", "verdict"):
        table.add_column(name, justify="right" if name in ("published", "twin") else "left")
    for r in check.rows():
        band = (
            f"{format_number(r['band_low'], r['unit'])}-{format_number(r['band_high'], r['unit'])}"
        )
        style = VERDICT_STYLE.get(r["verdict"], "")
        table.add_row(
            r["figure"] + (" (all sectors)" if r["scope"] == "whole" else ""),
            format_number(r["published"], r["unit"]),
            band,
            format_number(r["twin"], r["unit"]),
            ROLE_TEXT[r["role"]],
            f"[{style}]{r['verdict']}[/]" if style else r["verdict"],
        )
    return table
