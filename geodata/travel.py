"""Travel times: great-circle distance x circuity / speed by setting, vectorised with numpy.

A trip is urban when it is short, remote when either end is a remote place, rural otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class TravelRules:
    """How distance becomes minutes.

    Speeds: remote 25 km/h from LATAM.md (Amazon river 60 km in 4.2 h, about 14 km/h; Mexico
    286 km in more than 11 h, about 26 km/h); urban 30 and rural 60 km/h, circuity 1.3 and the
    10-minute handover are assumptions.
    """

    circuity: float = 1.3
    speed_urban_kmh: float = 30.0
    speed_rural_kmh: float = 60.0
    speed_remote_kmh: float = 25.0
    urban_radius_km: float = 20.0
    handover_minutes: float = 10.0


def haversine_km(
    lon1: np.ndarray | float, lat1: np.ndarray | float,
    lon2: np.ndarray | float, lat2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in km, broadcasting over numpy arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=np.float64))
                              for v in (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2.0) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def trip_minutes(distance_km: np.ndarray, remote: np.ndarray | bool,
                 rules: TravelRules) -> np.ndarray:
    """Minutes for trips of the given great-circle distances (``remote``: either end remote)."""
    d = np.asarray(distance_km, dtype=np.float64)
    speed = np.where(
        d <= rules.urban_radius_km, rules.speed_urban_kmh,
        np.where(np.asarray(remote, dtype=bool), rules.speed_remote_kmh, rules.speed_rural_kmh),
    )
    return rules.handover_minutes + 60.0 * rules.circuity * d / speed


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon_r = np.radians(np.asarray(lon, dtype=np.float64))
    lat_r = np.radians(np.asarray(lat, dtype=np.float64))
    return np.column_stack([np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r),
                            np.sin(lat_r)])


def place_settings(places: pd.DataFrame, urban_min_population: int = 50_000,
                   remote_km: float = 150.0) -> np.ndarray:
    """``urban``, ``rural`` or ``remote`` for each place (remote: far from any city)."""
    from scipy.spatial import cKDTree

    population = places["population"].to_numpy()
    lon = places["lon"].to_numpy()
    lat = places["lat"].to_numpy()
    out = np.full(len(places), "rural", dtype=object)
    cities = population >= urban_min_population
    out[cities] = "urban"
    if not cities.any():
        out[~cities] = "remote"
        return out
    tree = cKDTree(_unit_vectors(lon[cities], lat[cities]))
    chord, _ = tree.query(_unit_vectors(lon, lat), k=1)
    km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    out[(~cities) & (km > remote_km)] = "remote"
    return out


def travel_minutes_matrix(
    from_lon: np.ndarray, from_lat: np.ndarray, from_remote: np.ndarray,
    to_lon: np.ndarray, to_lat: np.ndarray, to_remote: np.ndarray, rules: TravelRules,
) -> np.ndarray:
    """Minutes from every origin to every destination (float32, origins x destinations)."""
    d = haversine_km(np.asarray(from_lon)[:, None], np.asarray(from_lat)[:, None],
                     np.asarray(to_lon)[None, :], np.asarray(to_lat)[None, :])
    remote = np.asarray(from_remote, bool)[:, None] | np.asarray(to_remote, bool)[None, :]
    return trip_minutes(d, remote, rules).astype(np.float32)


def nearest_by_travel(
    from_lon: np.ndarray, from_lat: np.ndarray, from_remote: np.ndarray,
    to_lon: np.ndarray, to_lat: np.ndarray, to_remote: np.ndarray, rules: TravelRules,
    k: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """For each origin, the destination with the fewest trip minutes among its k nearest.

    Returns the destination indices and the minutes; ties go to the lower index.
    """
    from scipy.spatial import cKDTree

    n_to = len(to_lon)
    if n_to == 0:
        raise ValueError("no destinations to choose from")
    k = min(k, n_to)
    tree = cKDTree(_unit_vectors(to_lon, to_lat))
    _, idx = tree.query(_unit_vectors(from_lon, from_lat), k=k)
    idx = np.asarray(idx).reshape(len(from_lon), k)
    d = haversine_km(np.asarray(from_lon)[:, None], np.asarray(from_lat)[:, None],
                     np.asarray(to_lon)[idx], np.asarray(to_lat)[idx])
    remote = np.asarray(from_remote, bool)[:, None] | np.asarray(to_remote, bool)[idx]
    minutes = trip_minutes(d, remote, rules)
    # lowest minutes, then lowest destination index
    order = np.lexsort((idx, minutes), axis=1)[:, 0]
    rows = np.arange(len(from_lon))
    return idx[rows, order], minutes[rows, order]
