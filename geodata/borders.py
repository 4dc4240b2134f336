"""Region borders for the report's map, from public data the machine already has.

Where the real first-level divisions of a country are at hand (the state and region GeoJSON
of Brazil, Chile and Mexico in the shared data folder, ``REGIONAL_SHARED_DATA`` or
``../shared/data`` beside the repository: IBGE, BCN and INEGI outlines), each polygon is given
to the region most of the run's places and facilities inside it belong to, and simplified;
they are read, never copied into the project. Elsewhere a region's outline is the concave
hull of its GeoNames places and facilities, widened a little (approximate: a region's empty
mountains or forest can fall outside it). With a scenario boundary (``boundary.parquet``)
the hulls are cut to it and the boundary is drawn too. The page says which it drew.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HULL_RATIO = 0.35  # shapely.concave_hull's ratio: 0 follows the points, 1 is the convex hull
MARGIN_DEG = 0.08  # widening of a hull, degrees (about 9 km)
GAP_DEG = 1.5  # points this far from the rest of their region get their own outline, degrees
SIMPLIFY_DEG = 0.02  # tolerance of the simplified outlines, degrees (about 2 km)
ISLET_DEG2 = 0.01  # islands smaller than this are left out of the real outlines (about 100 km2)
ISLAND_GAP_DEG = 3.0  # a small group of facilities this far from the rest is an island
ISLAND_SHARE = 0.005  # ... when it holds less than this share of the facilities
SHARED_FILES = {
    "BR": "brazil/br_states.geojson",
    "CL": "chile/cl_regiones.geojson",
    "MX": "mexico/mx_estados.geojson",
}


@dataclass
class Borders:
    """Outlines as one polyline (``None`` between rings), and a label point per region."""

    lon: list[float | None]
    lat: list[float | None]
    labels: pd.DataFrame  # region, lon, lat
    kind: str  # "shared" (real divisions), "boundary" (hulls cut to it) or "hull"


def region_borders(
    points: pd.DataFrame, boundary: Any = None, max_vertices: int = 20_000
) -> Borders:
    """Outlines of each region of ``points`` (columns region, lon, lat).

    ``max_vertices`` bounds the whole drawing: the tolerance doubles until it fits.
    """
    import shapely

    points = points.dropna(subset=["lon", "lat"])
    area = None
    if boundary is not None:
        area = shapely.make_valid(shapely.simplify(boundary, SIMPLIFY_DEG, preserve_topology=True))
    real = _shared_divisions(points)
    shapes = []
    labels = []
    for key, group in points.groupby("region", sort=True):
        region = str(key)
        if region in real:
            shape = real[region]
        else:
            xy = np.unique(group[["lon", "lat"]].to_numpy(dtype=float), axis=0)
            shape = shapely.union_all([_hull(part) for part in _clusters(xy)])
            if area is not None:
                clipped = shapely.intersection(shape, area)
                shape = clipped if not clipped.is_empty else shape
        shapes.append(shape)
        spot = shapely.point_on_surface(shape)
        labels.append((str(region), spot.x, spot.y))
    outlines = list(shapes) + ([area] if area is not None and not real else [])
    tolerance = SIMPLIFY_DEG
    while True:
        simple = [shapely.simplify(s, tolerance, preserve_topology=True) for s in outlines]
        lon, lat = _polyline(simple)
        if len(lon) <= max_vertices or tolerance > 1.0:
            break
        tolerance *= 2
    kind = "shared" if real else "boundary" if area is not None else "hull"
    return Borders(lon, lat, pd.DataFrame(labels, columns=["region", "lon", "lat"]), kind)


def shared_data() -> Path | None:
    """The shared folder of real public data, if this machine has it."""
    given = os.environ.get("REGIONAL_SHARED_DATA")
    folder = (
        Path(given) if given else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    return folder if folder.is_dir() else None


def _shared_divisions(points: pd.DataFrame) -> dict[str, Any]:
    """Real outlines of the points' regions, where the shared data has their country: each
    polygon goes to the region of most points inside it."""
    folder = shared_data()
    if folder is None:
        return {}
    import geopandas as gpd
    import shapely

    countries = sorted({str(r).split("-")[0] for r in points["region"]})
    out: dict[str, list[Any]] = {}
    for country in countries:
        file = folder / SHARED_FILES.get(country, "-")
        if not file.is_file():
            continue
        try:
            polygons = _light(gpd.read_file(file).to_crs(4326).geometry.to_numpy())
        except Exception:  # a damaged shared file: fall back to hulls for this country
            continue
        mine = points[points["region"].astype(str).str.startswith(f"{country}-")]
        spots = gpd.GeoDataFrame(
            mine[["region"]].reset_index(drop=True),
            geometry=gpd.points_from_xy(mine["lon"], mine["lat"]),
            crs=4326,
        )
        frame = gpd.GeoDataFrame(geometry=polygons, crs=4326)
        hits = gpd.sjoin(spots, frame, predicate="within")
        if not len(hits):
            continue
        owner = hits.groupby("index_right")["region"].agg(lambda r: r.value_counts().index[0])
        for index, region in owner.items():
            out.setdefault(str(region), []).append(frame.geometry.iloc[int(index)])
    return {r: shapely.GeometryCollection(parts) for r, parts in out.items()}


def _light(polygons: Any) -> Any:
    """Polygons simplified to ``SIMPLIFY_DEG`` without their islets (under ``ISLET_DEG2``):
    the coast of southern Chile alone has thousands of them."""
    import shapely

    out = []
    for polygon in polygons:
        parts = [p for p in shapely.get_parts(polygon) if p.area >= ISLET_DEG2]
        if not parts:
            parts = [max(shapely.get_parts(polygon), key=lambda p: p.area)]
        simple = shapely.simplify(shapely.MultiPolygon(parts), SIMPLIFY_DEG)
        out.append(shapely.make_valid(simple))
    return out


def _clusters(xy: np.ndarray) -> list[np.ndarray]:
    """The points in groups no closer than ``GAP_DEG`` to each other (single linkage), so
    that an island far offshore gets its own outline instead of a bridge to the mainland."""
    if len(xy) < 2:
        return [xy]
    from scipy.cluster.hierarchy import fcluster, linkage

    labels = fcluster(linkage(xy, method="single"), t=GAP_DEG, criterion="distance")
    return [xy[labels == k] for k in np.unique(labels)]


def _hull(xy: np.ndarray) -> Any:
    import shapely

    cloud = shapely.multipoints(xy)
    hull = shapely.concave_hull(cloud, ratio=HULL_RATIO) if len(xy) >= 3 else cloud
    return shapely.buffer(hull, MARGIN_DEG)


def _polyline(shapes: list[Any]) -> tuple[list[float | None], list[float | None]]:
    import shapely

    lon: list[float | None] = []
    lat: list[float | None] = []
    for shape in shapes:
        for part in shapely.get_parts(shapely.get_parts(shape)):
            if part.geom_type != "Polygon":
                continue
            for ring in [part.exterior, *part.interiors]:
                xy = np.round(np.asarray(ring.coords), 3)
                lon.extend(xy[:, 0].tolist())
                lat.extend(xy[:, 1].tolist())
                lon.append(None)
                lat.append(None)
    return lon, lat


def mainland(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Which points are not on small islands far offshore: groups holding under
    ``ISLAND_SHARE`` of the points and farther than ``ISLAND_GAP_DEG`` from the rest (single
    linkage on half-degree cells), such as Easter Island or Fernando de Noronha."""
    from scipy.cluster.hierarchy import fcluster, linkage

    keep = np.isfinite(lon) & np.isfinite(lat)
    where = np.flatnonzero(keep)
    cells, inverse = np.unique(
        np.column_stack([np.round(lon[where] * 2) / 2, np.round(lat[where] * 2) / 2]),
        axis=0,
        return_inverse=True,
    )
    if len(cells) < 2:
        return keep
    group = fcluster(linkage(cells, method="single"), t=ISLAND_GAP_DEG, criterion="distance")
    per_point = group[inverse.ravel()]
    sizes = np.bincount(per_point)
    keep[where] = sizes[per_point] >= ISLAND_SHARE * len(per_point)
    return keep
