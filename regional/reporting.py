"""What a person sees in a terminal: what was loaded, a progress bar while running, a table
of key results; and warnings, loud, even with ``--quiet``."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from regional.results import RunResult
from regional.runner import Progress as RunProgress
from regional.scenario import Scenario

if TYPE_CHECKING:
    from regional.network import Network

# `on_bad_rows: skip` that leaves out more than this share of a file's rows is more likely a
# wrong mapping (a `kinds:` value, a column) than a few bad rows, and is said loudly.
SKIP_WARNING_SHARE = 0.10

KEY_RESULTS = (
    ("patients", "Patients (episodes)", "{:,}"),
    ("admissions", "Admissions", "{:,}"),
    ("icu_admissions", "ICU admissions", "{:,}"),
    ("transfers", "Transfers", "{:,}"),
    ("teleconsults", "Teleconsults", "{:,}"),
    ("deaths", "Deaths", "{:,}"),
    ("died_waiting_for_icu", "Died waiting for an ICU bed", "{:,}"),
    ("peak_ward_occupancy", "Peak ward occupancy", "{:.1%}"),
    ("peak_icu_occupancy", "Peak ICU occupancy", "{:.1%}"),
    ("mean_ward_occupancy", "Mean ward occupancy", "{:.1%}"),
    ("mean_icu_occupancy", "Mean ICU occupancy", "{:.1%}"),
    ("waited_patients", "Patients who waited (for a bed or at a post)", "{:,}"),
    ("waits_censored", "  of them, waits that ended without the bed", "{:,}"),
    ("wait_hours_mean", "  mean wait, censored waits so far (h)", "{:.2f}"),
    ("wait_hours_p95", "  95th percentile wait, censored so far (h)", "{:.2f}"),
    ("in_system", "Still in the system at the end", "{:,}"),
)


class ConsoleReporter:
    """Progress bar on a terminal (simulated days, patients, wall time); quiet elsewhere."""

    def __init__(self, scenario: Scenario, quiet: bool = False) -> None:
        self.scenario = scenario
        self.quiet = quiet
        self.console = Console(stderr=True)
        self.out = Console()
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> ConsoleReporter:
        if not self.quiet and self.console.is_terminal:
            self._progress = Progress(
                TextColumn(f"[bold]{self.scenario.name}[/]"),
                BarColumn(),
                TextColumn("day {task.completed:.1f}/{task.total:.0f}"),
                TextColumn("{task.fields[patients]:>10,} patients"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(
                "run", total=self.scenario.days + self.scenario.warmup_days, patients=0
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, error, trace)

    def loaded(self, network: Network) -> None:
        """Say what the network holds before the progress bar (and warn of what was skipped)."""
        if not self.quiet:  # on stdout, beside the key results: stderr is for what went wrong
            for line in loaded_lines(network):
                self.out.print(line, highlight=False, markup=False, soft_wrap=True)
        for line in skip_warnings(network):
            self.warn(line)

    def resuming(self, out: Path, window: int | None) -> None:
        """Say where a resumed run starts again."""
        if window is None:
            self.out.print(
                f"{out}: no checkpoint was written before the run stopped; it starts over "
                "from day 0",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        else:
            day = window * self.scenario.window_hours / 24.0
            self.out.print(
                f"{out}: resuming from the checkpoint of window {window} (day {day:g} of "
                f"{self.scenario.days:g})",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )

    def warn(self, message: str) -> None:
        """A warning on stderr, in bold on a terminal, whatever ``quiet`` says."""
        self.console.print(
            f"[bold red]warning:[/] {_escape(message)}", highlight=False, soft_wrap=True
        )

    def update(self, progress: RunProgress) -> None:
        """Advance the bar after a window."""
        if self._progress is not None:
            self._progress.update(
                self._task, completed=progress.simulated_hours / 24.0, patients=progress.patients
            )

    def report(self, result: RunResult, path: Path) -> None:
        """Print the key results and where the run directory is."""
        if not self.quiet:
            table = Table(
                title=f"{self.scenario.name}: {self.scenario.days:g} days from "
                f"{self.scenario.start:%Y-%m-%d}",
                show_header=False,
            )
            table.add_column("result")
            table.add_column("value", justify="right")
            for key, label, fmt in KEY_RESULTS:
                value = result.summary.get(key)
                table.add_row(label, "-" if value is None else fmt.format(value))
            m = result.manifest
            table.add_row("Wall time (s)", f"{m['wall_seconds']:.1f}")
            table.add_row("Episodes per CPU-second", f"{m['episodes_per_cpu_second'] or 0:,.0f}")
            self.out.print(table)
        print(f"Run directory: {path}", file=sys.stdout, flush=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def loaded_lines(network: Network) -> list[str]:
    """What a network was built from, in a few lines: facilities by kind, places and people,
    each registry file's rows read and left out (and why), and the fills applied."""
    f = network.facilities
    kinds = f["kind"].value_counts()
    lines = [
        f"{network.scenario.name}: {len(f):,} facilities ({int(kinds.get('hospital', 0)):,} "
        f"hospitals, {int(kinds.get('clinic', 0)):,} clinics), {len(network.places):,} places, "
        f"{int(network.places['population'].sum()):,} people, "
        f"{network.scenario.shards} shard{'s' if network.scenario.shards > 1 else ''}"
    ]
    skipped = network.skipped
    for path, (read, left_out) in network.rows.items():
        line = f"  {path}: {read:,} rows read"
        if left_out:
            line += f", {left_out:,} left out ({_share(left_out, read)})"
            if skipped is not None and len(skipped):
                reasons = _reasons(skipped[skipped["file"] == path])
                line += f": {reasons}"
        lines.append(line)
    from_files = network.scenario.data is not None
    for key, text in network.filled.items():
        if from_files and key in {"facilities", "places", "skipped_rows"}:  # said above
            continue
        lines.append(f"  filled {key}: {text}")
    return lines


