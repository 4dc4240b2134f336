"""The app's inline SVG: one circle a facility, far islands in an inset, charts with a point a
window on an axis that spans the run."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from regional.app.pictures import chart_svg, colour, map_svg


def _facilities(lons: list[float], lats: list[float]) -> pd.DataFrame:
    n = len(lons)
    return pd.DataFrame(
        {
            "facility_id": range(n),
            "name": [f"F{i} & co" for i in range(n)],
            "kind": ["hospital" if i % 3 == 0 else "clinic" for i in range(n)],
            "region": "CL-01",
            "lon": lons,
            "lat": lats,
            "ward_beds": 50,
            "icu_beds": 5,
            "icu_staffed": 5,
        }
    )


def _occupancy(n: int, share: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "facility_id": range(n),
            "ward_occupancy": share,
            "icu_occupancy": share,
            "waiting": 0,
        }
    )


def test_every_facility_is_a_circle_and_islands_go_to_an_inset() -> None:
    rng = np.random.default_rng(1)
    lons = [*rng.uniform(-72, -70, 40), -109.4]  # the mainland and Rapa Nui
    lats = [*rng.uniform(-40, -20, 40), -27.1]
    svg = map_svg(_facilities(lons, lats), _occupancy(41, 0.97))
    assert len(re.findall(r'<circle class="facility', svg)) == 41
    assert 'data-facilities="41"' in svg
    inset = svg[svg.index('<g class="inset"') :]
    assert inset.count('<circle class="facility') == 1
    assert "F0 &amp; co" in svg  # names escaped
    assert "97% of staffed beds in use" in svg


def test_colours_follow_the_bands() -> None:
    assert colour(0.5) != colour(0.9) != colour(0.95)
    assert colour(0.95) == colour(1.3)
    assert colour(float("nan")) == colour(float("inf"))


def test_a_chart_has_a_point_a_window_and_a_fixed_axis() -> None:
    history = pd.DataFrame(
        {"hours": [2.0, 4.0, 6.0], "used": [5.0, 6.0, 7.0], "staffed": [10.0, 10.0, 10.0]}
    )
    series = {"used/staffed": ("in use", "#000")}
    svg = chart_svg(history, 48.0, series, "Beds")
    assert 'data-points="3"' in svg
    points = re.search(r' points="([^"]+)"', svg)
    assert points is not None and len(points.group(1).split()) == 3
    assert "day 2" in svg and "100%" in svg  # the axis spans the two days from the start
    empty = chart_svg(None, 48.0, series, "Beds")
    assert 'data-points="0"' in empty and "<polyline" not in empty
