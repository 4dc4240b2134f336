"""GIS layers derived from a run directory, written for QGIS, kepler.gl, ArcGIS and pandas.

Layers: ``facilities`` (points with capacities and results), ``places`` (demand and access
time), ``catchments`` (Voronoi polygons of first facilities, clipped to the run's boundary or
to the area of the places),
``flows`` (transfers and referrals per origin-destination pair as lines with counts),
``facility_timeseries`` (points with a real DateTime column for QGIS's temporal controller), and
``flows_kepler.csv`` (point pairs with counts and times for kepler.gl). ``layers`` picks some
of them; ``every`` sums the time series up over periods (``geodata.periods``): by default a
day in the text formats (GeoJSON, CSV, XLSX), every window in the others.

Formats follow the measured behaviour of GDAL 3.12 and its older readers: GeoPackage 1.3 with
all layers in one file; GeoJSON in EPSG:4326 (RFC 7946), one file a layer; FlatGeobuf one file a
layer without a spatial index, so features keep their stable order; GeoParquet 1.1 with a
covering bounding box; CSV and XLSX tables for spreadsheets (``geodata.tables``). GeoJSON keeps
six decimals of a degree (0.1 m). Files appear whole or not at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import geopandas as gpd

GIS_FORMATS = ("gpkg", "geojson", "fgb", "geoparquet")
FORMATS = (*GIS_FORMATS, "csv", "xlsx")
LAYERS = ("facilities", "places", "catchments", "flows", "facility_timeseries")
KEPLER = "flows_kepler"
ALL_LAYERS = (*LAYERS, KEPLER)
# the time series of the text formats, whose files grow fastest, is summed up by day
DAILY_FORMATS = frozenset({"geojson", "csv", "xlsx"})
GEOJSON_OPTIONS = {"COORDINATE_PRECISION": 6}
RUN_TABLES = ("facilities", "places", "timeseries", "transfers", "referrals")
WGS84 = "EPSG:4326"


class ExportError(ValueError):
    """A run directory or output that cannot be exported; the message is one actionable line."""


def _read_run(run_dir: Path) -> dict[str, pd.DataFrame]:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ExportError(f"{run_dir}: not a directory; give a run directory from `regional run`")
    tables = {}
    for name in RUN_TABLES:
        path = run_dir / f"{name}.parquet"
        if not path.is_file():
            raise ExportError(
                f"{run_dir}: {name}.parquet is missing; this is not a complete run "
                "directory (run `regional run` again)"
            )
        try:
            tables[name] = pq.read_table(path).to_pandas()
        except Exception as error:  # pyarrow raises several kinds for a damaged file
            raise _unreadable(path, error) from None
    return tables


def _unreadable(path: Path, error: BaseException) -> ExportError:
    """The error for a damaged file of a run directory."""
    from geodata.loaders import first_line

    return ExportError(f"{path}: unreadable ({first_line(error)}); run `regional run` again")


def _local_crs(lon: np.ndarray, lat: np.ndarray) -> str:
    """An azimuthal equidistant projection centred on the network: metres, little distortion."""
    return f"+proj=aeqd +lat_0={np.median(lat):.4f} +lon_0={np.median(lon):.4f} +units=m"


def build_layers(
    run_dir: Path, layers: tuple[str, ...] = ALL_LAYERS, freq: str | None = None
) -> dict[str, Any]:
    """The chosen layers of a run directory: GeoDataFrames in EPSG:4326 (the kepler layer a
    table), the time series in periods of ``freq`` (None: every window)."""
    import geopandas as gpd

    from geodata.periods import aggregate

    t = _read_run(Path(run_dir))
    f, places = t["facilities"], t["places"]
    facilities = gpd.GeoDataFrame(f, geometry=gpd.points_from_xy(f["lon"], f["lat"]), crs=WGS84)
    makers = {
        "facilities": lambda: facilities,
        "places": lambda: gpd.GeoDataFrame(
            places, geometry=gpd.points_from_xy(places["lon"], places["lat"]), crs=WGS84
        ),
        "catchments": lambda: _catchments(facilities, places, _boundary(Path(run_dir))),
        "flows": lambda: _flows(f, t["transfers"], t["referrals"]),
        "facility_timeseries": lambda: _timeseries(f, aggregate(t["timeseries"], freq)),
        KEPLER: lambda: _kepler(f, t["transfers"], t["referrals"]),
    }
    return {name: makers[name]() for name in layers}


def choose_layers(text: str | None) -> tuple[str, ...]:
    """The layers named in ``a,b`` (None: all of them), in the export's order.

    Raises:
        ExportError: a name that is not a layer.
    """
    if text is None:
        return ALL_LAYERS
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_LAYERS]
    if unknown or not names:
        raise ExportError(
            f"--layers {text}: unknown layer {', '.join(unknown) or '(none given)'}; "
            f"expected some of {', '.join(ALL_LAYERS)}, separated by commas"
        )
    return tuple(n for n in ALL_LAYERS if n in names)


def _boundary(run_dir: Path) -> Any:
    """The run's area (``boundary.parquet``, from the scenario's boundary file), if it has one."""
    path = run_dir / "boundary.parquet"
    if not path.is_file():
        return None
    import geopandas as gpd

    try:
        return gpd.read_parquet(path).geometry.union_all()
    except Exception as error:  # pyarrow and shapely raise several kinds for a damaged file
        raise _unreadable(path, error) from None


def subdivide(geometry: Any, max_vertices: int = 256) -> np.ndarray:
    """A polygon cut by halving its box until every piece has at most ``max_vertices``
    (as PostGIS's ST_Subdivide), so that overlays touch only the small pieces they meet."""
    import shapely

    pieces: list[Any] = []
    stack = [(geometry, 0)]
    while stack:
        part, depth = stack.pop()
        if part.is_empty:
            continue
        if shapely.get_num_coordinates(part) <= max_vertices or depth >= 24:
            pieces.extend(g for g in shapely.get_parts(part) if g.area > 0)
            continue
        x0, y0, x1, y1 = part.bounds
        if x1 - x0 >= y1 - y0:
            mid = (x0 + x1) / 2.0
            halves = [(x0, y0, mid, y1), (mid, y0, x1, y1)]
        else:
            mid = (y0 + y1) / 2.0
            halves = [(x0, y0, x1, mid), (x0, mid, x1, y1)]
        stack.extend((shapely.clip_by_rect(part, *box), depth + 1) for box in halves)
    return np.asarray(pieces, dtype=object)


def clip_to(polygons: np.ndarray, area: Any) -> np.ndarray:
    """Each polygon intersected with ``area``: a coastline of 70,000 vertices takes seconds
    per polygon whole, milliseconds cut into pieces and looked up in an R-tree."""
    import shapely

    pieces = subdivide(area)
    cell, piece = shapely.STRtree(pieces).query(polygons, predicate="intersects")
    parts = shapely.intersection(polygons[cell], pieces[piece])
    out = np.array([shapely.Polygon()] * len(polygons), dtype=object)
    if len(cell) == 0:
        return out
    order = np.argsort(cell, kind="stable")
    cell, parts = cell[order], parts[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    ends = np.r_[starts[1:], len(cell)]
    for a, b in zip(starts, ends, strict=True):
        out[cell[a]] = shapely.union_all(parts[a:b])
    return np.asarray(shapely.make_valid(out), dtype=object)


def _catchments(
    facilities: gpd.GeoDataFrame, places: pd.DataFrame, boundary: Any = None
) -> gpd.GeoDataFrame:
    """Voronoi cells of the facilities that serve places first, clipped to the run's boundary,
    or without one to the places' convex hull and 20 km around it."""
    import geopandas as gpd
    import shapely

    weighted = places.assign(_w=places["population"] * places["access_minutes"])
    served = weighted.groupby("facility_id", as_index=False).agg(
        population_served=("population", "sum"),
        places_served=("place_id", "size"),
        _w=("_w", "sum"),
        _mean=("access_minutes", "mean"),
    )
    # population-weighted access time (the plain mean where nobody lives)
    people = served["population_served"].to_numpy(dtype=float)
    served["mean_access_minutes"] = np.where(
        people > 0, served["_w"] / np.where(people > 0, people, 1.0), served["_mean"]
    )
    served = served.drop(columns=["_w", "_mean"])
    first = facilities.merge(served, on="facility_id", how="inner")
    crs = _local_crs(first["lon"].to_numpy(), first["lat"].to_numpy())
    points = first.to_crs(crs)
    # one cell per distinct point: facilities at the same spot share it
    coords = shapely.get_coordinates(points.geometry)
    unique, inverse = np.unique(np.round(coords, 1), axis=0, return_inverse=True)
    area = gpd.GeoSeries(gpd.points_from_xy(places["lon"], places["lat"]), crs=WGS84).to_crs(crs)
    if boundary is not None:
        extent = gpd.GeoSeries([boundary], crs=WGS84).to_crs(crs).make_valid().iloc[0]
    else:
        extent = shapely.buffer(
            shapely.convex_hull(
                shapely.multipoints(np.vstack([shapely.get_coordinates(area), unique]))
            ),
            20_000.0,
        )
    if len(unique) == 1:
        cells = np.array([extent])
    else:
        regions = shapely.voronoi_polygons(shapely.multipoints(unique), extend_to=extent)
        polys = np.asarray(shapely.get_parts(regions))
        # match each cell to the point inside it
        owner = np.full(len(polys), -1)
        for i, poly in enumerate(polys):
            hits = np.flatnonzero(shapely.contains_xy(poly, unique[:, 0], unique[:, 1]))
            if len(hits):
                owner[i] = hits[0]
        cells = np.empty(len(unique), dtype=object)
        mine = owner >= 0
        cells[owner[mine]] = clip_to(polys[mine], extent)
    # back in degrees, rounding can make a tiny island's ring touch itself: repair it, and keep
    # one geometry type so that GIS tools see a MultiPolygon layer
    repaired = gpd.GeoSeries(cells[inverse.ravel()], crs=crs).to_crs(WGS84).make_valid()
    geometry = gpd.GeoSeries(
        [
            shapely.MultiPolygon([p for p in shapely.get_parts(g) if p.geom_type == "Polygon"])
            for g in repaired
        ],
        crs=WGS84,
    )
    columns = [
        "facility_id",
        "code",
        "name",
        "kind",
        "tier",
        "region",
        "population_served",
        "places_served",
        "mean_access_minutes",
    ]
    return (
        gpd.GeoDataFrame(first[columns].reset_index(drop=True), geometry=geometry.values, crs=WGS84)
        .sort_values("facility_id")
        .reset_index(drop=True)
    )


def _pairs(transfers: pd.DataFrame, referrals: pd.DataFrame) -> pd.DataFrame:
    moves = pd.DataFrame(
        {
            "origin_id": transfers["from_facility"],
            "dest_id": transfers["to_facility"],
            "kind": "transfer",
            "start": transfers["depart_time"],
            "minutes": (transfers["arrive_time"] - transfers["depart_time"]).dt.total_seconds()
            / 60,
        }
    )
    asks = pd.DataFrame(
        {
            "origin_id": referrals["clinic"],
            "dest_id": referrals["hub"],
            "kind": "referral",
            "start": referrals["request_time"],
            "minutes": (referrals["answer_time"] - referrals["request_time"]).dt.total_seconds()
            / 60,
        }
    )
    return pd.concat([moves, asks], ignore_index=True)


def _flows(f: pd.DataFrame, transfers: pd.DataFrame, referrals: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    pairs = _pairs(transfers, referrals)
    grouped = pairs.groupby(["kind", "origin_id", "dest_id"], as_index=False).agg(
        count=("minutes", "size"),
        mean_minutes=("minutes", "mean"),
        first_time=("start", "min"),
        last_time=("start", "max"),
    )
    xy = f.set_index("facility_id")[["lon", "lat", "name"]]
    o = xy.loc[grouped["origin_id"]].to_numpy()
    d = xy.loc[grouped["dest_id"]].to_numpy()
    lines = (
        shapely.linestrings(
            np.stack(
                [np.column_stack([o[:, 0], o[:, 1]]), np.column_stack([d[:, 0], d[:, 1]])], axis=1
            ).astype(float)
        )
        if len(grouped)
        else []
    )
    grouped["origin_name"] = o[:, 2] if len(grouped) else []
    grouped["dest_name"] = d[:, 2] if len(grouped) else []
    grouped["count"] = grouped["count"].astype("int64")
    return gpd.GeoDataFrame(grouped, geometry=gpd.GeoSeries(lines, crs=WGS84).values, crs=WGS84)


def _kepler(f: pd.DataFrame, transfers: pd.DataFrame, referrals: pd.DataFrame) -> pd.DataFrame:
    """Flows per origin, destination, kind and day, as point pairs (kepler.gl's arc layer)."""
    pairs = _pairs(transfers, referrals)
    pairs["day"] = pairs["start"].dt.floor("D")
    daily = pairs.groupby(["kind", "origin_id", "dest_id", "day"], as_index=False).agg(
        count=("minutes", "size")
    )
    xy = f.set_index("facility_id")
    return pd.DataFrame(
        {
            "origin_lat": xy.loc[daily["origin_id"], "lat"].to_numpy(),
            "origin_lng": xy.loc[daily["origin_id"], "lon"].to_numpy(),
            "dest_lat": xy.loc[daily["dest_id"], "lat"].to_numpy(),
            "dest_lng": xy.loc[daily["dest_id"], "lon"].to_numpy(),
            "count": daily["count"].to_numpy(),
            "time": daily["day"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
            "kind": daily["kind"].to_numpy(),
            "origin_id": daily["origin_id"].to_numpy(),
            "dest_id": daily["dest_id"].to_numpy(),
        }
    )


def _timeseries(f: pd.DataFrame, ts: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    xy = f.set_index("facility_id")[["name", "kind", "lon", "lat"]]
    frame = ts.join(xy, on="facility_id")
    with np.errstate(divide="ignore", invalid="ignore"):
        ward = frame["ward_occupied"] / frame["ward_staffed"].replace(0, np.nan)
        icu = frame["icu_occupied"] / frame["icu_staffed"].replace(0, np.nan)
    frame["ward_occupancy"], frame["icu_occupancy"] = ward.round(4), icu.round(4)
    # naive UTC DateTime fields read the same in every GDAL version and in QGIS's temporal
    # controller; every time of a run is UTC
    frame["time"] = frame["time"].dt.tz_convert("UTC").dt.tz_localize(None)
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"])
    return (
        gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)
        .sort_values(["time", "facility_id"])
        .reset_index(drop=True)
    )


def _write(layers: Mapping[str, Any], fmt: str, folder: Path) -> list[str]:
    from geodata.tables import write_csv, write_xlsx

    geo = {name: layers[name] for name in LAYERS if name in layers}
    if fmt == "csv":
        return write_csv(geo, folder)
    if fmt == "xlsx":
        return write_xlsx(geo, folder) if geo else []
    written = []
    if fmt == "gpkg" and geo:
        path = folder / "run.gpkg"
        for name, frame in geo.items():
            frame.to_file(path, layer=name, driver="GPKG", VERSION="1.3")
        written.append(path.name)
    elif fmt == "geojson":
        for name, frame in geo.items():
            path = folder / f"{name}.geojson"
            frame.to_crs(4326).to_file(path, driver="GeoJSON", **GEOJSON_OPTIONS)
            written.append(path.name)
    elif fmt == "fgb":
        for name, frame in geo.items():
            path = folder / f"{name}.fgb"
            frame.to_file(path, driver="FlatGeobuf", SPATIAL_INDEX="NO")
            written.append(path.name)
    elif fmt == "geoparquet":
        for name, frame in geo.items():
            path = folder / f"{name}.parquet"
            frame.to_parquet(path, schema_version="1.1.0", write_covering_bbox=True)
            written.append(path.name)
    return written


def export_run(
    run_dir: Path,
    fmt: str,
    out: Path | None = None,
    layers: str | None = None,
    every: str | None = None,
) -> list[Path]:
    """Write the run's layers in one format (or ``all``) into a new folder; return the files.

    Args:
        run_dir: a run directory from ``regional run``.
        fmt: one of ``FORMATS`` or ``all``.
        out: the new folder (default ``RUN_DIR/gis``).
        layers: the layers to write, ``a,b`` (default all).
        every: the time series' period, ``1d``, ``6h``, ``30min`` or ``window`` (default a day
            in GeoJSON, CSV and XLSX, every window in the other formats).

    Raises:
        ExportError: an unknown format, layer or period, an incomplete run directory, an
            output that exists or a table too long for a spreadsheet.
    """
    from geodata.periods import PeriodError, parse_every
    from geodata.tables import TableError

    if fmt not in (*FORMATS, "all"):
        raise ExportError(
            f"--format {fmt}: unknown format; expected one of {', '.join(FORMATS)} or all"
        )
    chosen = choose_layers(layers)
    try:
        freq = parse_every(every) if every is not None else None
    except PeriodError as error:
        raise ExportError(str(error)) from None
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / "gis"
    if out.exists():
        raise ExportError(f"{out}: already exists; give another --out or remove it")
    formats = FORMATS if fmt == "all" else (fmt,)
    # a format's own default period where --every is not given; each period built once
    periods = {
        each: freq if every is not None else ("1D" if each in DAILY_FORMATS else None)
        for each in formats
    }
    first, *others = dict.fromkeys(periods.values())
    built = {first: build_layers(run_dir, chosen, first)}
    for period in others:  # only the time series differs
        series = build_layers(run_dir, ("facility_timeseries",), period)
        built[period] = {**built[first], **series}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        names = []
        for each in formats:
            names += _write(built[periods[each]], each, tmp)
        if KEPLER in chosen:
            built[first][KEPLER].to_csv(tmp / f"{KEPLER}.csv", index=False)
            names.append(f"{KEPLER}.csv")
        os.rename(tmp, out)
    except TableError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(str(error)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / name for name in names]
