"""Pictures of a run: a map of the network under pressure and occupancy over time (PNG)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from geodata.borders import mainland, region_borders
from geodata.export import ExportError, _boundary, _read_run
from geodata.regions import region_name

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
        _map(tables, title, out / "network_map.png", _boundary(run_dir)),
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


def _map(tables: dict[str, pd.DataFrame], title: str, path: Path, boundary: Any = None) -> Path:
    """Hospitals by peak occupancy over region borders, the busiest transfer routes, an
    inset of the biggest city, and an overview of every facility when islands far offshore
    are left out of the main frame: no real territory is cropped."""
    import logging

    import matplotlib.pyplot as plt

    # the frames are boxes the data-limited aspect widens on purpose: not worth a warning
    logging.getLogger("matplotlib.axes._base").setLevel(logging.ERROR)
    f = tables["facilities"]
    places = tables["places"]
    points = pd.concat([f[["region", "lon", "lat"]], places[["region", "lon", "lat"]]])
    borders = region_borders(points, boundary)
    fig = plt.figure(figsize=(9, 9.5))
    ax = fig.add_axes((0.04, 0.12, 0.78, 0.8))
    bar_ax = fig.add_axes((0.86, 0.35, 0.025, 0.45))
    lon, lat = f["lon"].to_numpy(dtype=float), f["lat"].to_numpy(dtype=float)
    keep = mainland(lon, lat)
    frame = _box(lon[keep], lat[keep], pad=0.04)
    points_artist = _draw_network(ax, tables, borders, detail=True)
    _frame(ax, frame, lat)
    corners = _empty_corners(ax, lon, lat, frame)
    metro = _biggest_city(places)
    if metro is not None:
        name, x, y = metro
        half_y = METRO_HALF_DEG
        half_x = half_y / max(0.2, np.cos(np.radians(y)))
        inset = ax.inset_axes(corners.pop(0))
        _draw_network(inset, tables, borders, detail=False)
        _frame(inset, (x - half_x, x + half_x, y - half_y, y + half_y), lat)
        inset.set_title(name, fontsize=8, pad=2)
        ax.indicate_inset_zoom(inset, edgecolor="#333", alpha=0.6)
    far = int((~keep).sum())
    if far:
        overview = ax.inset_axes(corners.pop(0))
        _draw_network(overview, tables, borders, detail=False)
        _frame(overview, _box(lon, lat, pad=0.04), lat)
        x0, x1, y0, y1 = frame
        overview.add_patch(
            plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#333", linewidth=0.6)
        )
        overview.set_title(f"{far} on islands offshore", fontsize=7, pad=2)
    bar = fig.colorbar(points_artist, cax=bar_ax)
    bar.set_label("peak occupancy of staffed beds\n(ICU where there is one)", fontsize=8)
    bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    source = {"shared": "official divisions", "boundary": "boundary and place hulls"}
    kind = source.get(borders.kind, "hulls of each region's places")
    ax.set_title(
        f"{title}\nhospitals by peak occupancy, sized by beds; the {TOP_ROUTES} busiest "
        f"transfer routes; borders: {kind}",
        fontsize=10,
    )
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    saved = _save(fig, path)
    plt.close(fig)
    return saved


METRO_HALF_DEG = 0.35  # half the height of the city inset, degrees of latitude (39 km)
TOP_ROUTES = 300


def _box(lon: np.ndarray, lat: np.ndarray, pad: float) -> tuple[float, float, float, float]:
    lo_x, hi_x, lo_y, hi_y = float(lon.min()), float(lon.max()), float(lat.min()), float(lat.max())
    px, py = max(0.3, pad * (hi_x - lo_x)), max(0.3, pad * (hi_y - lo_y))
    return lo_x - px, hi_x + px, lo_y - py, hi_y + py


def _frame(ax: Any, box: tuple[float, float, float, float], lat: np.ndarray) -> None:
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_aspect(1.0 / max(0.2, np.cos(np.radians(np.median(lat)))), adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#f4f6f8")


def _empty_corners(
    ax: Any, lon: np.ndarray, lat: np.ndarray, box: tuple[float, float, float, float]
) -> list[tuple[float, float, float, float]]:
    """The four corners of the axes, as inset boxes, the emptiest of facilities first."""
    x0, x1, y0, y1 = box
    u = (lon - x0) / (x1 - x0)
    v = (lat - y0) / (y1 - y0)
    size = 0.3
    corners = [(0.01, 0.01), (0.69, 0.01), (0.01, 0.69), (0.69, 0.69)]
    counts = [
        int(np.sum((u >= cx) & (u <= cx + size) & (v >= cy) & (v <= cy + size)))
        for cx, cy in corners
    ]
    order = np.argsort(counts, kind="stable")
    return [(corners[k][0], corners[k][1], size, size) for k in order]


def _biggest_city(places: pd.DataFrame) -> tuple[str, float, float] | None:
    if not len(places):
        return None
    top = places.sort_values("population", ascending=False).iloc[0]
    return str(top["name"]), float(top["lon"]), float(top["lat"])


def _draw_network(ax: Any, tables: dict[str, pd.DataFrame], borders: Any, detail: bool) -> Any:
    """Borders, routes, rural posts and hospitals on ``ax``; return the hospitals' artist."""
    from matplotlib.collections import LineCollection

    f = tables["facilities"]
    lon = np.array([np.nan if v is None else v for v in borders.lon], dtype=float)
    lat = np.array([np.nan if v is None else v for v in borders.lat], dtype=float)
    ax.plot(lon, lat, color="#8c8c8c", linewidth=0.5, zorder=1)
    if detail:
        for row in borders.labels.itertuples():
            ax.text(
                row.lon, row.lat, region_name(row.region), fontsize=6, color="#555",
                ha="center", va="center", zorder=2, clip_on=True,
            )  # fmt: skip
    transfers = tables["transfers"]
    if len(transfers):
        pairs = transfers.groupby(["from_facility", "to_facility"], as_index=False).agg(
            count=("patient_id", "size")
        )
        pairs = pairs.nlargest(TOP_ROUTES, "count")
        xy = f.set_index("facility_id")[["lon", "lat"]]
        segments = np.stack(
            [xy.loc[pairs["from_facility"]].to_numpy(), xy.loc[pairs["to_facility"]].to_numpy()],
            axis=1,
        )
        counts = pairs["count"].to_numpy(dtype=float)
        ax.add_collection(
            LineCollection(
                list(segments),
                linewidths=0.3 + 2.0 * np.sqrt(counts / counts.max()),
                colors=PALETTE["flow"],
                alpha=0.35,
                zorder=2,
                label=f"transfer routes (the {TOP_ROUTES} busiest)",
            )
        )
    clinics = f[f["kind"] == "clinic"]
    ax.scatter(
        clinics["lon"], clinics["lat"], marker=".", s=3, color="#6a3d9a", alpha=0.5,
        zorder=3, linewidths=0, label="rural posts",
    )  # fmt: skip
    hospitals = f[f["kind"] == "hospital"]
    pressure = hospitals["peak_icu_occupancy"].where(
        hospitals["icu_staffed"] > 0, hospitals["peak_ward_occupancy"]
    )
    beds = hospitals["ward_beds"] + hospitals["icu_beds"]
    return ax.scatter(
        hospitals["lon"],
        hospitals["lat"],
        c=pressure.fillna(0),
        cmap="RdYlGn_r",
        vmin=0.5,
        vmax=1.0,
        s=(6 + 60 * np.sqrt(beds / max(1, beds.max()))) if detail else 6,
        edgecolors="black",
        linewidths=0.3,
        zorder=4,
        label="hospitals (sized by beds)",
    )


