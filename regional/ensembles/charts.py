"""Pictures of an ensemble (PNG, matplotlib from the ``plot`` extra): fan charts of ward and
ICU occupancy per region against staffed beds, key results across scenarios with their
intervals, and how often each hospital is among the ten worst."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FANS = ((0.05, 0.95, 0.18), (0.25, 0.75, 0.35))  # 90% and 50% bands and their shading
UNITS = (("ward", "#1f77b4"), ("icu", "#d62728"))
COMPARED = (
    "deaths",
    "died_waiting_for_icu",
    "mean_wait_hours",
    "transfers",
    "icu_admissions",
    "mean_icu_occupancy",
)
STYLES: tuple[tuple[Any, str], ...] = (("-", "occupied"), ("--", "staffed"))
MAX_REGIONS = 16
MAX_BARS = 15


def draw(
    out: Path,
    tables: dict[str, pd.DataFrame],
    summary: pd.DataFrame,
    bottlenecks: pd.DataFrame,
) -> list[Path]:
    """Write ``fan_<scenario>.png``, ``comparison.png`` and ``bottlenecks.png`` into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for scenario, regions in tables["regions"].groupby("scenario", sort=False):
        paths.append(fan_chart(regions, str(scenario), out / f"fan_{scenario}.png"))
    paths.append(comparison_chart(summary, out / "comparison.png"))
    paths.append(bottleneck_chart(bottlenecks, out / "bottlenecks.png"))
    return paths


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)
    return path


def fan_chart(regions: pd.DataFrame, scenario: str, path: Path) -> Path:
    """Ward and ICU occupied beds per region over time: median, 50% and 90% bands across
    replications, and the staffed beds (their median) as a dashed line."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    # the busiest regions first, at most MAX_REGIONS
    busiest = regions.groupby("region")["ward_staffed"].mean().sort_values(ascending=False).index
    names = [r for r in busiest if regions.loc[regions["region"] == r, "ward_staffed"].any()]
    names = names[:MAX_REGIONS] or list(busiest[:1])
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    start = regions["time"].min()
    regions = regions.assign(day=(regions["time"] - start) / pd.Timedelta(days=1))
    for ax, name in zip(axes.flat, names, strict=False):
        one = regions[regions["region"] == name]
        # ICU beds on their own scale (right), or they would lie flat under the ward's
        for (unit, color), axis in zip(UNITS, (ax, ax.twinx()), strict=True):
            by_time = one.groupby("day")[f"{unit}_occupied"]
            times = by_time.median().index
            for low, high, alpha in FANS:
                axis.fill_between(
                    times,
                    by_time.quantile(low),
                    by_time.quantile(high),
                    color=color,
                    alpha=alpha,
                    linewidth=0,
                )
            axis.plot(times, by_time.median(), color=color, linewidth=1.2, label=f"{unit} occupied")
            staffed = one.groupby("day")[f"{unit}_staffed"].median()
            axis.plot(
                staffed.index,
                staffed,
                color=color,
                linestyle="--",
                linewidth=0.9,
                label=f"{unit} staffed",
            )
            axis.set_ylim(bottom=0)
            axis.tick_params(labelsize=7, colors=color, axis="y")
        ax.set_title(name, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(5))
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    handles: list[Any] = [
        Line2D([], [], color=color, linestyle=style, label=f"{unit} {what}")
        for unit, color in UNITS
        for style, what in STYLES
    ]
    fig.legend(
        handles=handles,
        fontsize=7,
        loc="lower center",
        ncol=4,
        bbox_to_anchor=(0.5, -0.02),
    )
    n = regions["replication"].nunique()
    fig.suptitle(
        f"{scenario}: beds occupied per region, median with 50% and 90% bands of "
        f"{n} replications, by day from {start:%Y-%m-%d}; dashed: staffed beds; ICU on the "
        "right scale",
        fontsize=10,
    )
    fig.subplots_adjust(hspace=0.45, wspace=0.35)
    return _save(fig, path)


def comparison_chart(summary: pd.DataFrame, path: Path) -> Path:
    """National key results per scenario: mean and its confidence interval."""
    import matplotlib.pyplot as plt

    national = summary[(summary["level"] == "national") & summary["metric"].isin(COMPARED)]
    metrics = [m for m in COMPARED if m in set(national["metric"])]
    scenarios = list(dict.fromkeys(national["scenario"]))
    fig, axes = plt.subplots(
        1, max(1, len(metrics)), figsize=(3 * max(1, len(metrics)), 3), squeeze=False
    )
    for ax, metric in zip(axes.flat, metrics, strict=False):
        rows = national[national["metric"] == metric].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))
        mean = rows["mean"].to_numpy()
        low = np.nan_to_num(mean - rows["ci_low"].to_numpy())
        high = np.nan_to_num(rows["ci_high"].to_numpy() - mean)
        ax.errorbar(mean, y, xerr=[low, high], fmt="o", color="#333333", capsize=3)
        ax.set_yticks(y, scenarios, fontsize=8)
        ax.set_title(metric.replace("_", " "), fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.invert_yaxis()
    fig.suptitle("Key results: mean and 95% interval of the mean across replications", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def bottleneck_chart(bottlenecks: pd.DataFrame, path: Path) -> Path:
    """For each ranking, the hospitals most often among the ten worst in the base scenario."""
    import matplotlib.pyplot as plt

    rankings = list(dict.fromkeys(bottlenecks["ranking"])) or ["hours_at_full_icu"]
    base = bottlenecks["scenario"].iloc[0] if len(bottlenecks) else ""
    fig, axes = plt.subplots(1, len(rankings), figsize=(4.5 * len(rankings), 4), squeeze=False)
    for ax, ranking in zip(axes.flat, rankings, strict=False):
        rows = bottlenecks[(bottlenecks["scenario"] == base) & (bottlenecks["ranking"] == ranking)]
        rows = rows.head(MAX_BARS)
        y = np.arange(len(rows))
        ax.barh(y, rows["probability_top"], color="#8c564b")
        ax.set_yticks(
            y,
            [f"{c} {n[:18]}" for c, n in zip(rows["code"], rows["name"], strict=True)],
            fontsize=7,
        )
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        label = rows["label"].iloc[0] if len(rows) else ranking
        ax.set_title(f"top 10 by {label}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(f"{base}: probability of being among the 10 worst hospitals", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)
