"""The report's Plotly figures: the network map with its day slider, and the fan charts.

The map is drawn on plain cartesian axes (longitude, latitude at the network's aspect), so it
needs no tiles and no topojson: everything it shows is in the page.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from geodata.borders import Borders, mainland
from geodata.regions import region_name
from regional.report.i18n import Language
from regional.report.load import KEYS, UNITS, Source

COLOURS = {"ward": "#1f77b4", "icu": "#d62728", "intermediate": "#9467bd"}
METROS = 3
METRO_HALF_DEG = 0.45  # half the height of a metropolitan zoom, degrees of latitude (50 km)
MAX_FAN_REGIONS = 40
SHARE_KEYS = ("icu_occupancy", "ward_occupancy")
ICU_KEYS = ("icu_hours_95", "icu_occupancy")


def _aspect(lat: np.ndarray) -> float:
    """Plotly's ``scaleratio``: a degree of latitude is 1/cos(lat) degrees of longitude long."""
    return 1.0 / max(0.2, math.cos(math.radians(float(np.nanmedian(lat)))))


def _date_ticks(source: Source, days: int, lang: Language) -> tuple[list[str], list[str]]:
    """At most eight date ticks, one a day or fewer, never the same date twice."""
    step = max(1, math.ceil(days / 8))
    dates = [source.start.normalize() + pd.Timedelta(days=d) for d in range(0, days, step)]
    return [d.strftime("%Y-%m-%d") for d in dates], [lang.date(d) for d in dates]


def _colour_range(
    key: str, values: np.ndarray, daily: bool, sample_hours: float
) -> tuple[float, float]:
    if key in SHARE_KEYS:
        return 0.0, 1.0
    if key == "icu_hours_95" and daily:
        return 0.0, 24.0
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if len(finite) else 1.0
    return 0.0, max(top, sample_hours if key == "icu_hours_95" else 1.0)