def skip_warnings(network: Network) -> list[str]:
    """One line for each kind that ``on_bad_rows: skip`` left out whole (a value ``kinds:``
    does not map), and for each file it cut by more than ``SKIP_WARNING_SHARE`` of its
    rows."""
    out = []
    skipped = network.skipped
    for path, (read, left_out) in network.rows.items():
        if skipped is not None and len(skipped):
            # a kind that is not ours loses all its rows, however few: say it whatever the share
            kinds = skipped[(skipped["file"] == path) & (skipped["column"] == "kind")]
            values = kinds["problem"].str.extract(r"^('(?:[^']|'(?! is))*')", expand=False)
            for value, count in values.value_counts().items():
                rows = "the 1 row" if count == 1 else f"all {count:,} rows"
                out.append(
                    f"on_bad_rows: skip left out {rows} of kind {value} of {path}; "
                    "map it in `kinds:` or filter it out"
                )
        if read and left_out / read > SKIP_WARNING_SHARE:
            reasons = ""
            if skipped is not None and len(skipped):
                reasons = f", most for {_reasons(skipped[skipped['file'] == path], 1)}"
            out.append(
                f"on_bad_rows: skip left out {left_out:,} of {read:,} rows "
                f"({_share(left_out, read)}) of {path}{reasons}; more than "
                f"{SKIP_WARNING_SHARE:.0%} is likely a wrong mapping (see skipped_rows.csv, or "
                "`regional check --all`)"
            )
    return out


def bad_row_lines(network: Network) -> list[str]:
    """Every skipped row as ``file: row N, column 'c': problem``."""
    skipped = network.skipped
    if skipped is None or not len(skipped):
        return []
    return [
        f"{r.file}: row {r.row}, column {r.column!r}: {r.problem}"
        for r in skipped.itertuples(index=False)
    ]


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def _reasons(skipped: Any, top: int = 3) -> str:
    """The most common problems of skipped rows, values left out: "lon: coordinate missing
    (91)"."""
    if not len(skipped):
        return "see skipped_rows.csv"
    kinds = skipped["column"].astype(str) + ": " + skipped["problem"].map(_kind_of_problem)
    counts = kinds.value_counts()
    return ", ".join(f"{kind} ({count:,})" for kind, count in counts.head(top).items())


def _kind_of_problem(problem: str) -> str:
    text = re.sub(r"\([^)]*\)|'[^']*'|\"[^\"]*\"", "", str(problem))
    text = re.sub(r"\s+", " ", text).strip(" ;:,")
    return text.split(";")[0].strip()
