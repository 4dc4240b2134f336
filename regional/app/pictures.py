"""The page's pictures as inline SVG: a map of the facilities and charts of the network over
time. Drawn here rather than by a plotting library so that nothing is fetched (no tiles, no
script) and every facility is an element a test can count.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geodata.regions import region_name
from regional.app.labels import AppLanguage

if TYPE_CHECKING:
    from geodata.borders import Borders

ENGLISH = AppLanguage("en")

MAP_HEIGHT = 560
INSET = 110  # side of the box that holds the facilities far off the main territory
# ICU (or, without one, ward) beds in use of the staffed ones: the colours of the map
BANDS = (
    (0.85, "#2b8a3e", "band_low"),
    (0.95, "#e8a317", "band_mid"),
    (9e9, "#c92a2a", "band_high"),
)
CLINIC = "#868e96"


def colour(occupancy: float) -> str:
    """The map colour of a hospital at ``occupancy`` (grey when it has no beds to fill)."""
    if not math.isfinite(occupancy):
        return CLINIC
    return next(c for limit, c, _ in BANDS if occupancy < limit)


def _far(x: np.ndarray, y: np.ndarray, margin: float = 10.0) -> np.ndarray:
    """Points more than ``margin`` degrees outside the box of the central 96%: islands such as
    Rapa Nui, drawn in an inset rather than squeezing the mainland."""
    if len(x) < 20:
        return np.zeros(len(x), dtype=bool)
    x0, x1 = np.percentile(x, [2, 98])
    y0, y1 = np.percentile(y, [2, 98])
    return (x < x0 - margin) | (x > x1 + margin) | (y < y0 - margin) | (y > y1 + margin)


class _Frame:
    """Degrees to pixels: equirectangular at the territory's middle latitude, north up."""

    def __init__(self, x: np.ndarray, y: np.ndarray, width: float, height: float, pad: float):
        self.x0, self.x1 = float(x.min()), float(x.max())
        self.y0, self.y1 = float(y.min()), float(y.max())
        span_x = max(self.x1 - self.x0, 1e-3)
        span_y = max(self.y1 - self.y0, 1e-3)
        self.scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
        self.pad = pad
        self.width = span_x * self.scale + 2 * pad
        self.height = span_y * self.scale + 2 * pad

    def px(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x - self.x0) * self.scale + self.pad, (self.y1 - y) * self.scale + self.pad


def map_svg(
    facilities: pd.DataFrame,
    occupancy: pd.DataFrame,
    places: pd.DataFrame | None = None,
    lang: AppLanguage = ENGLISH,
    borders: Borders | None = None,
) -> str:
    """The facilities on a map: hospitals sized by beds and coloured by the share of staffed
    ICU beds in use (ward beds where a hospital has no ICU), clinics as small grey dots, over
    the regions' borders (``geodata.borders``)."""
    f = facilities.merge(occupancy, on="facility_id", how="left")
    lat0 = math.radians(float(np.median(f["lat"])))
    x = f["lon"].to_numpy(dtype=float) * math.cos(lat0)
    y = f["lat"].to_numpy(dtype=float)
    far = _far(x, y)
    main = _Frame(x[~far], y[~far], 10_000, MAP_HEIGHT, 10)
    width = max(main.width, 240.0)
    parts = [
        f'<svg id="facility-map" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{main.height:.0f}" viewBox="0 0 {width:.0f} {main.height:.0f}" '
        f'data-facilities="{len(f)}" style="background:#f1f3f5">'
    ]
    if borders is not None:
        parts += _borders(borders, main, lat0)
    if places is not None and len(places):
        px, py = main.px(
            places["lon"].to_numpy(dtype=float) * math.cos(lat0),
            places["lat"].to_numpy(dtype=float),
        )
        keep = (px >= 0) & (px <= width) & (py >= 0) & (py <= main.height)
        parts.append('<g class="places" fill="#ced4da">')
        parts += [
            f'<circle cx="{a:.1f}" cy="{b:.1f}" r="1.6"/>'
            for a, b in zip(px[keep], py[keep], strict=True)
        ]
        parts.append("</g>")
    parts += _circles(f, x[~far], y[~far], main, ~far, lang)
    if far.any():
        inset = _Frame(x[far], y[far], INSET, INSET, 12)
        parts.append(
            f'<g class="inset" transform="translate(4 {main.height - inset.height - 4:.0f})">'
            f'<rect width="{inset.width:.0f}" height="{inset.height:.0f}" fill="#fff" '
            'stroke="#495057" stroke-width="0.8"/>'
            f'<text x="4" y="10" font-size="9" fill="#495057">{lang.app("islands")}</text>'
        )
        parts += _circles(f, x[far], y[far], inset, far, lang)
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _borders(borders: Borders, frame: _Frame, lat0: float) -> list[str]:
    """The regions' outlines as one SVG path, and their names, in the main frame."""
    lon = np.array([np.nan if v is None else v for v in borders.lon], dtype=float)
    lat = np.array([np.nan if v is None else v for v in borders.lat], dtype=float)
    px, py = frame.px(lon * math.cos(lat0), lat)
    path, pen_up = [], True
    for a, b in zip(px.tolist(), py.tolist(), strict=True):
        if math.isnan(a):
            pen_up = True
            continue
        path.append(f"{'M' if pen_up else 'L'}{a:.1f} {b:.1f}")
        pen_up = False
    out = [
        f'<path class="borders" d="{" ".join(path)}" fill="none" stroke="#adb5bd" '
        'stroke-width="0.7"/>'
    ]
    labels = borders.labels
    lx, ly = frame.px(
        labels["lon"].to_numpy(dtype=float) * math.cos(lat0), labels["lat"].to_numpy(dtype=float)
    )
    for region, a, b in zip(labels["region"].tolist(), lx.tolist(), ly.tolist(), strict=True):
        out.append(
            f'<text class="region" x="{a:.1f}" y="{b:.1f}" font-size="9" fill="#868e96" '
            f'text-anchor="middle">{escape(region_name(str(region)))}</text>'
        )
    return out