def network_map(
    source: Source, borders: Borders, key: str, lang: Language
) -> tuple[Any, dict[str, Any]]:
    """The map figure and what the page says about it (facility counts, metros, routes)."""
    import plotly.graph_objects as go

    f = source.facilities
    hospitals = f[f["kind"] == "hospital"].reset_index(drop=True)
    clinics = f[f["kind"] != "hospital"]
    needs_icu = key in ICU_KEYS
    coloured = hospitals[(hospitals["icu_staffed"] > 0) | (not needs_icu)].reset_index(drop=True)
    plain = hospitals[~hospitals["facility_id"].isin(coloured["facility_id"])]
    beds = (coloured["ward_beds"] + coloured["icu_beds"] + coloured["intermediate_beds"]).to_numpy(
        dtype=float
    )
    size = 5.0 + 22.0 * np.sqrt(beds / max(1.0, float(np.nanmax(beds, initial=1.0))))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=borders.lon,
            y=borders.lat,
            mode="lines",
            line={"color": "#8c8c8c", "width": 0.8},
            hoverinfo="skip",
            name=lang.t("regions"),
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=borders.labels["lon"],
            y=borders.labels["lat"],
            mode="text",
            text=[region_name(r) for r in borders.labels["region"]],
            textfont={"size": 10, "color": "#5a5a5a"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    routes = _route_traces(source, lang)
    for trace in routes:
        fig.add_trace(trace)
    fig.add_trace(
        go.Scatter(
            x=clinics["lon"],
            y=clinics["lat"],
            mode="markers",
            marker={"symbol": "triangle-up", "size": 4, "color": "#6a3d9a", "opacity": 0.55},
            name=f"{lang.t('clinics')} ({lang.number(len(clinics))})",
            text=clinics["name"],
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=plain["lon"],
            y=plain["lat"],
            mode="markers",
            marker={"size": 5, "color": "#bdbdbd", "line": {"width": 0.4, "color": "#555"}},
            name=f"{lang.t('hospitals')} {lang.t('no_icu')} ({lang.number(len(plain))})",
            text=plain["name"],
            hovertemplate="%{text}<extra></extra>",
            showlegend=bool(len(plain)),
        )
    )
    days = 0
    frames_values: list[np.ndarray] = []
    key_label = lang.t(f"key_{key}")
    if source.daily is not None:
        daily = source.daily.pivot_table(index="day", columns="facility_id", values=key)
        daily = daily.reindex(columns=coloured["facility_id"])
        days = int(max(1, math.ceil(source.days))) if source.days else len(daily)
        daily = daily.reindex(range(days))
        if key not in SHARE_KEYS:
            daily = daily.fillna(0.0)
        frames_values = [daily.loc[d].to_numpy(dtype=float) for d in range(days)]
        first = frames_values[0] if frames_values else np.zeros(len(coloured))
        title = f"{key_label}, {lang.t('per_day')}"
    else:
        first = coloured[KEYS[key]].to_numpy(dtype=float)
        title = f"{key_label}, {lang.t('whole_run')}"
    sample_hours = float(source.manifest.get("scenario", {}).get("sample_hours", 1.0))
    stacked = np.concatenate(frames_values) if frames_values else first
    cmin, cmax = _colour_range(key, stacked, bool(frames_values), sample_hours)
    region_names = [region_name(r) for r in coloured["region"]]
    fmt = ".0%" if key in SHARE_KEYS else ",.1f"
    fig.add_trace(
        go.Scatter(
            x=coloured["lon"],
            y=coloured["lat"],
            mode="markers",
            marker={
                "size": size,
                "color": _clean(first),
                "colorscale": "RdYlGn_r",
                "cmin": cmin,
                "cmax": cmax,
                "line": {"width": 0.5, "color": "#333"},
                "colorbar": {
                    "title": {"text": title, "side": "right"},
                    "thickness": 12,
                    "len": 0.5,
                    "y": 1.0,
                    "yanchor": "top",
                    "tickformat": ".0%" if key in SHARE_KEYS else None,
                },
                "opacity": 0.9,
            },
            name=f"{lang.t('hospitals')} ({lang.number(len(coloured))})",
            customdata=np.column_stack([coloured["name"], region_names]),
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                + key_label
                + ": %{marker.color:"
                + fmt
                + "}<extra></extra>"
            ),
        )
    )
    facility_trace = len(fig.data) - 1
    lon, lat = f["lon"].to_numpy(dtype=float), f["lat"].to_numpy(dtype=float)
    x_range, y_range = _extent(lon, lat)
    keep = mainland(lon, lat)
    bulk_x, bulk_y = _extent(lon[keep], lat[keep])
    metros = _metros(source)
    fig.update_layout(
        height=680,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        separators=lang.plotly_separators,
        plot_bgcolor="#f4f6f8",
        paper_bgcolor="white",
        legend={
            "orientation": "v",
            "yanchor": "bottom",
            "y": 0.0,
            "xanchor": "left",
            "x": 1.01,
            "font": {"size": 11},
            "bgcolor": "rgba(255,255,255,0.85)",
        },
        xaxis={"range": bulk_x, "showgrid": False, "zeroline": False, "visible": False},
        yaxis={
            "range": bulk_y,
            "scaleanchor": "x",
            "scaleratio": _aspect(lat),
            "showgrid": False,
            "zeroline": False,
            "visible": False,
        },
        updatemenus=[_zoom_menu(metros, x_range, y_range, lang)],
        dragmode="pan",
    )
    if frames_values:
        _add_slider(fig, source, frames_values, facility_trace, lang)
    info = {
        "hospitals": len(hospitals),
        "coloured": len(coloured),
        "clinics": len(clinics),
        "routes": sum(len([x for x in t.x if x is None]) for t in routes),
        "metros": [m["name"] for m in metros],
        "days": len(frames_values),
        "facility_trace": facility_trace,
    }
    return fig, info


def _clean(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 3) for v in values]


def _extent(lon: np.ndarray, lat: np.ndarray) -> tuple[list[float], list[float]]:
    """The box of every facility, with a margin: no real territory is cropped."""
    lon, lat = lon[np.isfinite(lon)], lat[np.isfinite(lat)]
    lo_x, hi_x, lo_y, hi_y = float(lon.min()), float(lon.max()), float(lat.min()), float(lat.max())
    pad_x, pad_y = max(0.3, 0.04 * (hi_x - lo_x)), max(0.3, 0.04 * (hi_y - lo_y))
    return [lo_x - pad_x, hi_x + pad_x], [lo_y - pad_y, hi_y + pad_y]


