"""Facilities synthesised from places and national figures, and catchments by travel time.

Per country, in order (``synthesize_facilities``):

1. hospitals go to towns by population, several in a big city;
2. tiers: tertiary in the big cities, a regional referral hospital in each first-level
   region's main town, general hospitals elsewhere;
3. beds follow each hospital's catchment and tier, ICU beds go to referral hospitals and
   big-city hospitals; the hospitals' share of the national nursing stock is spread over
   them, and within each into ward and ICU, by the nurses their beds need at the country's
   conventional ratios (``nursing_headcount``);
4. rural clinics go to the places that no hospital serves within
   ``clinic_max_access_minutes``;
5. one hub hospital per region answers its clinics' teleconsults.

National figures come from ``/work/shared/params/LATAM.md``; everything else is an
assumption and says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geodata.travel import (
    EARTH_RADIUS_KM,
    TravelRules,
    nearest_by_travel,
    place_settings,
    unit_vectors,
)


@dataclass(frozen=True)
class FacilityRules:
    """National figures that size a country's facilities (units in the names).

    Attributes:
        hospitals_per_100k: hospitals of all tiers per 100,000 people.
        beds_per_1000: hospital beds (ward + ICU) per 1,000 people.
        icu_beds_per_100k: ICU beds per 100,000 people.
        nurses_per_1000: national nursing stock per 1,000 people.
        hospital_nurse_share: share of that stock working in hospitals (assumption: 0.6,
            within the 50-90% of OECD countries, Health at a Glance 2023, "Hospital workers").
        physicians_per_1000: national physician stock; half work in hospitals (assumption).
        ventilators_per_icu_bed: ventilators per ICU bed (assumption: one; national counts
            such as BR 65,411 for 35,682 ICU beds include theatre and transport ventilators).
        ward_patients_per_nurse: the country's conventional ward patients per nurse on duty
            (derived from COFEN 293/2004, BR: 3.8 nursing hours per patient-day in minimal
            care is 6.3 patients per nurse on an 8-hour shift); it weighs each hospital's
            share of the headcount, whatever standard a scenario staffs by.
        icu_patients_per_nurse: the same in the ICU (CL, Colegio Médico 2020: one nurse per
            2-3 ICU beds).
        intermediate_beds_per_100k: intermediate-care beds per 100,000 people, carved from
            the ward beds of hospitals with an ICU (``regional.network``).
        intermediate_patients_per_nurse: the same in intermediate care (COFEN 293/2004: 9.4
            nursing hours per semi-intensive patient-day, 2.55 patients per nurse, derived).
        min_hospital_town_population: smallest town with a hospital (assumption).
        clinic_max_access_minutes: a place farther than this from every hospital gets a
            rural clinic (assumption).
        tertiary_city_population: smallest city with a tertiary hospital (assumption).
        people_per_tertiary: city people per tertiary hospital (assumption).
    """

    hospitals_per_100k: float
    beds_per_1000: float
    icu_beds_per_100k: float
    nurses_per_1000: float
    physicians_per_1000: float
    ventilators_per_icu_bed: float = 1.0
    intermediate_beds_per_100k: float = 0.0
    intermediate_patients_per_nurse: float = 2.5
    hospital_nurse_share: float = 0.6
    ward_patients_per_nurse: float = 6.0
    icu_patients_per_nurse: float = 2.0
    min_hospital_town_population: int = 5_000
    clinic_max_access_minutes: float = 45.0
    tertiary_city_population: int = 500_000
    people_per_tertiary: int = 1_500_000


COUNTRY_RULES: dict[str, FacilityRules] = {
    "CL": FacilityRules(
        hospitals_per_100k=1.34,  # facilities CL: 231 hospitals (DEIS 2026) / 17.2M people
        beds_per_1000=1.9,  # hospital beds per 1,000 CL: 1.9 (OECD 2025)
        # critical beds CL: 4,528 adult critical beds (ICU + intermediate) in 2025 (MINSAL via
        # press), about half of them intermediate (UTI): 2,264 each over 20.0M people
        icu_beds_per_100k=11.3,
        intermediate_beds_per_100k=11.3,
        nurses_per_1000=4.4,  # nurses per 1,000 CL: 4.4 (OECD)
        physicians_per_1000=3.3,  # physicians per 1,000 CL: 3.3 (OECD)
    ),
    "BR": FacilityRules(
        hospitals_per_100k=2.94,  # facilities BR: 6,398 hospitals (CNES) / 217.5M people
        beds_per_1000=2.1,  # hospital beds per 1,000 BR: 2.1 (437,565 beds, 2018)
        icu_beds_per_100k=21.3,  # ICU beds BR: 21.3 per 100k, public and private (CFM)
        nurses_per_1000=13.5,  # nurses per 1,000 BR: 13.5 incl. technicians (COFEN)
        physicians_per_1000=2.69,  # physicians per 1,000 BR: 2.69 (Demografia Médica 2023)
    ),
    "MX": FacilityRules(
        hospitals_per_100k=1.17,  # facilities MX: about 1,400 public hospitals / 120M people
        beds_per_1000=1.0,  # hospital beds per 1,000 MX: 1.0 (OECD/World Bank 2023)
        icu_beds_per_100k=1.9,  # ICU beds MX: 2,446 public beds, about 1.9 per 100k (2020)
        nurses_per_1000=2.9,  # nurses per 1,000 MX: 2.9 (OECD)
        physicians_per_1000=2.6,  # physicians per 1,000 MX: 2.5-2.7 (OECD), midpoint
    ),
}
DEFAULT_RULES = FacilityRules(
    hospitals_per_100k=2.0,  # assumption
    beds_per_1000=2.1,  # hospital beds per 1,000: LAC average 2.1 (Health at a Glance LAC 2023)
    icu_beds_per_100k=10.0,  # assumption
    nurses_per_1000=4.0,  # assumption
    physicians_per_1000=2.5,  # assumption
)
"""Rules for the countries without their own entry in ``COUNTRY_RULES``."""

FACILITY_COLUMNS: tuple[str, ...] = (
    "facility_id",
    "code",
    "name",
    "kind",
    "tier",
    "place_id",
    "country",
    "region",
    "lon",
    "lat",
    "setting",
    "ward_beds",
    "icu_beds",
    "ventilators",
    "ward_nurses",
    "icu_nurses",
    "nurses",
    "physicians",
    "is_hub",
    "hub_id",
)
CATCHMENT_COLUMNS: tuple[str, ...] = ("place_id", "facility_id", "access_minutes")
TIERS: tuple[str, ...] = ("tertiary", "regional", "general", "clinic")
# Beds follow catchment population times these weights (assumption: referral hospitals
# also take patients from outside their own catchment).
TIER_BED_WEIGHT = {"tertiary": 2.0, "regional": 1.4, "general": 0.8}
LABELS = {
    "es": {
        "tertiary": "Hospital Terciario",
        "regional": "Hospital Regional",
        "general": "Hospital General",
        "clinic": "Posta Rural",
    },
    "pt": {
        "tertiary": "Hospital Terciário",
        "regional": "Hospital Regional",
        "general": "Hospital Geral",
        "clinic": "Posto de Saúde",
    },
}
PORTUGUESE_COUNTRIES = frozenset({"BR"})

MIN_WARD_BEDS = 10
MIN_ICU_BEDS = 4  # smallest ICU unit worth opening (assumption)
ICU_CITY_POPULATION = 100_000  # general hospitals of cities this big may have an ICU
PEOPLE_PER_HOSPITAL_MAX = 20_000  # a place gets at most ceil(pop / this) hospitals
HOSPITAL_PHYSICIAN_SHARE = 0.5  # assumption: half of the physicians work in hospitals
MAX_OFFSET_KM = 3.0  # extra hospitals of one place spread within this radius
_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))

INT32_COLUMNS = (
    "facility_id",
    "ward_beds",
    "icu_beds",
    "ventilators",
    "ward_nurses",
    "icu_nurses",
    "nurses",
    "physicians",
    "hub_id",
)


def largest_remainder(
    weights: npt.ArrayLike,
    total: int,
    lower: npt.ArrayLike | None = None,
    upper: npt.ArrayLike | None = None,
) -> np.ndarray:
    """Integers proportional to ``weights`` within [lower, upper] that add up to ``total``.

    The continuous shares are water-filled between the bounds, then rounded by largest
    remainder (ties to the lower index). When the bounds make ``total`` impossible, the
    nearest bound wins (every entry at ``lower`` or every entry at ``upper``).
    """
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    lo = np.broadcast_to(np.asarray(0 if lower is None else lower, dtype=np.int64), (n,))
    hi = np.broadcast_to(
        np.asarray(max(total, 0) if upper is None else upper, dtype=np.int64), (n,)
    )
    hi = np.maximum(hi, lo)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if total <= lo.sum():
        return lo.copy()
    if total >= hi.sum():
        return hi.copy()
    # Zero weights would never move off their lower bound, even when the total needs them;
    # a floor relative to the largest weight keeps the divisions below finite.
    w = np.maximum(w / w.max(), 1e-12) if w.max() > 0 else np.ones(n)
    x = np.zeros(n)
    free = np.ones(n, dtype=bool)
    while True:
        rest = total - x[~free].sum()
        y = rest * w / w[free].sum()
        below = free & (y < lo)
        above = free & (y > hi)
        if not (below.any() or above.any()):
            x[free] = y[free]
            break
        # The side that violates more is certainly clamped in the solution: fix it, redo.
        if (lo - y)[below].sum() >= (y - hi)[above].sum():
            x[below], free[below] = lo[below], False
        else:
            x[above], free[above] = hi[above], False
    out = np.clip(np.floor(x + 1e-9).astype(np.int64), lo, hi)
    remainder = x - out
    index = np.arange(n)
    while (short := total - int(out.sum())) != 0:
        room = out < hi if short > 0 else out > lo
        key = np.where(room, remainder if short > 0 else -remainder, -np.inf)
        take = np.lexsort((index, -key))[: min(abs(short), int(room.sum()))]
        out[take] += 1 if short > 0 else -1
        remainder[take] -= 1 if short > 0 else -1
    return out


def _allocate_hospitals(pop: np.ndarray, count: int, min_town: int) -> np.ndarray:
    """Hospitals per place; ``pop`` sorted from the largest place down."""
    cap = np.where(
        pop >= min_town, np.maximum(1, np.ceil(pop / PEOPLE_PER_HOSPITAL_MAX)), 0
    ).astype(np.int64)
    if cap.sum() < count:  # too few towns: open the next biggest places, one hospital each
        extra = np.flatnonzero(cap == 0)[: count - int(cap.sum())]
        cap[extra] = 1
    return largest_remainder(np.where(cap > 0, pop, 0.0), min(count, int(cap.sum())), upper=cap)


def _ring_offsets(
    lon: np.ndarray, lat: np.ndarray, k: np.ndarray, n_here: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The k-th hospital of a place (k >= 1) on a sunflower spiral of up to 3 km."""
    # exact destination point on the sphere, so the 3 km bound holds at any latitude
    delta = MAX_OFFSET_KM * np.sqrt(k / np.maximum(n_here - 1, 1)) / EARTH_RADIUS_KM
    bearing = k * _GOLDEN_ANGLE
    lat1, lon1 = np.radians(lat), np.radians(lon)
    lat2 = np.arcsin(np.sin(lat1) * np.cos(delta) + np.cos(lat1) * np.sin(delta) * np.cos(bearing))
    lon2 = lon1 + np.arctan2(
        np.sin(bearing) * np.sin(delta) * np.cos(lat1), np.cos(delta) - np.sin(lat1) * np.sin(lat2)
    )
    return np.where(k > 0, np.degrees(lon2), lon), np.where(k > 0, np.degrees(lat2), lat)


