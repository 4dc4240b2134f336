"""Intermediate care in a network: beds carved from wards, and the nurses that staff them.

Intermediate-care beds (Chile's UTI, Brazil's semi-intensive) sit in hospitals with an ICU, in
proportion to their ICU beds, and are taken out of their ward beds: hospital beds per 1,000
count them already. A facilities table that has an ``intermediate_beds`` column keeps it; one
without gets the country's ``intermediate_beds_per_100k``. Each hospital's nurses are then
split over ward, ICU and intermediate care by the nurses each unit's beds need at the country's
conventional ratios.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from geodata.facilities import MIN_WARD_BEDS, FacilityRules, largest_remainder, nurse_need


def unit_need(
    ward: np.ndarray, icu: np.ndarray, intermediate: np.ndarray, rules: FacilityRules
) -> np.ndarray:
    """Nurses on duty the beds need (columns: ward, ICU, intermediate care)."""
    middle = np.asarray(intermediate, dtype=np.float64) / rules.intermediate_patients_per_nurse
    return np.column_stack([nurse_need(ward, icu, rules), middle])


def split_nurses(headcount: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Each hospital's headcount over its units (columns of ``need``) in proportion to their
    need, in whole nurses that add up to the headcount."""
    headcount = np.asarray(headcount, dtype=np.int64)
    out = np.zeros(need.shape, dtype=np.int64)
    for i in np.flatnonzero((headcount > 0) & (need.sum(axis=1) > 0)).tolist():
        out[i] = largest_remainder(need[i], int(headcount[i]))
    no_need = need.sum(axis=1) <= 0
    out[no_need, 0] = headcount[no_need]
    return out


def add_intermediate_care(
    facilities: pd.DataFrame,
    places: pd.DataFrame,
    rules_of: Callable[[str], FacilityRules],
) -> None:
    """Give ``facilities`` its intermediate-care beds and nurses (columns ``intermediate_beds``
    and ``intermediate_nurses``), in place."""
    if "intermediate_beds" in facilities:
        if "intermediate_nurses" not in facilities:
            facilities["intermediate_nurses"] = 0
        return
    ward = facilities["ward_beds"].to_numpy().astype(np.int64)
    icu = facilities["icu_beds"].to_numpy().astype(np.int64)
    middle = np.zeros(len(facilities), dtype=np.int64)
    people = places.groupby("country")["population"].sum()
    country = facilities["country"].to_numpy()
    for code in sorted(set(country.tolist())):
        rate = rules_of(code).intermediate_beds_per_100k
        here = (country == code) & (icu > 0)
        if rate <= 0 or not here.any():
            continue
        room = np.maximum(ward[here] - MIN_WARD_BEDS, 0)
        total = min(round(float(people.get(code, 0.0)) * rate / 1e5), int(room.sum()))
        if total > 0:
            middle[here] = largest_remainder(icu[here], total, upper=room)
    facilities["intermediate_beds"] = middle
    facilities["ward_beds"] = ward - middle
    if not middle.any():
        facilities["intermediate_nurses"] = 0
        return
    need = np.zeros((len(facilities), 3))
    for code in sorted(set(country.tolist())):
        rows = country == code
        need[rows] = unit_need(ward[rows] - middle[rows], icu[rows], middle[rows], rules_of(code))
    nurses = split_nurses(facilities["nurses"].to_numpy(), need)
    facilities["ward_nurses"] = nurses[:, 0]
    facilities["icu_nurses"] = nurses[:, 1]
    facilities["intermediate_nurses"] = nurses[:, 2]