def _route_traces(source: Source, lang: Language) -> list[Any]:
    """The busiest transfer routes, in three widths by their count."""
    import plotly.graph_objects as go

    if source.flows is None or not len(source.flows):
        return []
    xy = source.facilities.set_index("facility_id")[["lon", "lat"]]
    flows = source.flows
    counts = flows["count"].to_numpy(dtype=float)
    edges = np.unique(np.quantile(counts, [0.0, 0.6, 0.9, 1.0]))
    traces = []
    for k in range(len(edges) - 1):
        low, high = edges[k], edges[k + 1]
        last = k == len(edges) - 2
        pick = flows[(counts >= low) & ((counts <= high) if last else (counts < high))]
        if not len(pick):
            continue
        o = xy.loc[pick["origin_id"]].to_numpy()
        d = xy.loc[pick["dest_id"]].to_numpy()
        lon: list[float | None] = []
        lat: list[float | None] = []
        for (x0, y0), (x1, y1) in zip(o, d, strict=True):
            lon += [round(float(x0), 4), round(float(x1), 4), None]
            lat += [round(float(y0), 4), round(float(y1), 4), None]
        span = lang.number(low) if low == high else f"{lang.number(low)}–{lang.number(high)}"
        label = f"{lang.t('routes')}: {span}"
        traces.append(
            go.Scatter(
                x=lon,
                y=lat,
                mode="lines",
                line={"color": "#37474f", "width": 0.7 + 1.2 * k},
                opacity=0.35,
                name=label,
                hoverinfo="skip",
                legendgroup="routes",
            )
        )
    return traces


def _metros(source: Source) -> list[dict[str, Any]]:
    """The biggest metropolitan areas: the most populous places (or, without places, the
    grid cells with the most beds), at least a zoom's width apart."""
    if source.places is not None and len(source.places):
        candidates = source.places.sort_values("population", ascending=False)
        named = list(
            zip(
                candidates["name"].astype(str),
                candidates["lon"].to_numpy(dtype=float),
                candidates["lat"].to_numpy(dtype=float),
                strict=True,
            )
        )
    else:
        f = source.facilities.dropna(subset=["lon", "lat"])
        beds = f["ward_beds"] + f["icu_beds"]
        cells = (
            f.assign(beds=beds, cx=np.round(f["lon"] * 2) / 2, cy=np.round(f["lat"] * 2) / 2)
            .groupby(["cx", "cy"])
            .agg(beds=("beds", "sum"), region=("region", "first"))
        )
        cells = cells.sort_values("beds", ascending=False).reset_index()
        named = list(
            zip(
                [region_name(str(r)) for r in cells["region"]],
                cells["cx"].to_numpy(dtype=float),
                cells["cy"].to_numpy(dtype=float),
                strict=True,
            )
        )
    out: list[dict[str, Any]] = []
    for name, lon, lat in named:
        if any(
            abs(lat - m["lat"]) < 2 * METRO_HALF_DEG and abs(lon - m["lon"]) < 2 * METRO_HALF_DEG
            for m in out
        ):
            continue
        out.append({"name": name, "lon": lon, "lat": lat})
        if len(out) == METROS:
            break
    return out


def _zoom_menu(
    metros: list[dict[str, Any]], x_range: list[float], y_range: list[float], lang: Language
) -> dict[str, Any]:
    buttons = [
        {
            "label": lang.t("all_network"),
            "method": "relayout",
            "args": [{"xaxis.range": x_range, "yaxis.range": y_range}],
        }
    ]
    for metro in metros:
        half_x = METRO_HALF_DEG / max(0.2, math.cos(math.radians(metro["lat"])))
        buttons.append(
            {
                "label": metro["name"],
                "method": "relayout",
                "args": [
                    {
                        "xaxis.range": [metro["lon"] - half_x, metro["lon"] + half_x],
                        "yaxis.range": [
                            metro["lat"] - METRO_HALF_DEG,
                            metro["lat"] + METRO_HALF_DEG,
                        ],
                    }
                ],
            }
        )
    return {
        "type": "buttons",
        "direction": "right",
        "buttons": buttons,
        "x": 0.0,
        "xanchor": "left",
        "y": 1.06,
        "yanchor": "bottom",
        "pad": {"r": 4, "t": 0},
        "showactive": True,
        "font": {"size": 11},
    }