def _circles(
    f: pd.DataFrame,
    x: np.ndarray,
    y: np.ndarray,
    frame: _Frame,
    mask: np.ndarray,
    lang: AppLanguage = ENGLISH,
) -> list[str]:
    """The facilities of ``mask`` as SVG circles with a tooltip, clinics under hospitals."""
    sub = f[mask]
    sx, sy = frame.px(x, y)
    hospital = (sub["kind"] == "hospital").to_numpy()
    icu = (sub["icu_staffed"] > 0).to_numpy()
    share = np.where(icu, sub["icu_occupancy"], sub["ward_occupancy"]).astype(float)
    beds = (sub["ward_beds"] + sub["icu_beds"]).to_numpy(dtype=float)
    radius = np.where(hospital, 2.0 + np.sqrt(beds) / 4.0, 1.3)
    rows = zip(
        sub["facility_id"].tolist(),
        sub["kind"].tolist(),
        sub["name"].tolist(),
        sub["region"].tolist(),
        sub["waiting"].fillna(0).astype(int).tolist(),
        hospital.tolist(),
        icu.tolist(),
        share.tolist(),
        radius.tolist(),
        sx.tolist(),
        sy.tolist(),
        strict=True,
    )
    out = []
    for fid, kind, name, region, waiting, is_hospital, has_icu, used, r, cx, cy in rows:
        tip = f"{name} ({region_name(str(region))})"
        if is_hospital and math.isfinite(used):
            used_text = lang.percent(used, 0)
            tip += ": " + lang.app("tip_icu" if has_icu else "tip_ward", share=used_text)
        if is_hospital and waiting > 0:
            tip += lang.app("tip_waiting", n=lang.number(waiting))
        out.append(
            f'<circle class="facility {kind}" data-id="{fid}" cx="{cx:.1f}" cy="{cy:.1f}" '
            f'r="{r:.1f}" fill="{colour(used) if is_hospital else CLINIC}" stroke="#fff" '
            f'stroke-width="{0.6 if is_hospital else 0}"><title>{escape(tip)}</title></circle>'
        )
    order = np.argsort(hospital, kind="stable")  # clinics first, so drawn below
    return [out[i] for i in order]


def legend_html(facilities: int, lang: AppLanguage = ENGLISH) -> str:
    """The map's legend, under it rather than over it."""
    items = [
        f'<span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        f'background:{c};margin:0 4px 0 10px"></span>{escape(lang.app(label))}'
        for _, c, label in BANDS
    ]
    items.append(
        f'<span style="display:inline-block;width:6px;height:6px;border-radius:3px;'
        f'background:{CLINIC};margin:0 4px 0 10px"></span>{escape(lang.app("clinic"))}'
    )
    return (
        f'<div style="font-size:12px;max-width:260px">'
        f"{escape(lang.app('legend', n=lang.number(facilities)))}<br>"
        + "<br>".join(items)
        + "</div>"
    )


