"""Charts of forecasts and back-tests: a fan chart per region, coverage by horizon."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from regional.forecast.ensemble import Ensemble

FANNED = (
    ("ward_occupied", "Ward beds occupied"),
    ("icu_occupied", "ICU beds occupied"),
    ("admissions", "Admissions per day"),
)
BANDS = (("0.05", "0.95", 0.18), ("0.25", "0.75", 0.35))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def fan_charts(folder: Path, hub: pd.DataFrame, ensemble: Ensemble) -> list[Path]:
    """A PNG per region: median, 50% and 90% intervals by day, the census at day 0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    locations = ensemble.locations
    regions = locations.index[locations["level"] == "region"]
    q = hub[(hub["output_type"] == "quantile") & hub["location"].isin(locations["location"])]
    written = []
    for i in regions:
        region = str(locations.at[i, "location"])
        mine = q[q["location"] == region]
        fig, axes = plt.subplots(1, len(FANNED), figsize=(4.2 * len(FANNED), 3.4))
        for ax, (target, title) in zip(np.atleast_1d(axes), FANNED, strict=True):
            rows = mine[mine["target"] == target]
            wide = rows.pivot_table(index="horizon", columns="output_type_id", values="value")
            h = wide.index.to_numpy()
            for lo, hi, alpha in BANDS:
                ax.fill_between(h, wide[lo], wide[hi], color="tab:blue", alpha=alpha, lw=0)
            ax.plot(h, wide["0.5"], color="tab:blue", lw=1.6, label="median")
            if target != "admissions":
                ax.plot([0], [ensemble.samples[target][0, i, 0]], "ko", ms=4, label="census")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("days ahead")
            ax.grid(alpha=0.3)
        fig.suptitle(
            f"{region}: forecast from {hub['reference_date'].iloc[0]} "
            "(median, 50% and 90% intervals)",
            fontsize=10,
        )
        fig.tight_layout()
        path = folder / f"fan_{_safe(region)}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written


def coverage_chart(path: Path, scores: pd.DataFrame) -> Path:
    """Coverage of the 50% and 90% intervals by horizon, the model and its baselines, with
    the nominal levels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, level in zip(axes, ("coverage_50", "coverage_90"), strict=True):
        by = scores.groupby(["model", "horizon"])[level].mean().unstack("model")
        for model in by.columns:
            ax.plot(by.index, by[model], marker="o", ms=3, label=model)
        nominal = 0.5 if level == "coverage_50" else 0.9
        ax.axhline(nominal, color="k", ls="--", lw=1)
        ax.set_title(f"{level[-2:]}% interval", fontsize=10)
        ax.set_xlabel("days ahead")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of observations covered")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)
