"""Travel times: great-circle distance x circuity / speed by setting, vectorised with numpy.

A trip is urban when it is short, by river when either end is a remote place of a region that
rivers serve (``RIVER_REGIONS``), remote when either end is another remote place, rural
otherwise. Each end carries a leg code (``leg_codes``): bit 1 remote, bit 2 river; a trip's
code is its ends' codes OR-ed, and plain booleans are remote flags.
Nearest-destination searches use a KD-tree on 3-D unit vectors, whose chord order is the
great-circle order, so they need no projection and work across the antimeridian.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
REMOTE = 1
RIVER = 2
# Regions whose remote places are reached by river (assumption: the Amazon states of Brazil
# whose towns have no road link, Acre, Amapá, Amazonas, Pará and Roraima; GeoNames admin-1 codes)
RIVER_REGIONS: frozenset[str] = frozenset({"BR-01", "BR-03", "BR-04", "BR-16", "BR-25"})


@dataclass(frozen=True)
class TravelRules:
    """How a great-circle distance becomes minutes of travel.

    Attributes:
        circuity: road distance / great-circle distance (assumption: 1.3, the usual
            figure for national road networks).
        speed_urban_kmh: door-to-door speed of a trip within ``urban_radius_km``
            (assumption).
        speed_rural_kmh: speed of a longer trip on the road network (assumption).
        speed_remote_kmh: speed of a trip to or from a remote place by road (Mexico: about
            26 km/h, 286 km in more than 11 h, IMSS-Bienestar 2025, docs/sources.md).
        speed_river_kmh: speed of a trip to or from a remote place of ``RIVER_REGIONS``
            (the Amazon by river: about 14 km/h, 60 km in 4.2 h, docs/sources.md).
        urban_radius_km: trips this short are urban.
        handover_minutes: fixed time to dispatch, load and hand over (assumption).
    """

    circuity: float = 1.3
    speed_urban_kmh: float = 30.0
    speed_rural_kmh: float = 60.0
    speed_remote_kmh: float = 25.0
    speed_river_kmh: float = 14.0
    urban_radius_km: float = 20.0
    handover_minutes: float = 10.0


def haversine_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> np.ndarray:
    """Great-circle distance in km between points in degrees, broadcasting like numpy."""
    lon1_r, lat1_r, lon2_r, lat2_r = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2_r - lat1_r) / 2.0) ** 2
        + np.cos(lat1_r) * np.cos(lat2_r) * np.sin((lon2_r - lon1_r) / 2.0) ** 2
    )
    # clip: rounding can push ``a`` a hair above 1 for antipodal points
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def trip_minutes(
    distance_km: npt.ArrayLike, remote: npt.ArrayLike, rules: TravelRules
) -> np.ndarray:
    """Minutes of trips of the given great-circle distances.

    Args:
        distance_km: great-circle distances.
        remote: each trip's leg code (``leg_codes``, OR-ed over its ends) or remote flag,
            broadcast with the distances.
        rules: speeds, circuity and handover.

    Returns:
        ``handover + 60 * circuity * (urban part / urban speed + rest / open-road speed)``:
        the first ``urban_radius_km`` of a trip at urban speed, the rest at the river speed
        where the code has ``RIVER``, the remote speed where it has ``REMOTE``, else the
        rural one, so that minutes always grow with distance. Nothing caps a trip: a remote
        Amazon town 150 km from its hospital is 14 hours away.
    """
    d = np.asarray(distance_km, dtype=np.float64)
    urban = np.minimum(d, rules.urban_radius_km)
    open_road = d - urban
    code = np.asarray(remote).astype(np.int64)
    speed = np.where(
        code & RIVER,
        rules.speed_river_kmh,
        np.where(code & REMOTE, rules.speed_remote_kmh, rules.speed_rural_kmh),
    )
    hours = urban / rules.speed_urban_kmh + open_road / speed
    return np.asarray(rules.handover_minutes + 60.0 * rules.circuity * hours)


def unit_vectors(lon: npt.ArrayLike, lat: npt.ArrayLike) -> np.ndarray:
    """Points in degrees as rows of 3-D unit vectors (for KD-trees)."""
    lon_r = np.radians(np.asarray(lon, dtype=np.float64)).ravel()
    lat_r = np.radians(np.asarray(lat, dtype=np.float64)).ravel()
    return np.column_stack(
        [np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)]
    )


def chord_to_km(chord: npt.ArrayLike) -> np.ndarray:
    """Great-circle km of a chord between unit vectors."""
    c = np.asarray(chord, dtype=np.float64)
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(c / 2.0, 0.0, 1.0)))


def place_settings(
    places: pd.DataFrame, urban_min_population: int = 50_000, remote_km: float = 150.0
) -> np.ndarray:
    """Setting of each place: ``"urban"``, ``"rural"`` or ``"remote"``.

    Args:
        places: frame with ``lon``, ``lat`` and ``population``.
        urban_min_population: a place this big is urban.
        remote_km: a smaller place farther than this from every urban place of the frame
            (great-circle) is remote; so is every place when the frame has no urban one.

    Returns:
        Object array of strings, one per row of ``places``.
    """
    from scipy.spatial import cKDTree

    population = places["population"].to_numpy()
    lon = places["lon"].to_numpy(dtype=np.float64)
    lat = places["lat"].to_numpy(dtype=np.float64)
    out = np.full(len(places), "rural", dtype=object)
    urban = population >= urban_min_population
    out[urban] = "urban"
    if not urban.any():
        out[:] = "remote"
        return out
    chord, _ = cKDTree(unit_vectors(lon[urban], lat[urban])).query(unit_vectors(lon, lat), k=1)
    out[~urban & (chord_to_km(chord) > remote_km)] = "remote"
    return out


def leg_codes(setting: npt.ArrayLike, region: npt.ArrayLike) -> np.ndarray:
    """Each end's leg code: ``REMOTE`` for a remote place, plus ``RIVER`` in a river region."""
    remote = np.asarray(setting) == "remote"
    river = remote & np.isin(np.asarray(region, dtype=object), list(RIVER_REGIONS))
    return (remote * REMOTE + river * RIVER).astype(np.int8)