def chart_svg(
    history: pd.DataFrame | None,
    total_hours: float,
    series: dict[str, tuple[str, str]],
    title: str,
    percent: bool = True,
    chart_id: str = "chart",
    lang: AppLanguage = ENGLISH,
) -> str:
    """Lines of ``history``'s columns against simulated hours, on an axis that spans the whole
    run from the start (so it fills in rather than rescales). ``series`` maps a column (or
    ``used/staffed`` for a share) to a label and a colour."""
    width, height, left, right, top, bottom = 560, 200, 48, 26, 24, 30
    # the series' keys after the title, or on a row of their own when they do not fit there
    keys: list[tuple[float, float]] = []
    x_key, y_key = left + 6.5 * len(title) + 16, 12.0
    for label, _ in series.values():
        if x_key + 14 + 6.5 * len(label) > width - right and x_key > left:
            x_key, y_key = float(left), y_key + 14
        keys.append((x_key, y_key))
        x_key += 14 + 6.5 * len(label) + 12
    top += int(y_key - 12)
    height += int(y_key - 12)
    plot_w, plot_h = width - left - right, height - top - bottom
    values: dict[str, np.ndarray] = {}
    hours = np.array([], dtype=float)
    if history is not None and len(history):
        hours = history["hours"].to_numpy(dtype=float)
        for key in series:
            if "/" in key:
                num, den = key.split("/")
                with np.errstate(divide="ignore", invalid="ignore"):
                    values[key] = 100.0 * history[num].to_numpy() / history[den].to_numpy()
            else:
                values[key] = history[key].to_numpy(dtype=float)
    top_value = max([float(np.nanmax(v)) for v in values.values() if len(v)] + [0.0])
    y_max = max(100.0, top_value * 1.1) if percent else max(10.0, top_value * 1.15)
    step = _nice_step(y_max / 4)
    y_max = math.ceil(y_max / step) * step
    total_hours = max(total_hours, 1.0)

    def to_px(h: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return left + h / total_hours * plot_w, top + plot_h * (1 - v / y_max)

    parts = [
        f'<svg id="{chart_id}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" data-points="{len(hours)}" '
        'font-size="11" '
        'font-family="sans-serif">',
        f'<text x="{left}" y="14" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in np.arange(0, y_max + step / 2, step):
        _, ty = to_px(np.array([0.0]), np.array([tick]))
        label = lang.percent(tick / 100.0, 0) if percent else lang.number(tick)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty[0]:.1f}" y2="{ty[0]:.1f}" '
            'stroke="#e9ecef"/>'
            f'<text x="{left - 4}" y="{ty[0] + 4:.1f}" text-anchor="end">{label}</text>'
        )
    days = total_hours / 24.0
    every = max(1, math.ceil(days / 8))
    for day in range(0, math.floor(days + 1e-9) + 1, every):
        tx, _ = to_px(np.array([day * 24.0]), np.array([0.0]))
        parts.append(
            f'<text x="{tx[0]:.1f}" y="{height - 10}" text-anchor="middle">'
            f"{lang.app('day', day=day)}</text>"
        )
    if total_hours < 48:  # a short run: hours between the days
        for hour in range(6, int(total_hours), 6):
            if hour % 24:
                tx, _ = to_px(np.array([float(hour)]), np.array([0.0]))
                parts.append(
                    f'<text x="{tx[0]:.1f}" y="{height - 10}" text-anchor="middle" '
                    f'fill="#868e96">{hour % 24}h</text>'
                )
    for (key, (label, col)), (x_legend, y_legend) in zip(series.items(), keys, strict=True):
        v = values.get(key)
        if v is not None and len(v):
            px, py = to_px(hours, np.nan_to_num(v))
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
            parts.append(
                f'<polyline class="series" data-series="{escape(key)}" points="{points}" '
                f'fill="none" stroke="{col}" stroke-width="2"/>'
            )
        parts.append(
            f'<rect x="{x_legend:.0f}" y="{y_legend - 6:.0f}" width="10" height="3" fill="{col}"/>'
            f'<text x="{x_legend + 14:.0f}" y="{y_legend:.0f}">{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#495057"/>'
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#495057"/></svg>'
    )
    return "".join(parts)


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``raw``."""
    power = 10 ** math.floor(math.log10(max(raw, 1e-9)))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
