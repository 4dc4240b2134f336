"""Reading facility and place files from national registries, checked row by row.

A source is a file (CSV, GeoJSON, GeoPackage, GeoParquet, Shapefile, FlatGeobuf) with a mapping
from our column names to the file's, a CSV delimiter and encoding, a CRS, filters and a key to
de-duplicate on (Bahia's extract repeats each CNES code for three months). Every problem names
the file, the row as an editor shows it (a CSV's header is row 1) and the column. By
default the first bad row stops the load; ``on_bad_rows="skip"`` drops bad rows and returns
them for a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geodata.places import load_places
from geodata.schemas import ALL_COUNTS, FACILITIES

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb"}
# the counts of every file kind (geodata.schemas), each with its largest plausible value
MAX_COUNT = dict(ALL_COUNTS)
CAPACITY_COLUMNS = tuple(MAX_COUNT)
# An empty cell of these means "not known": the registry fills it by its rules and says so.
FILLABLE_COLUMNS = FACILITIES.fillable
BOX_MARGIN_DEG = 1.0
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".numbers"}
# the first bytes of an Excel/LibreOffice workbook: a ZIP archive (xlsx, ods) or an OLE file (xls)
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}
NUMBER_COLUMNS = ("lon", "lat", *CAPACITY_COLUMNS, "minutes")


class LoadError(ValueError):
    """A file that cannot be loaded; the message is one line naming file, row and column."""


@dataclass(frozen=True)
class Source:
    """Where a table comes from and how its columns map to ours."""

    path: Path
    columns: Mapping[str, str] = field(default_factory=dict)  # ours -> the file's
    delimiter: str = ","
    encoding: str = "utf-8"
    crs: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)  # the file's column -> value(s)
    dedupe_on: str | None = None  # our column
    decimal: str = "."  # the decimal mark of a CSV's numbers ("," in much of Latin America)


@dataclass(frozen=True)
class BadRow:
    """One problem of one row."""

    row: int
    column: str
    problem: str

    def message(self, path: Path) -> str:
        """The one-line error of this problem."""
        return f"{path}: row {self.row}, column {self.column!r}: {self.problem}"


def read_source(source: Source, required: tuple[str, ...]) -> pd.DataFrame:
    """The file's rows with our column names, filtered and de-duplicated, coordinates in
    EPSG:4326 (``lon``, ``lat``); ``_row`` is the row number as seen in the file."""
    path = Path(source.path)
    if not path.is_file():
        raise LoadError(f"{path}: file not found; check the path (relative to the scenario file)")
    frame = _read(path, source)
    # the row as an editor or a spreadsheet shows it: a CSV's header is row 1, so its first
    # data row is row 2; the features of other formats count from 1
    first = 1 if path.suffix.lower() in VECTOR_SUFFIXES | {".parquet"} else 2
    frame["_row"] = np.arange(first, len(frame) + first)
    frame = _filtered(frame, source.filters, path)
    renamed = {}
    for ours, theirs in source.columns.items():
        if theirs not in frame.columns:
            raise LoadError(
                f"{path}: the mapping names column {theirs!r} (for {ours}), which "
                f"the file lacks; it has {', '.join(map(str, frame.columns[:12]))}..."
            )
        renamed[theirs] = ours
    frame = frame.rename(columns=renamed)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LoadError(
            f"{path}: required column {missing[0]!r} is missing; map it in "
            f"`columns:` to one of {', '.join(map(str, frame.columns[:12]))}..."
        )
    if frame.empty:
        raise LoadError(f"{path}: the file has no rows (a header at most); give a file with data")
    if source.dedupe_on:
        if source.dedupe_on not in frame.columns:
            raise LoadError(f"{path}: dedupe_on names {source.dedupe_on!r}, not a mapped column")
        frame = frame.drop_duplicates(subset=[source.dedupe_on], keep="last")
    return frame.reset_index(drop=True)


def _filtered(frame: pd.DataFrame, filters: Mapping[str, Any], path: Path) -> Any:
    """Rows whose columns hold one of the wanted values (compared as text)."""
    for column, wanted in filters.items():
        if column not in frame.columns:
            raise LoadError(
                f"{path}: filter column {column!r} is not in the file; it has "
                f"{', '.join(map(str, frame.columns[:12]))}..."
            )
        values = wanted if isinstance(wanted, list | tuple) else [wanted]
        text = frame[column].astype(str).str.strip()
        kept = frame[text.isin([str(v).strip() for v in values])]
        if kept.empty and not frame.empty:
            seen = ", ".join(repr(v) for v in text.value_counts().index[:5])
            raise LoadError(
                f"{path}: filter {column}: {values!r} matches no row; the column holds "
                f"{seen}...; use values as the file writes them"
            )
        frame = kept
    return frame


def _read(path: Path, source: Source) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES or (
        suffix not in VECTOR_SUFFIXES | {".parquet"} and _starts_like_a_workbook(path)
    ):
        raise LoadError(
            f"{path}: a spreadsheet, not a CSV; save the sheet as CSV (UTF-8) and give that "
            "file as `path:`"
        )
    encoding = source.encoding
    if encoding.lower().replace("_", "-") in {"utf-8", "utf8"}:
        encoding = "utf-8-sig"  # a byte-order mark (Excel's "CSV UTF-8") is not a column name
    try:
        if suffix == ".parquet" and not _is_geoparquet(path):
            return pd.read_parquet(path).astype(str).replace({"nan": None, "None": None})
        if suffix in VECTOR_SUFFIXES or suffix == ".parquet":
            import geopandas as gpd

            frame = gpd.read_parquet(path) if suffix == ".parquet" else gpd.read_file(path)
            if frame.crs is None and source.crs is None:
                raise LoadError(f"{path}: the file has no CRS; give `crs:` (e.g. EPSG:4326)")
            if frame.crs is None:
                frame = frame.set_crs(_crs(source.crs, path))
            points = frame.geometry.representative_point().to_crs(4326)
            out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
            out["lon"], out["lat"] = points.x.to_numpy(), points.y.to_numpy()
            return out
        frame = pd.read_csv(
            path,
            sep=source.delimiter,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        )
    except LoadError:
        raise
    except UnicodeDecodeError:
        raise LoadError(
            f"{path}: not {source.encoding} text; set `encoding:` (e.g. latin-1)"
        ) from None
    except Exception as error:  # parsers raise many kinds: report the first line
        _refuse_wrong_delimiter(path, source, _header(path, encoding))
        raise LoadError(
            f"{path}: cannot be read ({first_line(error)}); check its format and `delimiter:`"
        ) from None
    if len(frame.columns) == 1:
        _refuse_wrong_delimiter(path, source, str(frame.columns[0]))
    frame = _decimal_marks(frame, source, path)
    if source.crs and source.crs.upper() not in {"EPSG:4326", "OGC:CRS84"}:
        frame = _reproject_csv(frame, source, path)
    return frame


def _header(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace") as handle:
        return handle.readline()


def _refuse_wrong_delimiter(path: Path, source: Source, header: str) -> None:
    """Stop naming the delimiter when the header holds none of ``delimiter:`` but another."""
    if source.delimiter in header:
        return
    found = [mark for mark in DELIMITERS if mark in header]
    if found:
        shown = "\\t" if found[0] == "\t" else found[0]
        raise LoadError(
            f"{path}: no {source.delimiter!r} in the header (`delimiter: "
            f"{source.delimiter!r}`); the header is delimited by {DELIMITERS[found[0]]}, set "
            f'`delimiter: "{shown}"`'
        )


def _starts_like_a_workbook(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4).startswith(SPREADSHEET_MAGIC)


def _decimal_marks(frame: pd.DataFrame, source: Source, path: Path) -> pd.DataFrame:
    """Numbers of a CSV with the decimal point: converted from ``decimal: ","``, or refused
    with a hint when they look like decimal commas and the source does not say so."""
    columns = [source.columns.get(ours, ours) for ours in NUMBER_COLUMNS]
    present = [c for c in dict.fromkeys(columns) if c in frame.columns]
    for column in present:
        text = frame[column].dropna().astype(str).str.strip()
        if source.decimal == ",":
            frame[column] = frame[column].str.strip().str.replace(",", ".", regex=False)
        elif source.decimal == "." and len(text):
            comma = text.str.fullmatch(r"[-+]?\d+,\d+")
            if comma.mean() > 0.5:
                raise LoadError(
                    f"{path}: column {column!r} holds numbers with a decimal comma (such as "
                    f'{text[comma].iat[0]!r}); set `decimal: ","`'
                )
    return frame


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _is_geoparquet(path: Path) -> bool:
    import pyarrow.parquet as pq

    return b"geo" in (pq.read_schema(path).metadata or {})


def _crs(text: str | None, path: Path) -> Any:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise LoadError(
            f"{path}: unknown CRS {text!r}; give an EPSG code such as EPSG:4326 or EPSG:31983"
        ) from None


def _reproject_csv(frame: pd.DataFrame, source: Source, path: Path) -> pd.DataFrame:
    from pyproj import Transformer

    lon_col, lat_col = source.columns.get("lon", "lon"), source.columns.get("lat", "lat")
    if lon_col in frame and lat_col in frame:
        transform = Transformer.from_crs(_crs(source.crs, path), "EPSG:4326", always_xy=True)
        x = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy()
        y = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy()
        lon, lat = transform.transform(x, y)
        frame[lon_col], frame[lat_col] = lon, lat
    return frame


def country_box(country: str) -> tuple[float, float, float, float]:
    """A loose bounding box of a country (its GeoNames places, one degree around).

    Raises:
        LoadError: a country code we do not know.
    """
    try:
        places = load_places([country], min_population=0)
    except ValueError as error:
        raise LoadError(f"geography.countries: {error}") from None
    return (
        float(places["lon"].min()) - BOX_MARGIN_DEG,
        float(places["lat"].min()) - BOX_MARGIN_DEG,
        float(places["lon"].max()) + BOX_MARGIN_DEG,
        float(places["lat"].max()) + BOX_MARGIN_DEG,
    )


def check_rows(
    frame: pd.DataFrame, box: tuple[float, float, float, float], id_column: str = "id"
) -> list[BadRow]:
    """Every problem of every row: coordinates (missing, out of range, outside the country,
    swapped), counts (see ``check_counts``) and duplicate ids."""
    bad: list[BadRow] = []
    rows = frame["_row"].to_numpy()
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    x0, y0, x1, y1 = box
    for i in range(len(frame)):
        if np.isnan(lon[i]) or np.isnan(lat[i]):
            column = "lon" if np.isnan(lon[i]) else "lat"
            bad.append(
                BadRow(
                    int(rows[i]),
                    column,
                    f"coordinate missing or not a number ({frame[column].iat[i]!r})",
                )
            )
        elif x0 <= lon[i] <= x1 and y0 <= lat[i] <= y1:
            continue
        elif x0 <= lat[i] <= x1 and y0 <= lon[i] <= y1:
            bad.append(
                BadRow(
                    int(rows[i]),
                    "lat",
                    f"({lon[i]:.4f}, {lat[i]:.4f}): latitude and longitude look swapped; "
                    "swap the two columns in the mapping",
                )
            )
        elif abs(lat[i]) > 90 or abs(lon[i]) > 180:
            hint = (
                "; they look like projected metres: give the file's `crs:` (e.g. EPSG:32719)"
                if min(abs(lat[i]), abs(lon[i])) > 1000
                else ""
            )
            bad.append(
                BadRow(
                    int(rows[i]),
                    "lat" if abs(lat[i]) > 90 else "lon",
                    f"({lon[i]}, {lat[i]}) is out of range for degrees{hint}",
                )
            )
        else:
            bad.append(
                BadRow(int(rows[i]), "lon", f"({lon[i]:.4f}, {lat[i]:.4f}) is outside the country")
            )
    bad.extend(check_counts(frame))
    if id_column in frame.columns:
        ids = frame[id_column].astype("string").str.strip()
        missing = (ids.isna() | (ids == "")).to_numpy()
        for i in np.flatnonzero(missing).tolist():
            bad.append(BadRow(int(rows[i]), id_column, "id missing; every row needs one"))
        seen = ids.duplicated(keep="first").to_numpy() & ~missing
        for i in np.flatnonzero(seen).tolist():
            bad.append(
                BadRow(
                    int(rows[i]),
                    id_column,
                    f"duplicate id {frame[id_column].iat[i]!r}; ids must be unique "
                    "(or set dedupe_on)",
                )
            )
    return sorted(bad, key=lambda b: (b.row, b.column))


def whole_file_problems(
    frame: pd.DataFrame, box: tuple[float, float, float, float], path: Path
) -> None:
    """Stop at mistakes of the whole file rather than of its rows: most coordinates in
    metres (a projected CRS not declared) or with latitude and longitude swapped.

    Raises:
        LoadError: naming the file, a first example and the key to set.
    """
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    known = ~(np.isnan(lon) | np.isnan(lat))
    if not known.any():
        return
    x0, y0, x1, y1 = box
    metres = known & (np.abs(lon) > 1000) & (np.abs(lat) > 1000)
    swapped = known & (x0 <= lat) & (lat <= x1) & (y0 <= lon) & (lon <= y1)
    swapped &= ~((x0 <= lon) & (lon <= x1) & (y0 <= lat) & (lat <= y1))
    rows = frame["_row"].to_numpy()
    if metres.sum() > known.sum() / 2:
        i = int(np.flatnonzero(metres)[0])
        raise LoadError(
            f"{path}: row {rows[i]}, column 'lon': ({lon[i]:.0f}, {lat[i]:.0f}) look like "
            f"projected metres, as in {int(metres.sum())} of {int(known.sum())} rows; give "
            "the file's CRS as `crs:` (e.g. EPSG:32719 for UTM 19S)"
        )
    if swapped.sum() > known.sum() / 2:
        i = int(np.flatnonzero(swapped)[0])
        raise LoadError(
            f"{path}: row {rows[i]}, column 'lat': latitude and longitude look swapped "
            f"(lon {lon[i]:.4f}, lat {lat[i]:.4f}), as in {int(swapped.sum())} of "
            f"{int(known.sum())} rows; swap `lon:` and `lat:` in `columns:`"
        )


def check_counts(frame: pd.DataFrame) -> list[BadRow]:
    """Problems of the counts (beds, staff, people): not a number, negative, fractional.

    An empty bed or staff count is not a problem (the registry fills it); an empty
    population is.
    """
    bad: list[BadRow] = []
    rows = frame["_row"].to_numpy()
    for column in CAPACITY_COLUMNS:
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        empty = frame[column].isna().to_numpy()
        with np.errstate(invalid="ignore"):
            wrong = (
                np.isnan(values)
                | (values < 0)
                | (values != np.round(values))
                | (values > MAX_COUNT[column])
            )
        if column in FILLABLE_COLUMNS:
            wrong &= ~empty
        for i in np.flatnonzero(wrong).tolist():
            raw = frame[column].iat[i]
            problem = (
                "missing"
                if empty[i]
                else "not a number"
                if np.isnan(values[i])
                else "negative"
                if values[i] < 0
                else "not a whole number"
                if values[i] != np.round(values[i])
                else f"more than {MAX_COUNT[column]:,}, beyond any real {_noun(column)}"
            )
            bad.append(BadRow(int(rows[i]), column, f"{problem} ({raw!r})"))
    return bad


def _noun(column: str) -> str:
    return "place" if column == "population" else "facility"


def stop_at_first(bad: list[BadRow], path: Path) -> None:
    """Raise the first problem as a ``LoadError`` (saying how many more there are), if any."""
    if bad:
        more = len(bad) - 1
        raise LoadError(
            bad[0].message(Path(path))
            + (f" (and {more} more; `on_bad_rows: skip` skips them)" if more else "")
        )


def load_checked(
    source: Source,
    country: str,
    required: tuple[str, ...],
    on_bad_rows: Literal["stop", "skip"] = "stop",
    id_column: str = "id",
) -> tuple[pd.DataFrame, list[BadRow]]:
    """Read and check a source; stop at the first bad row, or skip bad rows and return them."""
    frame = read_source(source, required)
    box = country_box(country)
    whole_file_problems(frame, box, Path(source.path))
    bad = check_rows(frame, box, id_column)
    if on_bad_rows == "stop":
        stop_at_first(bad, Path(source.path))
    drop = {b.row for b in bad}
    kept = frame[~frame["_row"].isin(drop)].copy()
    kept["lon"] = pd.to_numeric(kept["lon"]).astype(float)
    kept["lat"] = pd.to_numeric(kept["lat"]).astype(float)
    return kept.reset_index(drop=True), bad


def bad_rows_report(bad: list[BadRow], path: Path) -> pd.DataFrame:
    """The skipped rows as a table (written beside the run as a CSV)."""
    return pd.DataFrame(
        {
            "file": str(path),
            "row": pd.Series([b.row for b in bad], dtype="int64"),
            "column": [b.column for b in bad],
            "problem": [b.problem for b in bad],
        }
    )


def id_codes(values: pd.Series) -> np.ndarray:
    """Identifiers as the files write them (``"3550308"``, not ``"3550308.0"``)."""
    text = values.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    return text.to_numpy(dtype=object)


# Bump when the cached boundary changes meaning; old files are then simply not found.
BOUNDARY_CACHE_VERSION = 1


def read_boundary(
    path: Path,
    crs: str | None = None,
    filters: Mapping[str, Any] | None = None,
    cache_dir: Path | None = None,
) -> Any:
    """The union of a file's polygons (those that pass ``filters``) in EPSG:4326 (shapely).

    Repairing and merging a country's polygons takes seconds to tens of seconds (Chile's 17
    regions, 43 s on a loaded 2-core machine), so the result is kept as WKB in the user's
    cache beside the places cache, keyed by the file's bytes, ``crs``, ``filters`` and the
    GEOS version; a cache that cannot be read or written is rebuilt or skipped.

    Raises:
        LoadError: the file is missing, unreadable, has no CRS (and none is given) or no
            polygon.
    """
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: file not found; check `boundary.path` (relative to the scenario)")
    cached = _boundary_cache_file(path, crs, filters, cache_dir)
    union = _read_cached_boundary(cached)
    if union is None:
        union = _prepared_boundary(path, crs, filters)
        _write_cached_boundary(cached, union)
    return union


def _prepared_boundary(path: Path, crs: str | None, filters: Mapping[str, Any] | None) -> Any:
    import geopandas as gpd
    import shapely

    try:
        frame = gpd.read_parquet(path) if path.suffix.lower() == ".parquet" else gpd.read_file(path)
    except Exception as error:  # GDAL and pyarrow raise many kinds: report the first line
        raise LoadError(
            f"{path}: cannot be read as polygons ({first_line(error)}); check its format"
        ) from None
    if frame.crs is None:
        if crs is None:
            raise LoadError(f"{path}: the file has no CRS; give `crs:` (e.g. EPSG:4326)")
        frame = frame.set_crs(_crs(crs, path))
    frame = _filtered(frame, filters or {}, path)
    polygons = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise LoadError(f"{path}: no polygon in the file; give the area's boundary polygons")
    try:  # registry boundaries often hold self-touching rings: repair, then merge
        return shapely.make_valid(polygons.to_crs(4326).geometry.make_valid().union_all())
    except shapely.errors.GEOSException as error:
        raise LoadError(
            f"{path}: the polygons cannot be merged ({error}); repair them (QGIS: Fix geometries)"
        ) from None


def _boundary_cache_file(
    path: Path, crs: str | None, filters: Mapping[str, Any] | None, cache_dir: Path | None
) -> Path:
    import hashlib
    import json

    import shapely

    if cache_dir is None:
        from platformdirs import user_cache_dir

        cache_dir = Path(user_cache_dir("regional-twin"))
    digest = hashlib.sha256(path.read_bytes())
    settings = {
        "crs": crs,
        "filters": {str(k): v for k, v in (filters or {}).items()},
        "version": BOUNDARY_CACHE_VERSION,
        "geos": shapely.geos_version_string,
    }
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return Path(cache_dir) / "boundaries" / f"{path.stem}-{digest.hexdigest()[:20]}.wkb"


def _read_cached_boundary(cached: Path) -> Any:
    import shapely

    try:
        return shapely.from_wkb(cached.read_bytes())
    except (OSError, shapely.errors.GEOSException):  # absent, truncated or foreign: rebuild
        return None


def _write_cached_boundary(cached: Path, union: Any) -> None:
    import os

    import shapely

    tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(shapely.to_wkb(union))
        os.replace(tmp, cached)
    except OSError:  # a cache that cannot be written only costs the time to rebuild it
        tmp.unlink(missing_ok=True)