def travel_minutes_matrix(
    from_lon: npt.ArrayLike,
    from_lat: npt.ArrayLike,
    from_remote: npt.ArrayLike,
    to_lon: npt.ArrayLike,
    to_lat: npt.ArrayLike,
    to_remote: npt.ArrayLike,
    rules: TravelRules,
) -> np.ndarray:
    """Minutes from every origin to every destination, for small sets.

    Returns:
        float32 array of shape (n_from, n_to).
    """
    f_lon, f_lat = np.ravel(from_lon), np.ravel(from_lat)
    t_lon, t_lat = np.ravel(to_lon), np.ravel(to_lat)
    d = haversine_km(f_lon[:, None], f_lat[:, None], t_lon[None, :], t_lat[None, :])
    remote = (
        np.broadcast_to(np.asarray(from_remote).astype(np.int8), f_lon.shape)[:, None]
        | np.broadcast_to(np.asarray(to_remote).astype(np.int8), t_lon.shape)[None, :]
    )
    return trip_minutes(d, remote, rules).astype(np.float32)


def nearest_by_travel(
    from_lon: npt.ArrayLike,
    from_lat: npt.ArrayLike,
    from_remote: npt.ArrayLike,
    to_lon: npt.ArrayLike,
    to_lat: npt.ArrayLike,
    to_remote: npt.ArrayLike,
    rules: TravelRules,
    k: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Each origin's quickest destination among its ``k`` great-circle-nearest ones.

    Trip minutes are not monotone in distance (speeds change with the setting), so the
    search ranks ``k`` candidates by minutes instead of taking the nearest one.

    Returns:
        Destination index (int64) and trip minutes (float64) per origin; ties go to the
        lower destination index.

    Raises:
        ValueError: there are no destinations.
    """
    from scipy.spatial import cKDTree

    f_lon, f_lat = np.ravel(from_lon), np.ravel(from_lat)
    t_lon, t_lat = np.ravel(to_lon), np.ravel(to_lat)
    n_from, n_to = len(f_lon), len(t_lon)
    if n_to == 0:
        raise ValueError("nearest_by_travel: no destinations to choose from; pass at least one")
    if n_from == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    k = max(1, min(int(k), n_to))
    _, idx = cKDTree(unit_vectors(t_lon, t_lat)).query(unit_vectors(f_lon, f_lat), k=k)
    idx = np.asarray(idx, dtype=np.int64).reshape(n_from, k)
    d = haversine_km(f_lon[:, None], f_lat[:, None], t_lon[idx], t_lat[idx])
    f_remote = np.broadcast_to(np.asarray(from_remote).astype(np.int8), f_lon.shape)
    t_remote = np.broadcast_to(np.asarray(to_remote).astype(np.int8), t_lon.shape)
    minutes = trip_minutes(d, f_remote[:, None] | t_remote[idx], rules)
    # fewest minutes first, then the lower destination index (the last key sorts first)
    best = np.lexsort((idx, minutes), axis=-1)[:, 0]
    rows = np.arange(n_from)
    return idx[rows, best], minutes[rows, best]