def _occupancy(tables: dict[str, pd.DataFrame], title: str, path: Path) -> Path:
    """Network occupancy of staffed ward, ICU and intermediate beds, and the ICU occupancy of
    the regions with the most ICU beds, with date ticks that never repeat."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    ts = tables["timeseries"]
    f = tables["facilities"].set_index("facility_id")
    units = [u for u in ("ward", "icu", "intermediate") if ts[f"{u}_staffed"].sum() > 0]
    network = ts.groupby("time")[[f"{u}_{w}" for u in units for w in ("occupied", "staffed")]].sum()
    single = len(network) == 1
    style = {"marker": "o", "markersize": 4} if len(network) < 30 else {}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    names = {"ward": "ward", "icu": "ICU", "intermediate": "intermediate care"}
    colours = {"ward": PALETTE["ward"], "icu": PALETTE["icu"], "intermediate": "#9467bd"}
    for unit in units:
        share = network[f"{unit}_occupied"] / network[f"{unit}_staffed"].replace(0, np.nan)
        top.plot(network.index, share, color=colours[unit], label=names[unit], **style)
    top.set_ylabel("network occupancy\nof staffed beds")
    top.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    top.set_title(f"{title}\noccupancy of staffed beds", fontsize=11)
    region = f["region"].astype(str).reindex(ts["facility_id"]).to_numpy()
    by_region = ts.assign(region=region).groupby(["region", "time"])
    icu = by_region[["icu_occupied", "icu_staffed"]].sum().reset_index()
    biggest = icu.groupby("region")["icu_staffed"].mean().nlargest(8).index
    cmap = plt.get_cmap("tab10")
    for k, name in enumerate(biggest):
        one = icu[icu["region"] == name].set_index("time")
        occupancy = one["icu_occupied"] / one["icu_staffed"].replace(0, np.nan)
        if not single and len(one) > 48:  # daily means, drawn at the middle of their day
            daily = occupancy.resample("1D").mean()
            occupancy = daily.set_axis(daily.index + pd.Timedelta(hours=12))
        bottom.plot(
            occupancy.index, occupancy.to_numpy(), color=cmap(k), linewidth=1.3,
            label=region_name(name)[:28], **style,
        )  # fmt: skip
    bottom.set_ylabel("ICU occupancy (daily mean)\nof the regions with most ICU beds")
    bottom.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for axis in (top, bottom):
        low, high = axis.get_ylim()
        # whole percentages unless the axis spans under 3 points: ticks say what they mark
        axis.yaxis.set_major_formatter(
            PercentFormatter(1.0, decimals=0 if high - low >= 0.03 else 1)
        )
        axis.grid(alpha=0.25)
        axis.spines[["top", "right"]].set_visible(False)
    if single:
        when = network.index[0]
        bottom.set_xlim(when - pd.Timedelta(hours=12), when + pd.Timedelta(hours=12))
    fig.subplots_adjust(right=0.78)
    saved = _save(fig, path)
    plt.close(fig)
    return saved