def _country_facilities(
    places: pd.DataFrame, rules: FacilityRules, travel: TravelRules
) -> pd.DataFrame:
    """One country's facilities in id order, with country-local ``hub_id``.

    ``places`` is one country's places sorted by population (largest first) and place id,
    on a 0..n-1 index, with a ``setting`` column.
    """
    pop = places["population"].to_numpy(dtype=np.float64)
    lon = places["lon"].to_numpy(dtype=np.float64)
    lat = places["lat"].to_numpy(dtype=np.float64)
    region = places["region"].to_numpy()
    remote = places["setting"].to_numpy() == "remote"
    total_pop = float(pop.sum())

    # a. hospitals per place
    count = max(1, round(total_pop * rules.hospitals_per_100k / 1e5))
    alloc = _allocate_hospitals(pop, count, rules.min_hospital_town_population)
    hosp_place = np.flatnonzero(alloc)  # largest first
    n_here = alloc[hosp_place]

    # b. tiers: k = 0, 1, ... within a place; tertiary first, then one regional per region
    tertiary = np.where(
        pop[hosp_place] >= rules.tertiary_city_population,
        np.maximum(1, np.rint(pop[hosp_place] / rules.people_per_tertiary)),
        0,
    )
    tertiary[0] = max(tertiary[0], 1)  # the largest city always has one
    tertiary = np.minimum(tertiary, n_here).astype(np.int64)
    _, region_first = np.unique(region[hosp_place], return_index=True)
    regional_place = np.zeros(len(hosp_place), dtype=bool)
    regional_place[region_first] = tertiary[region_first] == 0

    place_row = np.repeat(hosp_place, n_here)
    starts = np.repeat(np.cumsum(n_here) - n_here, n_here)
    k = np.arange(len(place_row)) - starts
    n_same = np.repeat(n_here, n_here)
    tier = np.where(
        k < np.repeat(tertiary, n_here),
        "tertiary",
        np.where((k == 0) & np.repeat(regional_place, n_here), "regional", "general"),
    )

    # c. beds follow catchment population x tier weight; a town's hospitals share its catchment
    served_by, _ = nearest_by_travel(
        lon, lat, remote, lon[hosp_place], lat[hosp_place], remote[hosp_place], travel
    )
    served = np.bincount(served_by, weights=pop, minlength=len(hosp_place))
    weight = np.repeat(served / n_here, n_here) * pd.Series(tier).map(TIER_BED_WEIGHT).to_numpy(
        dtype=np.float64
    )
    total_beds = round(total_pop * rules.beds_per_1000 / 1000.0)
    beds = largest_remainder(weight, total_beds, lower=MIN_WARD_BEDS)
    icu = icu_beds_by_tier(
        beds, tier, pop[place_row], round(total_pop * rules.icu_beds_per_100k / 1e5)
    )
    ward = beds - icu

    h_lon, h_lat = _ring_offsets(lon[place_row], lat[place_row], k, n_same)
    hospital_physicians = total_pop * rules.physicians_per_1000 / 1000.0 * HOSPITAL_PHYSICIAN_SHARE
    stock = round(total_pop * rules.nurses_per_1000 / 1000.0 * rules.hospital_nurse_share)
    ward_nurses, icu_nurses = nursing_headcount(ward, icu, stock, rules)
    hospitals = pd.DataFrame(
        {
            "place_row": place_row,
            "k": k,
            "kind": "hospital",
            "tier": tier,
            "lon": h_lon,
            "lat": h_lat,
            "ward_beds": ward,
            "icu_beds": icu,
            "ventilators": np.rint(icu * rules.ventilators_per_icu_bed).astype(np.int64),
            "ward_nurses": ward_nurses,
            "icu_nurses": icu_nurses,
            "nurses": ward_nurses + icu_nurses,
            "physicians": np.maximum(1, np.rint(hospital_physicians * beds / beds.sum())),
        }
    )

    # d. rural clinics where the nearest hospital is too far
    _, minutes = nearest_by_travel(lon, lat, remote, h_lon, h_lat, remote[place_row], travel)
    far = minutes > rules.clinic_max_access_minutes
    far[hosp_place] = False
    clinic_row = np.flatnonzero(far)
    clinics = pd.DataFrame(
        {
            "place_row": clinic_row,
            "k": 0,
            "kind": "clinic",
            "tier": "clinic",
            "lon": lon[clinic_row],
            "lat": lat[clinic_row],
            "ward_beds": 0,
            "icu_beds": 0,
            "ventilators": 0,
            "ward_nurses": 0,
            "icu_nurses": 0,
            "nurses": 0,
            "physicians": 1,
        }
    )

    # ids: hospitals first, by tier, then by place (largest first) and k; clinics by place
    hospitals["tier_order"] = hospitals["tier"].map(TIERS.index)
    hospitals = hospitals.sort_values(["tier_order", "place_row", "k"], kind="stable")
    out = pd.concat([hospitals.drop(columns="tier_order"), clinics], ignore_index=True)
    out["region"] = region[out["place_row"].to_numpy()]
    out["is_hub"], out["hub_id"] = assign_hubs(out)
    return out


