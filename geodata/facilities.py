"""Facilities synthesised from places and national figures, and catchments by travel time.

Hospitals go to towns by population (several in a large city), in tiers: tertiary in the big
cities, one regional referral hospital per first-level region, general hospitals elsewhere.
Beds, ICU beds, ventilators and staff follow national per-capita figures
(``/shared/params/LATAM.md``). Rural clinics go to the places that no hospital serves within
``clinic_max_access_minutes``; each region's hub hospital answers its clinics' teleconsults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.travel import TravelRules, haversine_km, nearest_by_travel, place_settings


@dataclass(frozen=True)
class FacilityRules:
    """National figures that size a country's facilities (units in the names)."""

    hospitals_per_100k: float
    beds_per_1000: float
    icu_beds_per_100k: float
    nurses_per_1000: float
    physicians_per_1000: float
    ventilators_per_icu_bed: float = 1.0  # assumption: one ventilator per ICU bed
    ward_patients_per_nurse: float = 6.0  # assumption (COFEN 293/2004 hours imply 4-8)
    icu_patients_per_nurse: float = 2.0  # CL: 1 nurse per 2-3 ICU beds (Colegio Médico)
    shifts_per_day: int = 3
    min_hospital_town_population: int = 5_000  # assumption
    clinic_max_access_minutes: float = 45.0  # assumption
    tertiary_city_population: int = 500_000  # assumption
    people_per_tertiary: int = 1_500_000  # assumption


COUNTRY_RULES: dict[str, FacilityRules] = {
    # CL: 231 hospitals (DEIS 2026) / 17.2M = 1.34 per 100k; 1.9 beds per 1,000 (OECD 2025);
    # ICU 14 per 100k: 2,400 adult ICU beds in May 2020 (MINSAL), between about 6 per 100k
    # pre-COVID and 26 critical beds per 100k in 2025; nurses 4.4, physicians 3.3 per 1,000.
    "CL": FacilityRules(hospitals_per_100k=1.34, beds_per_1000=1.9, icu_beds_per_100k=14.0,
                        nurses_per_1000=4.4, physicians_per_1000=3.3),
    # BR: 6,398 hospitals (CNES 2023-2024) / 217.5M = 2.94 per 100k; 2.1 beds per 1,000 (2018);
    # ICU 21.3 per 100k (CFM); 65,411 ventilators for 35,682 ICU beds (1.83, Silva 2021);
    # nurses 13.5 incl. technicians (COFEN), physicians 2.69 (Demografia Médica 2023).
    "BR": FacilityRules(hospitals_per_100k=2.94, beds_per_1000=2.1, icu_beds_per_100k=21.3,
                        nurses_per_1000=13.5, physicians_per_1000=2.69,
                        ventilators_per_icu_bed=1.83),
    # MX: about 1,400 public hospitals / 120M = 1.17 per 100k (2018); 1.0 beds per 1,000
    # (OECD/World Bank 2023); 2,446 public ICU beds, about 1.9 per 100k (2020); 5,523
    # ventilators (2.26 per ICU bed); nurses 2.9, physicians 2.6 per 1,000 (OECD).
    "MX": FacilityRules(hospitals_per_100k=1.17, beds_per_1000=1.0, icu_beds_per_100k=1.9,
                        nurses_per_1000=2.9, physicians_per_1000=2.6,
                        ventilators_per_icu_bed=2.26),
}
# Other countries: LAC averages where LATAM.md has them (beds 2.1 per 1,000, Health at a
# Glance LAC 2023); hospitals 2.0 per 100k, ICU 10 per 100k, physicians 2.5 and nurses 4.0
# per 1,000 are assumptions.
DEFAULT_RULES = FacilityRules(hospitals_per_100k=2.0, beds_per_1000=2.1, icu_beds_per_100k=10.0,
                              nurses_per_1000=4.0, physicians_per_1000=2.5)

