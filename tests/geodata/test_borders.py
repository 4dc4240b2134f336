"""Region borders and the mainland frame of the maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.borders import mainland, region_borders


def test_a_far_island_leaves_the_first_frame_and_a_far_region_part_stays() -> None:
    rng = np.random.default_rng(1)
    lon = np.r_[rng.uniform(-72, -70, 400), rng.uniform(-71, -70, 20), -109.4]
    lat = np.r_[rng.uniform(-40, -30, 400), rng.uniform(-54, -52, 20), -27.1]
    keep = mainland(lon, lat)
    assert not keep[-1]  # Easter Island: 1 of 421
    assert keep[:-1].all()  # the far south (20 of 421, 12 degrees away) is real territory


def test_hulls_give_each_part_of_a_region_its_own_outline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGIONAL_SHARED_DATA", str(tmp_path / "none"))
    points = pd.DataFrame(
        {
            "region": ["CL-01"] * 4 + ["CL-12"] * 3,
            "lon": [-71.6, -71.5, -71.4, -78.8, -70.7, -70.6, -70.5],
            "lat": [-33.0, -33.1, -32.9, -33.6, -33.4, -33.5, -33.3],
        }
    )
    borders = region_borders(points)
    assert borders.kind == "hull"
    rings = sum(1 for x in borders.lon if x is None)
    assert rings == 3  # Valparaíso's coast, its island 600 km off, Santiago
    assert set(borders.labels["region"]) == {"CL-01", "CL-12"}


def test_real_divisions_are_read_where_the_shared_data_has_them(shared_data: Path) -> None:
    points = pd.DataFrame(
        {"region": ["CL-12", "CL-01"], "lon": [-70.65, -71.62], "lat": [-33.45, -33.05]}
    )
    borders = region_borders(points)
    assert borders.kind == "shared"
    assert len(borders.lon) > 100