def nurse_need(ward: np.ndarray, icu: np.ndarray, rules: FacilityRules) -> np.ndarray:
    """Nurses on duty the beds need at the country's conventional ratios (ward, ICU columns)."""
    return np.column_stack(
        [
            np.asarray(ward, dtype=np.float64) / rules.ward_patients_per_nurse,
            np.asarray(icu, dtype=np.float64) / rules.icu_patients_per_nurse,
        ]
    )


def split_by_need(headcount: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each hospital's headcount into ward and ICU nurses in proportion to their need."""
    total = need.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        icu_share = np.where(total > 0, need[:, 1] / total, 0.0)
    headcount = np.asarray(headcount, dtype=np.int64)
    icu = np.minimum(np.floor(headcount * icu_share + 0.5).astype(np.int64), headcount)
    return headcount - icu, icu


def nursing_headcount(
    ward: np.ndarray, icu: np.ndarray, stock: int, rules: FacilityRules
) -> tuple[np.ndarray, np.ndarray]:
    """Ward and ICU nurses of each hospital: ``stock`` spread by the nurses its beds need.

    The weights are the country's conventional ratios, never a scenario's standard, so that
    a stricter standard finds the same nurses and closes beds. The headcounts add up to
    ``stock`` (largest remainder).
    """
    need = nurse_need(ward, icu, rules)
    weight = need.sum(axis=1)
    if len(weight) == 0 or weight.sum() <= 0:
        zero = np.zeros(len(weight), dtype=np.int64)
        return zero, zero.copy()
    headcount = largest_remainder(weight, int(stock))
    return split_by_need(headcount, need)


def icu_beds_by_tier(
    beds: np.ndarray, tier: np.ndarray, place_pop: np.ndarray, total: int
) -> np.ndarray:
    """ICU beds in referral hospitals and big-city general hospitals, by their beds."""
    icu = np.zeros(len(beds), dtype=np.int64)
    if total <= 0:
        return icu
    referral = tier != "general"
    eligible = referral | (place_pop >= ICU_CITY_POPULATION)
    # referral hospitals first, then the biggest: they keep their ICU when units are scarce
    ranked = np.lexsort((np.arange(len(beds)), -beds, ~referral, ~eligible))
    n_units = max(1, min(int(eligible.sum()), total // MIN_ICU_BEDS))
    room = np.maximum(beds[ranked] - MIN_WARD_BEDS, 0)
    # if those units cannot hold the total and keep their ward beds, open more units
    n_units = max(n_units, int(np.searchsorted(np.cumsum(room), total)) + 1)
    chosen = ranked[:n_units]
    upper = room[:n_units]
    icu[chosen] = largest_remainder(
        beds[chosen], total, lower=np.minimum(MIN_ICU_BEDS, upper), upper=upper
    )
    return icu


def assign_hubs(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One hub per region with hospitals; each clinic links to its region's or nearest hub."""
    from scipy.spatial import cKDTree

    n = len(frame)
    hospital = (frame["kind"] == "hospital").to_numpy()
    priority = frame["tier"].map({"regional": 0, "tertiary": 1, "general": 2}).to_numpy()
    size = (frame["ward_beds"] + frame["icu_beds"]).to_numpy()
    candidates = pd.DataFrame(
        {"region": frame["region"], "priority": priority, "size": -size, "row": np.arange(n)}
    )[hospital]
    best = candidates.sort_values(["priority", "size", "row"]).drop_duplicates("region")
    is_hub = np.zeros(n, dtype=bool)
    is_hub[best["row"].to_numpy()] = True
    hub_id = np.full(n, -1, dtype=np.int64)
    clinic = ~hospital
    if clinic.any():
        by_region = dict(zip(best["region"], best["row"], strict=True))
        hub_id[clinic] = frame.loc[clinic, "region"].map(by_region).fillna(-1).to_numpy()
        orphan = clinic & (hub_id < 0)
        if orphan.any():
            hub_rows = best["row"].to_numpy()
            lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
            _, nearest = cKDTree(unit_vectors(lon[hub_rows], lat[hub_rows])).query(
                unit_vectors(lon[orphan], lat[orphan]), k=1
            )
            hub_id[orphan] = hub_rows[np.asarray(nearest, dtype=np.int64)]
    return is_hub, hub_id


def synthesize_facilities(
    places: pd.DataFrame,
    rules: Mapping[str, FacilityRules] | FacilityRules,
    travel: TravelRules,
    seed: int = 0,
) -> pd.DataFrame:
    """Hospitals, rural clinics and telemedicine hubs for the given places.

    Args:
        places: ``load_places`` output; a ``setting`` column is computed with
            ``place_settings`` (over the whole frame) when missing.
        rules: one set of rules for all, or rules by country (``DEFAULT_RULES`` for a
            country without an entry).
        travel: travel-time rules for catchments and clinic access.
        seed: accepted for a stable signature; the layout is deterministic and ignores it.

    Returns:
        One row per facility with ``FACILITY_COLUMNS``; ``facility_id`` is 0..n-1 ordered by
        country, kind (hospitals first), tier, place population (largest first), place id
        and the hospital's rank within its place. ``hub_id`` is -1 for hospitals.
    """
    del seed
    if "setting" not in places:
        places = places.assign(setting=place_settings(places))
    frames = []
    offset = 0
    for country, group in places.groupby("country", sort=True):
        group = group.sort_values(
            ["population", "place_id"], ascending=[False, True], kind="stable"
        ).reset_index(drop=True)
        r = rules if isinstance(rules, FacilityRules) else rules.get(str(country), DEFAULT_RULES)
        frame = _country_facilities(group, r, travel)
        rows = frame["place_row"].to_numpy()
        frame["place_id"] = group["place_id"].to_numpy(dtype=np.int64)[rows]
        frame["country"] = str(country)
        frame["setting"] = group["setting"].to_numpy()[rows]
        frame["name"] = _names(frame, group["name"].to_numpy()[rows], str(country))
        hospital = (frame["kind"] == "hospital").to_numpy()
        number = np.where(hospital, np.cumsum(hospital), np.cumsum(~hospital))
        frame["code"] = [
            f"{country}-{'H' if h else 'C'}{m:05d}" for h, m in zip(hospital, number, strict=True)
        ]
        frame["facility_id"] = offset + np.arange(len(frame))
        frame["hub_id"] = np.where(frame["hub_id"] >= 0, frame["hub_id"] + offset, -1)
        offset += len(frame)
        frames.append(frame)
    if not frames:
        return _empty_facilities()
    out = pd.concat(frames, ignore_index=True).loc[:, list(FACILITY_COLUMNS)]
    for column in INT32_COLUMNS:
        out[column] = out[column].astype(np.int32)
    out["place_id"] = out["place_id"].astype(np.int64)
    out["lon"] = out["lon"].astype(np.float64)
    out["lat"] = out["lat"].astype(np.float64)
    out["is_hub"] = out["is_hub"].astype(bool)
    return out


def _names(frame: pd.DataFrame, place_names: np.ndarray, country: str) -> list[str]:
    """ "Hospital General Santiago 3": label, place, and a number when the tier repeats."""
    labels = LABELS["pt" if country in PORTUGUESE_COUNTRIES else "es"]
    groups = frame.groupby(["place_row", "tier"], sort=False)["k"]
    counts = groups.transform("size").to_numpy()
    rank = groups.cumcount().to_numpy() + 1
    return [
        f"{labels[t]} {p}" + (f" {r}" if c > 1 else "")
        for t, p, c, r in zip(frame["tier"], place_names, counts, rank, strict=True)
    ]


def _empty_facilities() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in FACILITY_COLUMNS})
    for column in INT32_COLUMNS:
        out[column] = out[column].astype(np.int32)
    return out.astype({"place_id": np.int64, "lon": np.float64, "lat": np.float64, "is_hub": bool})


def assign_catchments(
    places: pd.DataFrame, facilities: pd.DataFrame, travel: TravelRules
) -> pd.DataFrame:
    """Each place's first facility (of any kind) by trip minutes.

    Args:
        places: places with ``place_id``, ``lon``, ``lat`` and ``setting`` (computed with
            ``place_settings`` when missing).
        facilities: ``synthesize_facilities`` output (or any frame with its columns).
        travel: travel-time rules.

    Returns:
        ``CATCHMENT_COLUMNS`` in the order of ``places``: ``place_id`` (int64),
        ``facility_id`` (int32) and ``access_minutes`` (float64).
    """
    setting = places["setting"].to_numpy() if "setting" in places else place_settings(places)
    index, minutes = nearest_by_travel(
        places["lon"].to_numpy(dtype=np.float64),
        places["lat"].to_numpy(dtype=np.float64),
        setting == "remote",
        facilities["lon"].to_numpy(dtype=np.float64),
        facilities["lat"].to_numpy(dtype=np.float64),
        facilities["setting"].to_numpy() == "remote",
        travel,
    )
    return pd.DataFrame(
        {
            "place_id": places["place_id"].to_numpy(dtype=np.int64),
            "facility_id": facilities["facility_id"].to_numpy()[index].astype(np.int32),
            "access_minutes": minutes.astype(np.float64),
        }
    )
