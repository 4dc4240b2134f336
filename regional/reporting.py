"""What a person sees in a terminal: a progress bar while running, a table of key results."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from regional.results import RunResult
from regional.runner import Progress as RunProgress
from regional.scenario import Scenario

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
    ("boarded", "Patients who waited for a bed", "{:,}"),
    ("mean_wait_hours", "Mean wait for a bed (h)", "{:.2f}"),
    ("p95_wait_hours", "95th percentile wait (h)", "{:.2f}"),
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
            self._task = self._progress.add_task("run", total=self.scenario.days, patients=0)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, error, trace)

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
