"""Write a report: read the folders, check the options, build the page, rename it into place."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regional.report.i18n import LANGUAGES
from regional.report.keys import DEFAULT_KEY, KEYS

if TYPE_CHECKING:
    from regional.report.i18n import Language
    from regional.report.load import Source


def add_parser(sub: Any) -> None:
    """The ``regional report`` subcommand."""
    report = sub.add_parser(
        "report", help="write one offline HTML report of a run or an ensemble, for planners"
    )
    report.add_argument("folder", type=Path, metavar="RUN_OR_ENSEMBLE_DIR")
    report.add_argument(
        "--vs",
        type=Path,
        metavar="OTHER_DIR",
        help="a run or ensemble of the same network to compare",
    )
    report.add_argument(
        "--lang", default="es", help=f"language: {', '.join(LANGUAGES)} (default es)"
    )
    report.add_argument(
        "--key",
        default=DEFAULT_KEY,
        help=f"what colours the map: {', '.join(KEYS)} (default {DEFAULT_KEY})",
    )
    report.add_argument(
        "--out", type=Path, help="the HTML file (default RUN_OR_ENSEMBLE_DIR/report.html)"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``regional report`` (a mistake becomes a ``UsageError``: exit 2, nothing written)."""
    from regional.cli import UsageError

    try:
        import plotly  # noqa: F401  (the `report` extra)
    except ImportError as error:
        raise UsageError(
            f"regional report needs plotly ({error}); install the `report` extra: "
            "pip install -e '.[report]' (or `make run`, which installs it)"
        ) from None
    from regional.report.load import ReportError

    try:
        path = write_report(args.folder, out=args.out, vs=args.vs, lang=args.lang, key=args.key)
    except ReportError as error:
        raise UsageError(str(error)) from None
    print(path)
    return 0


def write_report(
    folder: Path,
    out: Path | None = None,
    vs: Path | None = None,
    lang: str = "es",
    key: str = DEFAULT_KEY,
) -> Path:
    """Write the report of a run directory or ensemble folder; return its path.

    Raises:
        ReportError: an unknown language or key, a folder that is neither a run nor an
            ensemble, a ``vs`` folder of another network, or an output that cannot be written.
    """
    from regional.report.i18n import Language
    from regional.report.load import ReportError, read_source
    from regional.storage import guarded

    try:
        language = Language(lang)
    except ValueError as error:
        raise ReportError(str(error)) from None
    if key not in KEYS:
        raise ReportError(f"--key {key}: unknown key result; expected one of {', '.join(KEYS)}")
    folder = Path(folder)
    out = Path(out) if out is not None else folder / "report.html"
    source = read_source(folder)
    other = None
    if vs is not None:
        try:
            other = read_source(Path(vs))
        except ReportError as error:
            raise ReportError(f"--vs {error}") from None
        _same_network(source, other)
    page = build_page(source, language, key, other)
    if out.is_dir():
        raise ReportError(f"{out}: is a directory; give --out a file name such as report.html")
    with guarded(out, "the report", len(page.encode())):
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(page)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is to share
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return out


def _same_network(source: Source, other: Source) -> None:
    from regional.report.load import ReportError

    mine, theirs = source.network_codes(), other.network_codes()
    if mine != theirs:
        shared = len(mine & theirs)
        raise ReportError(
            f"--vs {other.path}: ran on another network ({len(theirs):,} facilities, {shared:,} "
            f"of them in {source.path}'s {len(mine):,}); compare a run or ensemble of the same "
            "network"
        )


def build_page(source: Source, lang: Language, key: str, other: Source | None = None) -> str:
    """The report's HTML text."""
    import pandas as pd

    from geodata.borders import region_borders
    from regional.report.figures import fan_chart, network_map
    from regional.report.page import render

    map_fig, borders = None, None
    info: dict[str, Any] = {}
    if source.has_positions:
        points = source.facilities[["region", "lon", "lat"]]
        if source.places is not None:
            points = pd.concat([points, source.places[["region", "lon", "lat"]]], ignore_index=True)
        borders = region_borders(points, source.boundary)
        map_fig, info = network_map(source, borders, key, lang)
    fan_fig, _ = fan_chart(source, lang)
    return render(source, lang, map_fig, info, borders, fan_fig, key, other)
