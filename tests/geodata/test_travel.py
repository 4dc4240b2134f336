"""Travel times: distances, trip minutes by setting, settings of places, nearest search."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.places import LATAM_COUNTRIES, load_places
from geodata.travel import (
    EARTH_RADIUS_KM,
    REMOTE,
    RIVER,
    TravelRules,
    haversine_km,
    leg_codes,
    nearest_by_travel,
    place_settings,
    travel_minutes_matrix,
    trip_minutes,
)

RULES = TravelRules()
SANTIAGO = (-70.6483, -33.4569)
VALPARAISO = (-71.6127, -33.0472)

lons = st.floats(-180.0, 180.0, allow_nan=False)
lats = st.floats(-89.0, 89.0, allow_nan=False)


def test_santiago_valparaiso_is_about_100_km() -> None:
    d = float(haversine_km(*SANTIAGO, *VALPARAISO))
    assert d == pytest.approx(100.0, abs=4.0)


def test_one_degree_on_the_equator() -> None:
    assert float(haversine_km(0.0, 0.0, 1.0, 0.0)) == pytest.approx(
        np.pi * EARTH_RADIUS_KM / 180.0, rel=1e-12
    )


def test_haversine_broadcasts() -> None:
    d = haversine_km(
        np.zeros((3, 1)), np.arange(3.0)[:, None], np.arange(4.0)[None, :], np.zeros((1, 4))
    )
    assert d.shape == (3, 4)
    assert d[0, 0] == 0.0


@given(lons, lats, lons, lats, lons, lats)
def test_haversine_is_a_metric(
    lon1: float, lat1: float, lon2: float, lat2: float, lon3: float, lat3: float
) -> None:
    ab = float(haversine_km(lon1, lat1, lon2, lat2))
    ba = float(haversine_km(lon2, lat2, lon1, lat1))
    ac = float(haversine_km(lon1, lat1, lon3, lat3))
    cb = float(haversine_km(lon3, lat3, lon2, lat2))
    assert ab == pytest.approx(ba, abs=1e-6)
    assert 0.0 <= ab <= np.pi * EARTH_RADIUS_KM + 1e-6
    assert ab <= ac + cb + 1e-6


def test_trip_minutes_by_setting() -> None:
    d = np.array([0.0, 10.0, 100.0, 100.0, 10.0])
    remote = np.array([False, False, False, True, True])
    minutes = trip_minutes(d, remote, RULES)
    urban = 60 * 1.3 * 20 / 30  # the first 20 km of any longer trip
    expected = [
        10.0,  # handover only
        10.0 + 60 * 1.3 * 10 / 30,  # urban, within 20 km
        10.0 + urban + 60 * 1.3 * 80 / 60,  # then rural
        10.0 + urban + 60 * 1.3 * 80 / 25,  # then remote
        10.0 + 60 * 1.3 * 10 / 30,  # short trips are urban even from a remote place
    ]
    np.testing.assert_allclose(minutes, expected)


@given(st.floats(0, 3000), st.floats(0, 3000), st.booleans())
def test_trip_minutes_grow_with_distance(a: float, b: float, remote: bool) -> None:
    near, far = sorted((a, b))
    assert float(trip_minutes(near, remote, RULES)) <= float(trip_minutes(far, remote, RULES))


def test_trip_minutes_broadcasts_remote() -> None:
    d = np.array([[50.0, 50.0], [5.0, 5.0]])
    minutes = trip_minutes(d, np.array([False, True]), RULES)
    assert minutes.shape == (2, 2)
    assert minutes[0, 1] > minutes[0, 0]
    assert minutes[1, 0] == minutes[1, 1]
    assert float(trip_minutes(100.0, True, RULES)) == pytest.approx(
        10.0 + 52.0 + 60 * 1.3 * 80 / 25
    )


def test_place_settings_small_frame() -> None:
    # a city at the origin; places 100 km and 200 km east of it (1 degree = 111.2 km)
    places = pd.DataFrame(
        {
            "lon": [0.0, 0.9, 1.8, 0.1],
            "lat": [0.0, 0.0, 0.0, 0.0],
            "population": [60_000, 1_000, 1_000, 50_000],
        }
    )
    assert list(place_settings(places)) == ["urban", "rural", "remote", "urban"]
    assert list(place_settings(places, urban_min_population=100_000)) == ["remote"] * 4
    assert list(place_settings(places, remote_km=250.0)) == ["urban", "rural", "rural", "urban"]


def test_place_settings_of_all_latin_america_is_fast() -> None:
    places = load_places(LATAM_COUNTRIES, min_population=0)
    start = time.perf_counter()
    setting = place_settings(places)
    elapsed = time.perf_counter() - start
    assert len(setting) == 31_735
    assert set(setting) == {"urban", "rural", "remote"}
    assert elapsed < 1.0
    urban = setting == "urban"
    np.testing.assert_array_equal(urban, places["population"].to_numpy() >= 50_000)


def test_matrix_matches_trip_minutes() -> None:
    rng = np.random.default_rng(1)
    f_lon, f_lat = rng.uniform(-75, -65, 5), rng.uniform(-40, -30, 5)
    t_lon, t_lat = rng.uniform(-75, -65, 3), rng.uniform(-40, -30, 3)
    f_rem, t_rem = rng.random(5) < 0.5, rng.random(3) < 0.5
    m = travel_minutes_matrix(f_lon, f_lat, f_rem, t_lon, t_lat, t_rem, RULES)
    assert m.shape == (5, 3) and m.dtype == np.float32
    for i in range(5):
        for j in range(3):
            d = haversine_km(f_lon[i], f_lat[i], t_lon[j], t_lat[j])
            assert m[i, j] == pytest.approx(
                float(trip_minutes(d, f_rem[i] | t_rem[j], RULES)), rel=1e-6
            )


def _brute_force(
    f_lon: np.ndarray,
    f_lat: np.ndarray,
    f_rem: np.ndarray,
    t_lon: np.ndarray,
    t_lat: np.ndarray,
    t_rem: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    d = haversine_km(f_lon[:, None], f_lat[:, None], t_lon[None, :], t_lat[None, :])
    m = trip_minutes(d, f_rem[:, None] | t_rem[None, :], RULES)
    best = np.argmin(m, axis=1)  # first minimum: the lower index on ties
    return best, m[np.arange(len(f_lon)), best]


points = st.tuples(st.floats(-80.0, -60.0), st.floats(-40.0, -20.0), st.booleans())


@settings(max_examples=200, deadline=None)
@given(
    origins=st.lists(points, min_size=1, max_size=30),
    destinations=st.lists(points, min_size=1, max_size=8),
)
def test_nearest_matches_brute_force(
    origins: list[tuple[float, float, bool]], destinations: list[tuple[float, float, bool]]
) -> None:
    f_lon, f_lat, f_rem = (np.array(c) for c in zip(*origins, strict=True))
    t_lon, t_lat, t_rem = (np.array(c) for c in zip(*destinations, strict=True))
    # with k >= the number of destinations every destination is a candidate
    index, minutes = nearest_by_travel(f_lon, f_lat, f_rem, t_lon, t_lat, t_rem, RULES, k=8)
    best, best_minutes = _brute_force(f_lon, f_lat, f_rem, t_lon, t_lat, t_rem)
    np.testing.assert_allclose(minutes, best_minutes, rtol=1e-12)
    np.testing.assert_array_equal(index, best)


def test_nearest_among_k_matches_brute_force_on_real_places() -> None:
    places = load_places(["CL"])
    remote = place_settings(places) == "remote"
    rng = np.random.default_rng(7)
    dest = np.sort(rng.choice(len(places), 60, replace=False))
    lon, lat = places["lon"].to_numpy(), places["lat"].to_numpy()
    k = 5
    index, minutes = nearest_by_travel(
        lon, lat, remote, lon[dest], lat[dest], remote[dest], RULES, k=k
    )
    d = haversine_km(lon[:, None], lat[:, None], lon[dest][None, :], lat[dest][None, :])
    candidates = np.argsort(d, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(places))[:, None]
    m = trip_minutes(d[rows, candidates], remote[:, None] | remote[dest][candidates], RULES)
    order = np.lexsort((candidates, m), axis=-1)[:, 0]
    np.testing.assert_array_equal(index, candidates[np.arange(len(places)), order])
    np.testing.assert_allclose(minutes, m[np.arange(len(places)), order])


def test_nearest_ties_go_to_the_lower_index() -> None:
    index, minutes = nearest_by_travel(
        [0.0], [0.0], [False], [1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [False, False, False], RULES
    )
    assert index.tolist() == [0]  # three destinations 111 km away: the first wins
    index, _ = nearest_by_travel(
        [0.0], [0.0], [False], [0.0, 0.0], [1.0, 1.0], [False, False], RULES
    )
    assert index.tolist() == [0]
    d = np.pi * EARTH_RADIUS_KM / 180
    assert minutes[0] == pytest.approx(10.0 + 60 * 1.3 * (20 / 30 + (d - 20) / 60))


def test_nearest_prefers_a_faster_trip_to_a_farther_place() -> None:
    # 100 km to a remote post at 25 km/h is slower than 130 km on the open road at 60 km/h
    index, _ = nearest_by_travel(
        [0.0], [0.0], [False], [100 / 111.195, -130 / 111.195], [0.0, 0.0], [True, False], RULES
    )
    assert index.tolist() == [1]


def test_nearest_edge_cases() -> None:
    index, minutes = nearest_by_travel([], [], [], [0.0], [0.0], [False], RULES)
    assert index.shape == (0,) and minutes.shape == (0,)
    with pytest.raises(ValueError, match="no destinations"):
        nearest_by_travel([0.0], [0.0], [False], [], [], [], RULES)


def test_river_legs_in_closed_form_and_uncapped() -> None:
    rules = TravelRules()
    d = np.array([100.0, 100.0, 100.0, 1_000.0])
    code = np.array([0, REMOTE, REMOTE | RIVER, REMOTE | RIVER])
    got = trip_minutes(d, code, rules)
    open_road = 80.0 * 1.3 * 60.0
    urban = 10.0 + 20.0 * 1.3 * 60.0 / 30.0
    np.testing.assert_allclose(got[:3], urban + open_road / np.array([60.0, 25.0, 14.0]))
    # LATAM.md: remote Amazon trips above 1,000 km and 20 hours; nothing caps them
    assert got[3] / 60.0 > 20.0
    # booleans are remote flags, as before
    np.testing.assert_allclose(trip_minutes(d[:2], np.array([False, True]), rules), got[:2])


def test_leg_codes_mark_remote_amazon_places() -> None:
    setting = np.array(["remote", "remote", "rural", "urban"], dtype=object)
    region = np.array(["BR-04", "BR-27", "BR-04", "BR-04"], dtype=object)
    np.testing.assert_array_equal(leg_codes(setting, region), [REMOTE | RIVER, REMOTE, 0, 0])
    # a trip is by river when either end is: OR of the codes
    _, minutes = nearest_by_travel(
        [-60.0], [-3.0], [REMOTE | RIVER], [-60.5], [-3.0], [0], TravelRules()
    )
    _, by_road = nearest_by_travel([-60.0], [-3.0], [REMOTE], [-60.5], [-3.0], [0], TravelRules())
    assert minutes[0] > by_road[0] * 1.3