TIER_ORDER = {"tertiary": 0, "regional": 1, "general": 2, "clinic": 3}
TIER_BED_WEIGHT = {"tertiary": 2.0, "regional": 1.4, "general": 0.8}
LABELS = {
    "es": {"tertiary": "Hospital Terciario", "regional": "Hospital Regional",
           "general": "Hospital General", "clinic": "Posta Rural"},
    "pt": {"tertiary": "Hospital Terciário", "regional": "Hospital Regional",
           "general": "Hospital Geral", "clinic": "Posto de Saúde"},
}
FACILITY_COLUMNS = (
    "facility_id", "code", "name", "kind", "tier", "place_id", "country", "region", "lon",
    "lat", "setting", "ward_beds", "icu_beds", "ventilators", "ward_nurses_per_shift",
    "icu_nurses_per_shift", "nurses", "physicians", "is_hub", "hub_id",
)
_INT_COLUMNS = ("facility_id", "ward_beds", "icu_beds", "ventilators", "ward_nurses_per_shift",
                "icu_nurses_per_shift", "nurses", "physicians", "hub_id")


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` exactly."""
    weights = np.asarray(weights, dtype=np.float64)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    quota = weights / weights.sum() * total
    base = np.floor(quota).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        order = np.lexsort((np.arange(len(quota)), -(quota - base)))
        base[order[:short]] += 1
    return base


def _allocate_hospitals(pop: np.ndarray, count: int, min_town: int) -> np.ndarray:
    """Hospitals per place (rows sorted by population, largest first)."""
    n = len(pop)
    eligible = pop >= min_town
    if eligible.sum() == 0:
        eligible[: max(1, min(count, n))] = True
    cap = np.where(eligible, np.maximum(1, np.ceil(pop / 20_000.0)), 0).astype(np.int64)
    if cap.sum() < count:  # not enough towns: relax the threshold to the biggest places
        extra = np.flatnonzero(cap == 0)[: count - int(cap.sum())]
        cap[extra] = 1
    count = min(count, int(cap.sum()))
    quota = np.where(cap > 0, pop, 0.0) / np.where(cap > 0, pop, 0.0).sum() * count
    alloc = np.minimum(np.floor(quota).astype(np.int64), cap)
    while alloc.sum() < count:
        room = alloc < cap
        remainder = np.where(room, quota - alloc, -np.inf)
        order = np.lexsort((np.arange(n), -remainder))
        need = count - int(alloc.sum())
        take = order[: min(need, int(room.sum()))]
        alloc[take] += 1
    return alloc


def _ring_offset(lon: float, lat: float, k: int) -> tuple[float, float]:
    """The k-th extra hospital of a place sits on a ring of up to 3 km around it."""
    if k == 0:
        return lon, lat
    radius_km = 1.5 if k <= 8 else 3.0
    angle = math.radians(137.508 * k)
    dlat = radius_km / 111.32 * math.sin(angle)
    dlon = radius_km / (111.32 * max(math.cos(math.radians(lat)), 0.1)) * math.cos(angle)
    return lon + dlon, lat + dlat


def _country_hospitals(places: pd.DataFrame, rules: FacilityRules,
                       travel: TravelRules) -> pd.DataFrame:
    pop = places["population"].to_numpy(dtype=np.float64)
    total_pop = float(pop.sum())
    count = max(1, round(total_pop * rules.hospitals_per_100k / 1e5))
    alloc = _allocate_hospitals(pop, count, rules.min_hospital_town_population)
    rows = []
    region_best: dict[str, int] = {}
    for i in np.flatnonzero(alloc):
        place = places.iloc[i]
        n_here = int(alloc[i])
        tertiary = 0
        if pop[i] >= rules.tertiary_city_population or i == 0:
            tertiary = min(n_here, max(1, round(pop[i] / rules.people_per_tertiary)))
        for k in range(n_here):
            lon, lat = _ring_offset(float(place["lon"]), float(place["lat"]), k)
            rows.append({
                "place_row": i, "k": k, "tier": "tertiary" if k < tertiary else "general",
                "place_id": int(place["place_id"]), "country": place["country"],
                "region": place["region"], "lon": lon, "lat": lat,
                "place_population": pop[i], "place_name": place["name"],
                "setting": place["setting"],
            })
        region_best.setdefault(str(place["region"]), len(rows) - n_here)
    hospitals = pd.DataFrame(rows)
    # the biggest hospital place of each region gets the regional referral hospital
    for first in region_best.values():
        place_row = hospitals.at[first, "place_row"]
        same = hospitals.index[(hospitals["place_row"] == place_row)
                               & (hospitals["tier"] == "general")]
        if len(same):
            hospitals.at[same[0], "tier"] = "regional"

    # catchments: each place to its nearest hospital place; a city's hospitals share it
    hosp_places = hospitals.drop_duplicates("place_row")
    remote = places["setting"].to_numpy() == "remote"
    nearest, _ = nearest_by_travel(
        places["lon"].to_numpy(), places["lat"].to_numpy(), remote,
        hosp_places["lon"].to_numpy(), hosp_places["lat"].to_numpy(),
        hosp_places["setting"].to_numpy() == "remote", travel,
    )
    served = np.bincount(nearest, weights=pop, minlength=len(hosp_places))
    per_place = dict(zip(hosp_places["place_row"], served, strict=True))
    n_in_place = hospitals.groupby("place_row")["k"].transform("size").to_numpy()
    catchment = hospitals["place_row"].map(per_place).to_numpy() / n_in_place
    weight = catchment * hospitals["tier"].map(TIER_BED_WEIGHT).to_numpy()
    beds = largest_remainder(weight + 1e-9, round(total_pop * rules.beds_per_1000 / 1000.0))
    # ICUs in referral hospitals, then in the biggest general hospitals of cities of 100,000
    # or more, as many as keep units at about 8 beds or more on average
    total_icu = round(total_pop * rules.icu_beds_per_100k / 1e5)
    referral = (hospitals["tier"] != "general").to_numpy()
    city = hospitals["place_population"].to_numpy() >= 100_000
    rank = np.lexsort((np.arange(len(beds)), -beds, ~referral))
    wanted = max(int(referral.sum()), min(int((referral | city).sum()), total_icu // 8))
    icu_eligible = np.zeros(len(beds), dtype=bool)
    icu_eligible[[i for i in rank if referral[i] or city[i]][:wanted]] = True
    icu = largest_remainder(np.where(icu_eligible, beds, 0.0), total_icu)
    ward = np.maximum(10, beds - icu)
    hospitals["ward_beds"] = ward
    hospitals["icu_beds"] = icu
    hospitals["ventilators"] = np.round(icu * rules.ventilators_per_icu_bed).astype(np.int64)
    hospitals["ward_nurses_per_shift"] = np.ceil(ward / rules.ward_patients_per_nurse)
    hospitals["icu_nurses_per_shift"] = np.ceil(icu / rules.icu_patients_per_nurse)
    hospitals["nurses"] = (hospitals["ward_nurses_per_shift"]
                           + hospitals["icu_nurses_per_shift"]) * rules.shifts_per_day
    physicians = total_pop * rules.physicians_per_1000 / 1000.0 * 0.5  # half work in hospitals
    hospitals["physicians"] = np.maximum(1, np.round(physicians * (ward + icu)
                                                     / max(1, (ward + icu).sum())))
    hospitals["kind"] = "hospital"
    return hospitals


def synthesize_facilities(
    places: pd.DataFrame,
    rules: Mapping[str, FacilityRules] | FacilityRules,
    travel: TravelRules,
    seed: int = 0,
) -> pd.DataFrame:
    """Hospitals, rural clinics and telemedicine hubs for the given places.

    Args:
        places: ``load_places`` output (a ``setting`` column is added when missing).
        rules: one set of rules, or rules by country (``DEFAULT_RULES`` when missing).
        travel: travel-time rules for catchments.
        seed: unused by the deterministic layout; kept for stable signatures.

    Returns:
        One row per facility with ``FACILITY_COLUMNS``, ids 0..n-1.
    """
    del seed
    places = places.reset_index(drop=True)
    if "setting" not in places:
        places = places.assign(setting=place_settings(places))
    frames = []
    for country, group in places.groupby("country", sort=True):
        group = group.sort_values(["population", "place_id"], ascending=[False, True])
        group = group.reset_index(drop=True)
        r = rules if isinstance(rules, FacilityRules) else rules.get(str(country), DEFAULT_RULES)
        hospitals = _country_hospitals(group, r, travel)
        clinics = _country_clinics(group, hospitals, r, travel)
        frames.append(_hubs(pd.concat([hospitals, clinics], ignore_index=True)))
    out = pd.concat(frames, ignore_index=True)
    out["tier_order"] = out["tier"].map(TIER_ORDER)
    out["kind_order"] = (out["kind"] == "clinic").astype(int)
    out = out.sort_values(["country", "kind_order", "tier_order", "place_population",
                           "place_id", "k"],
                          ascending=[True, True, True, False, True, True]).reset_index(drop=True)
    old_index = out.index.to_numpy()
    out["facility_id"] = np.arange(len(out))
    remap = dict(zip(out["_key"], out["facility_id"], strict=True))
    out["hub_id"] = out["_hub_key"].map(lambda key: remap.get(key, -1)).astype(np.int64)
    del old_index
    number = out.groupby(["country", "kind"]).cumcount() + 1
    letter = np.where(out["kind"] == "hospital", "H", "C")
    out["code"] = [f"{c}-{letter_}{n:05d}" for c, letter_, n in
                   zip(out["country"], letter, number, strict=True)]
    out["name"] = _names(out)
    for column in _INT_COLUMNS:
        out[column] = out[column].astype(np.int32)
    out["place_id"] = out["place_id"].astype(np.int64)
    out["is_hub"] = out["is_hub"].astype(bool)
    return out.loc[:, list(FACILITY_COLUMNS)]


def _country_clinics(places: pd.DataFrame, hospitals: pd.DataFrame, rules: FacilityRules,
                     travel: TravelRules) -> pd.DataFrame:
    with_hospital = set(hospitals["place_row"])
    candidates = places.loc[~places.index.isin(list(with_hospital))]
    if candidates.empty:
        return pd.DataFrame(columns=hospitals.columns)
    _, minutes = nearest_by_travel(
        candidates["lon"].to_numpy(), candidates["lat"].to_numpy(),
        candidates["setting"].to_numpy() == "remote",
        hospitals["lon"].to_numpy(), hospitals["lat"].to_numpy(),
        hospitals["setting"].to_numpy() == "remote", travel,
    )
    far = candidates.loc[minutes > rules.clinic_max_access_minutes]
    return pd.DataFrame({
        "place_row": far.index.to_numpy(), "k": 0, "tier": "clinic",
        "place_id": far["place_id"].to_numpy(), "country": far["country"].to_numpy(),
        "region": far["region"].to_numpy(), "lon": far["lon"].to_numpy(),
        "lat": far["lat"].to_numpy(), "place_population": far["population"].to_numpy(),
        "place_name": far["name"].to_numpy(), "setting": far["setting"].to_numpy(),
        "ward_beds": 0, "icu_beds": 0, "ventilators": 0, "ward_nurses_per_shift": 0,
        "icu_nurses_per_shift": 0, "nurses": 0, "physicians": 1, "kind": "clinic",
    })


def _hubs(frame: pd.DataFrame) -> pd.DataFrame:
    """One hub per region with hospitals; every clinic links to its region's (or nearest) hub."""
    frame = frame.reset_index(drop=True)
    frame["_key"] = [f"{c}:{p}:{k}:{t}" for c, p, k, t in
                     zip(frame["country"], frame["place_id"], frame["k"], frame["kind"],
                         strict=True)]
    hospitals = frame[frame["kind"] == "hospital"]
    frame["is_hub"] = False
    hub_of_region: dict[str, int] = {}
    for region, group in hospitals.groupby("region", sort=True):
        ranked = group.assign(order=group["tier"].map({"regional": 0, "tertiary": 1,
                                                      "general": 2}),
                              size=-(group["ward_beds"] + group["icu_beds"]))
        best = ranked.sort_values(["order", "size", "place_id", "k"]).index[0]
        frame.at[best, "is_hub"] = True
        hub_of_region[str(region)] = best
    hubs = frame[frame["is_hub"]]
    hub_key = []
    for _, row in frame.iterrows():
        if row["kind"] != "clinic":
            hub_key.append("")
            continue
        hub = hub_of_region.get(str(row["region"]))
        if hub is None:
            d = haversine_km(row["lon"], row["lat"], hubs["lon"].to_numpy(),
                             hubs["lat"].to_numpy())
            hub = hubs.index[int(np.argmin(d))]
        hub_key.append(frame.at[hub, "_key"])
    frame["_hub_key"] = hub_key
    return frame


def _names(frame: pd.DataFrame) -> list[str]:
    counts = frame.groupby(["place_id", "tier"])["k"].transform("size").to_numpy()
    rank = frame.groupby(["place_id", "tier"]).cumcount().to_numpy() + 1
    names = []
    for country, tier, place, n, r in zip(frame["country"], frame["tier"], frame["place_name"],
                                          counts, rank, strict=True):
        label = LABELS["pt" if country == "BR" else "es"][tier]
        names.append(f"{label} {place}" + (f" {r}" if n > 1 else ""))
    return names


def assign_catchments(places: pd.DataFrame, facilities: pd.DataFrame,
                      travel: TravelRules) -> pd.DataFrame:
    """Each place's first facility (any kind) by travel time, and the minutes to reach it."""
    setting = places["setting"].to_numpy() if "setting" in places else place_settings(places)
    index, minutes = nearest_by_travel(
        places["lon"].to_numpy(), places["lat"].to_numpy(), setting == "remote",
        facilities["lon"].to_numpy(), facilities["lat"].to_numpy(),
        facilities["setting"].to_numpy() == "remote", travel,
    )
    return pd.DataFrame({
        "place_id": places["place_id"].to_numpy(),
        "facility_id": facilities["facility_id"].to_numpy()[index].astype(np.int32),
        "access_minutes": minutes.astype(np.float64),
    })
