"""Pictures of a run: a map of the network under pressure and occupancy over time (PNG)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geodata.export import ExportError, _read_run

PALETTE = {"ward": "#1f77b4", "icu": "#d62728", "flow": "#4c4c4c", "place": "#c7c7c7"}


def plot_run(run_dir: Path, out: Path | None = None) -> list[Path]:
    """Write ``network_map.png`` and ``occupancy.png`` for a run directory; return their paths.

    Raises:
        ExportError: an incomplete run directory or an output folder that cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    run_dir = Path(run_dir)
    tables = _read_run(run_dir)
    title = _title(run_dir)
    out = Path(out) if out is not None else run_dir / "plots"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(
            f"{out}: cannot write there ({error.strerror}); give another --out"
        ) from None
    return [
        _map(tables, title, out / "network_map.png"),
        _occupancy(tables, title, out / "occupancy.png"),
    ]


def _title(run_dir: Path) -> str:
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        scenario = manifest["scenario"]
        return f"{scenario['name']}: {scenario['days']:g} days from {scenario['start'][:10]}"
    except (OSError, ValueError, KeyError):
        return run_dir.name


def _save(fig: Any, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=150, bbox_inches="tight")
    tmp.replace(path)
    return path


def _map(tables: dict[str, pd.DataFrame], title: str, path: Path) -> Path:
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    f = tables["facilities"]
    places = tables["places"]
    fig, ax = plt.subplots(figsize=(8, 9))
    ax.scatter(
        places["lon"],
        places["lat"],
        s=np.clip(np.sqrt(places["population"]) / 40, 0.5, 30),
        color=PALETTE["place"],
        alpha=0.5,
        linewidths=0,
        label="places (by people)",
    )
    transfers = tables["transfers"]
    if len(transfers):
        pairs = transfers.groupby(["from_facility", "to_facility"], as_index=False).agg(
            count=("patient_id", "size")
        )
        xy = f.set_index("facility_id")[["lon", "lat"]]
        segments = np.stack(
            [xy.loc[pairs["from_facility"]].to_numpy(), xy.loc[pairs["to_facility"]].to_numpy()],
            axis=1,
        )
        counts = pairs["count"].to_numpy(dtype=float)
        widths = 0.3 + 2.5 * np.sqrt(counts / counts.max())
        ax.add_collection(
            LineCollection(
                list(segments),
                linewidths=widths,
                colors=PALETTE["flow"],
                alpha=0.35,
                zorder=2,
                label="transfers",
            )
        )
    hospitals = f[f["kind"] == "hospital"]
    pressure = hospitals["peak_icu_occupancy"].where(
        hospitals["icu_staffed"] > 0, hospitals["peak_ward_occupancy"]
    )
    beds = hospitals["ward_beds"] + hospitals["icu_beds"]
    points = ax.scatter(
        hospitals["lon"],
        hospitals["lat"],
        c=pressure.fillna(0),
        cmap="RdYlGn_r",
        vmin=0.5,
        vmax=1.0,
        s=8 + 60 * np.sqrt(beds / beds.max()),
        edgecolors="black",
        linewidths=0.3,
        zorder=3,
    )
    clinics = f[f["kind"] == "clinic"]
    ax.scatter(
        clinics["lon"],
        clinics["lat"],
        marker="^",
        s=10,
        color="#6a3d9a",
        zorder=3,
        linewidths=0,
        label="rural clinics",
    )
    bar = fig.colorbar(points, ax=ax, shrink=0.6, pad=0.02)
    bar.set_label("peak occupancy of staffed beds (ICU where there is one)")
    off_map = _frame_extent(ax, f)
    ax.set_aspect(1.0 / np.cos(np.radians(np.median(f["lat"]))))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    subtitle = "hospitals by peak occupancy, transfers as lines"
    if off_map:
        subtitle += f" ({off_map} far facilities off the map)"
    ax.set_title(f"{title}\n{subtitle}", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=True, framealpha=0.85)
    ax.xaxis.set_major_locator(plt.MaxNLocator(4))
    ax.grid(alpha=0.2)
    saved = _save(fig, path)
    plt.close(fig)
    return saved


def _frame_extent(ax: Any, f: pd.DataFrame) -> int:
    """Frame the bulk of the network (islands far offshore would squeeze it); count the rest."""
    lon, lat = f["lon"].to_numpy(), f["lat"].to_numpy()
    lo_x, hi_x = np.quantile(lon, [0.005, 0.995])
    lo_y, hi_y = np.quantile(lat, [0.005, 0.995])
    pad_x = max(0.5, 0.05 * (hi_x - lo_x))
    pad_y = max(0.5, 0.05 * (hi_y - lo_y))
    ax.set_xlim(lo_x - pad_x, hi_x + pad_x)
    ax.set_ylim(lo_y - pad_y, hi_y + pad_y)
    inside = (
        (lon >= lo_x - pad_x)
        & (lon <= hi_x + pad_x)
        & (lat >= lo_y - pad_y)
        & (lat <= hi_y + pad_y)
    )
    return int((~inside).sum())


def _occupancy(tables: dict[str, pd.DataFrame], title: str, path: Path) -> Path:
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    ts = tables["timeseries"]
    f = tables["facilities"].set_index("facility_id")
    network = ts.groupby("time")[
        ["ward_occupied", "ward_staffed", "icu_occupied", "icu_staffed"]
    ].sum()
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 7), sharex=True, gridspec_kw={"height_ratios": [1, 1.3]}
    )
    top.plot(
        network.index,
        network["ward_occupied"] / network["ward_staffed"],
        color=PALETTE["ward"],
        label="ward",
    )
    top.plot(
        network.index,
        network["icu_occupied"] / network["icu_staffed"].replace(0, np.nan),
        color=PALETTE["icu"],
        label="ICU",
    )
    top.set_ylabel("network occupancy")
    top.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    top.legend(frameon=False, loc="lower right")
    top.set_title(f"{title}\noccupancy of staffed beds", fontsize=11)
    icu = ts[ts["icu_staffed"] > 0].assign(occupancy=lambda d: d["icu_occupied"] / d["icu_staffed"])
    busiest = icu.groupby("facility_id")["occupancy"].mean().nlargest(8).index
    colours = plt.get_cmap("tab10")
    for k, fid in enumerate(busiest):
        one = icu[icu["facility_id"] == fid].set_index("time")["occupancy"]
        daily = one.resample("1D").mean()
        bottom.plot(
            daily.index,
            daily.to_numpy(),
            color=colours(k),
            linewidth=1.4,
            marker="o",
            markersize=2.5,
            label=str(f.at[fid, "name"])[:32],
        )
    bottom.set_ylabel("ICU occupancy, daily mean\n8 busiest hospitals")
    bottom.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    bottom.legend(fontsize=7, ncol=2, frameon=False, loc="lower left")
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    for axis in (top, bottom):
        axis.grid(alpha=0.25)
        axis.spines[["top", "right"]].set_visible(False)
    saved = _save(fig, path)
    plt.close(fig)
    return saved
