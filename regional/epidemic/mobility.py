"""Mobility between places: the share of each place's contacts made in each other place.

A gravity model (Viboud et al., Science 2006, for influenza spread between US cities): the
people of place i make a share ``away_share * (N_j / 1,000,000) * (50 km / d_ij) ** gamma`` of
their contacts in each of their ``neighbours`` nearest places j, so a city of a million people
50 km away takes ``away_share`` of them and a far or small place little; at most
``max_away_share`` are made away, the rest at home. The coupling is a sparse row-stochastic
matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from geodata.travel import chord_to_km, unit_vectors

REFERENCE_PEOPLE = 1_000_000.0
REFERENCE_KM = 50.0


def gravity_coupling(
    lon: np.ndarray,
    lat: np.ndarray,
    population: np.ndarray,
    away_share: float = 0.1,
    gamma: float = 2.0,
    neighbours: int = 20,
    min_km: float = 5.0,
    max_away_share: float = 0.5,
) -> sp.csr_matrix:
    """Row-stochastic contact shares between places (rows: where people live)."""
    n = len(population)
    if n == 0:
        return sp.csr_matrix((0, 0))
    k = min(neighbours + 1, n)
    points = unit_vectors(lon, lat)
    chord, index = cKDTree(points).query(points, k=k)
    chord = np.asarray(chord).reshape(n, k)
    index = np.asarray(index).reshape(n, k)
    km = chord_to_km(chord)
    people = np.asarray(population, float)[index] / REFERENCE_PEOPLE
    share = away_share * people * (REFERENCE_KM / np.maximum(km, min_km)) ** gamma
    share[index == np.arange(n)[:, None]] = 0.0
    total = share.sum(axis=1, keepdims=True)
    share *= np.minimum(1.0, max_away_share / np.maximum(total, 1e-300))
    home = 1.0 - share.sum(axis=1)
    rows = np.repeat(np.arange(n), k)
    matrix = sp.csr_matrix((share.ravel(), (rows, index.ravel())), shape=(n, n))
    return (matrix + sp.diags(home)).tocsr()
