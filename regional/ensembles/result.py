"""What an ensemble hands back: its dataset and its summaries as pandas frames."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from regional.ensembles import dataset, stats
from regional.ensembles.execute import Failure


@dataclass
class EnsembleResult:
    """An ensemble's folder, tables, summaries and manifest.

    Attributes:
        out: the folder of the dataset.
        tables: ``key_results``, ``facilities`` and ``regions`` of every replication.
        results: every key result of every replication, long (``stats.long_results``).
        summary: per scenario, level, unit and key result: mean, p5, p95 and the interval.
        comparison: paired differences of each ``--vs`` scenario from the first.
        bottlenecks: probability of each hospital being among the ten worst, per ranking.
        failures: replications that failed twice (their results are not in the tables).
        manifest: ``ensemble.json``.
    """

    out: Path
    tables: dict[str, pd.DataFrame]
    results: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    bottlenecks: pd.DataFrame
    failures: list[Failure] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    charts: list[Path] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        out: Path,
        names: list[str],
        confidence: float = stats.CONFIDENCE,
        failures: list[Failure] | None = None,
        manifest: dict[str, Any] | None = None,
    ) -> EnsembleResult:
        """Read the dataset of ``out`` and summarise it (the first name is the base)."""
        tables = dataset.read(out, names)
        long = stats.long_results(tables)
        return cls(
            out=Path(out),
            tables=tables,
            results=long,
            summary=stats.summarize(long, confidence),
            comparison=stats.compare(long, names[0], names[1:], confidence),
            bottlenecks=stats.bottlenecks(tables["facilities"]),
            failures=list(failures or []),
            manifest=dict(manifest or {}),
        )

    def national(self) -> pd.DataFrame:
        """The network-wide key results, one row per scenario and result."""
        s = self.summary
        return s[s["level"] == "national"].drop(columns=["level", "unit"]).reset_index(drop=True)

    def write_summaries(self) -> list[Path]:
        """Write the summaries as CSV into ``out/stats``."""
        folder = self.out / "stats"
        folder.mkdir(exist_ok=True)
        paths = []
        for name in ("summary", "comparison", "bottlenecks"):
            path = folder / f"{name}.csv"
            tmp = path.with_name(f".{path.name}.partial")
            getattr(self, name).to_csv(tmp, index=False)
            tmp.replace(path)
            paths.append(path)
        return paths


def read_ensemble(out: Path) -> EnsembleResult:
    """An ensemble written before, from its folder."""
    out = Path(out)
    manifest = json.loads((out / dataset.MANIFEST_FILE).read_text())
    return EnsembleResult.of(out, list(manifest["scenarios"]), manifest=manifest)