def _add_slider(
    fig: Any, source: Source, values: list[np.ndarray], trace: int, lang: Language
) -> None:
    """One frame a day: the facilities' colours that day, on a slider under the map."""
    import plotly.graph_objects as go

    labels = [lang.date(source.start + pd.Timedelta(days=d)) for d in range(len(values))]
    fig.frames = [
        go.Frame(name=str(d), data=[go.Scatter(marker={"color": _clean(v)})], traces=[trace])
        for d, v in enumerate(values)
    ]
    fig.update_layout(
        sliders=[
            {
                "active": 0,
                "currentvalue": {"prefix": f"{lang.t('day')}: ", "font": {"size": 13}},
                "pad": {"t": 30, "b": 10, "l": 30, "r": 30},
                "len": 1.0,
                "x": 0.0,
                "steps": [
                    {
                        "label": label,
                        "method": "animate",
                        "args": [
                            [str(d)],
                            {
                                "mode": "immediate",
                                "frame": {"duration": 0, "redraw": False},
                                "transition": {"duration": 0},
                            },
                        ],
                    }
                    for d, label in enumerate(labels)
                ],
            }
        ],
        height=760,
    )


def fan_chart(source: Source, lang: Language) -> tuple[Any, list[str]]:
    """Ward, ICU and intermediate beds occupied per region against staffed beds; a menu picks
    the region (the regions with the most staffed beds first)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    r = source.regions
    ward = r[r["unit"] == "ward"].groupby("region")["staffed"].mean()
    order = ward.sort_values(ascending=False).index[:MAX_FAN_REGIONS].tolist()
    units = [u for u in UNITS if r.loc[r["unit"] == u, "staffed"].fillna(0).gt(0).any()]
    fig = make_subplots(
        rows=1,
        cols=len(units),
        subplot_titles=[lang.t(u) for u in units],
        horizontal_spacing=0.07,
    )
    ensemble = source.kind == "ensemble"
    per_region = 0
    for k, name in enumerate(order):
        one = r[r["region"] == name]
        count = 0
        for col, unit in enumerate(units, start=1):
            data = one[one["unit"] == unit].sort_values("day")
            x = [
                (source.start.normalize() + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")
                for d in data["day"]
            ]
            colour = COLOURS[unit]
            bands = [("q05", "q95", 0.18)] + ([("q25", "q75", 0.32)] if ensemble else [])
            for low, high, alpha in bands:
                fig.add_trace(
                    go.Scatter(
                        x=x + x[::-1],
                        y=_clean(
                            np.r_[data[high].to_numpy(float), data[low].to_numpy(float)[::-1]]
                        ),
                        fill="toself",
                        fillcolor=_rgba(colour, alpha),
                        line={"width": 0},
                        hoverinfo="skip",
                        showlegend=False,
                        visible=k == 0,
                    ),
                    row=1,
                    col=col,
                )
                count += 1
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=_clean(data["q50"].to_numpy(float)),
                    mode="lines",
                    line={"color": colour, "width": 2},
                    name=f"{lang.t(unit)} {lang.t('occupied')}",
                    hovertemplate="%{y:,.1f}<extra></extra>",
                    showlegend=False,
                    visible=k == 0,
                ),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=_clean(data["staffed"].to_numpy(float)),
                    mode="lines",
                    line={"color": colour, "width": 1.2, "dash": "dash"},
                    name=f"{lang.t(unit)} {lang.t('staffed')}",
                    hovertemplate="%{y:,.0f}<extra></extra>",
                    showlegend=False,
                    visible=k == 0,
                ),
                row=1,
                col=col,
            )
            count += 2
        per_region = count
    days = int(r["day"].max()) + 1 if len(r) else 1
    tickvals, ticktext = _date_ticks(source, days, lang)
    fig.update_xaxes(tickvals=tickvals, ticktext=ticktext, tickangle=0, tickfont={"size": 10})
    fig.update_yaxes(rangemode="tozero", title_text=lang.t("beds"), col=1)
    fig.update_yaxes(rangemode="tozero")
    total = per_region * len(order)
    buttons = []
    for k, name in enumerate(order):
        visible = [False] * total
        visible[k * per_region : (k + 1) * per_region] = [True] * per_region
        buttons.append(
            {"label": region_name(name), "method": "restyle", "args": [{"visible": visible}]}
        )
    fig.update_layout(
        height=380,
        margin={"l": 50, "r": 10, "t": 70, "b": 40},
        separators=lang.plotly_separators,
        plot_bgcolor="white",
        updatemenus=[
            {
                "buttons": buttons,
                "direction": "down",
                "x": 0.0,
                "xanchor": "left",
                "y": 1.28,
                "yanchor": "top",
                "showactive": True,
                "active": 0,
            }
        ],
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eee")
    fig.update_yaxes(showgrid=True, gridcolor="#eee")
    return fig, order


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
