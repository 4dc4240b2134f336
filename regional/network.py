"""The network of a scenario: places, facilities, catchments, staffing, shards.

Built from GeoNames places for the built-in scenarios: facilities are synthesised from
national figures (``geodata.facilities``), each place is served first by its nearest facility
by travel time, and the network is cut into shards (``regional.partition``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents import CarePolicy
from agents.pathway import Need
from agents.telemedicine import OfficeHours
from geodata.facilities import (
    COUNTRY_RULES,
    DEFAULT_RULES,
    FacilityRules,
    assign_catchments,
    synthesize_facilities,
)
from geodata.odmatrix import RoadMinutes, match_matrix, road_catchments, transfer_fallbacks
from geodata.places import load_places
from geodata.sectors import COUNTRY_SECTORS, SectorMix, sector_mix
from geodata.travel import TravelRules, leg_codes, nearest_by_travel, place_settings
from regional.census import census_loads
from regional.demand import CourseTables, DemandModel, PlaceTable
from regional.intermediate import add_intermediate_care, split_nurses, unit_need
from regional.partition import partition
from regional.scenario import Scenario, ScenarioError
from regional.shard import TIER_RANK, HospitalDirectory, ShardSpec
from regional.staffing import StaffingRules, nominal_staffed
from regional.surge import SurgeRule

# Hospital admissions per 1,000 people per year (docs/sources.md): BR 56 (11.6M SUS admissions,
# 2017), MX 47 (16,000 a day, 2018), CL 85 (discharges, 2021); elsewhere the LAC-11 average, 51.2.
# The three countries' runs take their sectors' rates instead (geodata.sectors), which come
# back to these figures for the sectors they count.
ADMISSIONS_PER_1000_YEAR = {"BR": 56.0, "MX": 47.0, "CL": 85.0}
ADMISSIONS_LAC_AVERAGE = 51.2
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
# What an episode that starts at a rural clinic costs a shard, in episodes that start at a
# hospital: the clinic's part, the teleconsult messages, the transfer, and the hospital stay that
# follows nearby. Brazil on two shards for 10 days: the shards' compute was 6.51 s and 7.43 s
# with equal weights, 6.89 s and 6.87 s with this one.
CLINIC_EPISODE_WORK = 4.0


@dataclass
class Network:
    """A scenario's network, ready to be cut into shards."""

    scenario: Scenario
    places: pd.DataFrame
    facilities: pd.DataFrame
    demand: pd.DataFrame
    travel: TravelRules
    filled: dict[str, str]
    skipped: pd.DataFrame | None = None
    road: RoadMinutes | None = None  # a routing engine's minutes, where the scenario has them
    boundary: Any = None  # shapely polygons (EPSG:4326) that clip the catchments
    rows: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)  # per file:
    # rows read and rows left out as bad rows (registry files only)
    epidemic: pd.DataFrame | None = None  # per place and day: infections, expected admissions
    epidemic_per_point: np.ndarray | None = None  # expected admissions, demand points x days
    census: pd.DataFrame | None = None  # the census the run starts from (regional.snapshot)

    @property
    def shard_of_facility(self) -> np.ndarray:
        """Shard index by facility id (facility ids are 0..n-1)."""
        return self.facilities["shard"].to_numpy(dtype=np.int32)

    def partition_summary(self) -> dict[str, Any]:
        """Each shard's facilities and expected load, and the share of flow that crosses."""
        f = self.facilities
        shards = []
        for s in sorted(f["shard"].unique()):
            group = f[f["shard"] == s]
            shards.append(
                {
                    "shard": int(s),
                    "facilities": len(group),
                    "hospitals": int((group["kind"] == "hospital").sum()),
                    "expected_patients_per_day": round(float(group["expected_load"].sum()), 2),
                }
            )
        return {"shards": shards, "crossing_flow_share": round(self.crossing_flow_share(), 4)}

    def crossing_flow_share(self) -> float:
        """Expected share of transfers and referrals that cross shards.

        A clinic's flow goes to its hub; the ICU patients of a hospital without an ICU (about
        8% of its patients) go to the nearest hospital with one.
        """
        f = self.facilities
        shard = f["shard"].to_numpy()
        load = f["expected_load"].to_numpy()
        hub = f["hub_id"].to_numpy()
        clinic = (f["kind"].to_numpy() == "clinic") & (hub >= 0)
        flow = float(load[clinic].sum())
        crossing = float(load[clinic][shard[hub[clinic]] != shard[clinic]].sum())
        hospital = f["kind"].to_numpy() == "hospital"
        has_icu = hospital & (f["icu_beds"].to_numpy() > 0)
        no_icu = hospital & ~has_icu
        if has_icu.any() and no_icu.any():
            lon, lat, remote = f["lon"].to_numpy(), f["lat"].to_numpy(), f["remote"].to_numpy()
            nearest, _ = nearest_by_travel(
                lon[no_icu],
                lat[no_icu],
                remote[no_icu],
                lon[has_icu],
                lat[has_icu],
                remote[has_icu],
                self.travel,
            )
            target = np.flatnonzero(has_icu)[nearest]
            icu_load = load[no_icu] * 0.08
            flow += float(icu_load.sum())
            crossing += float(icu_load[shard[target] != shard[no_icu]].sum())
        return crossing / flow if flow > 0 else 0.0


def facility_rules(scenario: Scenario, country: str) -> FacilityRules:
    """The country's published rules with the scenario's capacity overrides.

    The country's conventional patients per nurse stay: they spread the nursing headcount
    over hospitals, which must not follow the standard a scenario staffs by.
    """
    base = COUNTRY_RULES.get(country, DEFAULT_RULES)
    cap = scenario.capacity
    overrides: dict[str, Any] = {
        "clinic_max_access_minutes": scenario.geography.clinic_max_access_minutes,
    }
    for name in (
        "hospitals_per_100k",
        "beds_per_1000",
        "icu_beds_per_100k",
        "intermediate_beds_per_100k",
        "ventilators_per_icu_bed",
        "nurses_per_1000",
        "hospital_nurse_share",
    ):
        value = getattr(cap, name)
        if value is not None:
            overrides[name] = value
    rules = dataclasses.replace(base, **overrides)
    mix = sectors_of(scenario, country)
    if mix is None:
        return rules
    return dataclasses.replace(
        rules,
        hospitals_per_100k=rules.hospitals_per_100k * mix.bed_share,
        beds_per_1000=rules.beds_per_1000 * mix.bed_share,
        nurses_per_1000=rules.nurses_per_1000 * mix.bed_share,
        physicians_per_1000=rules.physicians_per_1000 * mix.bed_share,
        icu_beds_per_100k=rules.icu_beds_per_100k * mix.icu_share,
        intermediate_beds_per_100k=rules.intermediate_beds_per_100k * mix.icu_share,
    )


def sectors_of(scenario: Scenario, country: str) -> SectorMix | None:
    """The shares of the sectors a scenario simulates in ``country`` (None: the whole system).

    Raises:
        ScenarioError: a country the scenario does not cover, or a sector it lacks.
    """
    chosen = scenario.geography.sectors
    if not chosen:
        return None
    for key in chosen:
        if key not in scenario.geography.countries:
            raise ScenarioError(
                f"geography.sectors: {key!r} is not one of geography.countries "
                f"({', '.join(scenario.geography.countries)}); name sectors of those countries"
            )
    if country not in chosen:
        return None
    if not chosen[country]:
        raise ScenarioError(
            f"geography.sectors.{country}: the list is empty; name at least one sector or "
            "leave the country out for its whole system"
        )
    try:
        return sector_mix(country, chosen[country])
    except KeyError as error:
        raise ScenarioError(f"geography.sectors.{country}: {error.args[0]}") from None


def travel_rules(scenario: Scenario) -> TravelRules:
    """Travel-time rules from the scenario's geography section."""
    g = scenario.geography
    return TravelRules(
        circuity=g.circuity,
        speed_urban_kmh=g.speed_urban_kmh,
        speed_rural_kmh=g.speed_rural_kmh,
        speed_remote_kmh=g.speed_remote_kmh,
        speed_river_kmh=g.speed_river_kmh,
    )


def build_network(scenario: Scenario) -> Network:
    """Places, facilities, catchments, staffing and shards of a scenario."""
    if scenario.data is not None:
        return _network_from_files(scenario)
    try:
        places = load_places(
            scenario.geography.countries, min_population=scenario.geography.min_place_population
        )
    except ValueError as error:
        raise ScenarioError(f"geography.countries: {error}") from None
    places = _in_regions(places, scenario.geography.regions)
    places = places.reset_index(drop=True)
    places["setting"] = place_settings(places)
    travel = travel_rules(scenario)
    rules = {c: facility_rules(scenario, c) for c in scenario.geography.countries}
    facilities = synthesize_facilities(places, rules, travel, seed=0)
    filled = {"facilities": "synthesised from GeoNames places and national figures (all)"}
    for country in scenario.geography.countries:
        mix = sectors_of(scenario, country)
        if mix is not None and scenario.geography.sectors is not None:
            filled[f"sectors {country}"] = (
                f"{', '.join(scenario.geography.sectors[country])}: {mix.bed_share:.1%} of the "
                f"beds, {mix.icu_share:.1%} of the ICU beds, {mix.population_share:.1%} of the "
                f"people, {mix.admissions_per_1000_people_year:.1f} admissions a year per "
                "1,000 people"
            )
    return assemble(scenario, places, facilities, travel, filled)


def _check_region_factors(scenario: Scenario, demand: pd.DataFrame) -> None:
    """Every region a factor is given for has places in the network."""
    unknown = sorted(set(scenario.demand.region_factors) - set(demand["region"].astype(str)))
    if unknown:
        known = ", ".join(sorted(set(demand["region"].astype(str)))[:8])
        raise ScenarioError(
            f"demand.region_factors: {unknown[0]!r} is not a region of the network's places; "
            f"its regions are such as {known}"
        )


def _in_regions(places: pd.DataFrame, regions: list[str]) -> pd.DataFrame:
    """The places of the listed regions (all of them when none is listed)."""
    if not regions:
        return places
    unknown = sorted(set(regions) - set(places["region"]))
    if unknown:
        known = ", ".join(sorted(set(places["region"]))[:8])
        raise ScenarioError(
            f"geography.regions: no places in {unknown[0]!r}; regions of these countries are "
            f"such as {known}"
        )
    return places[places["region"].isin(regions)]


def _network_from_files(scenario: Scenario) -> Network:
    """A network from the scenario's registry files (``data:``)."""
    from geodata.loaders import LoadError, Source, read_boundary
    from geodata.odmatrix import check_ids, read_matrix
    from geodata.registry import FacilitySource, PlaceSource, load_registry

    data = scenario.data
    assert data is not None
    if len(scenario.geography.countries) != 1:
        raise ScenarioError(
            "geography.countries: a network from files is of one country; list just that one"
        )
    country = scenario.geography.countries[0]
    if scenario.geography.sectors:
        raise ScenarioError(
            "geography.sectors: a network from files has the facilities its file lists; "
            "leave sectors out and keep the sectors' rows with data.facilities.filters"
        )

    def source(cls: Any, config: Any, **extra: Any) -> Any:
        return cls(
            Path(config.path),
            config.columns,
            config.delimiter,
            config.encoding,
            config.crs,
            config.filters,
            config.dedupe_on,
            config.decimal,
            **extra,
        )

    facilities = source(
        FacilitySource, data.facilities, kinds=data.facilities.kinds, tiers=data.facilities.tiers
    )
    people = data.places.population_from
    places = source(
        PlaceSource,
        data.places,
        population_from=source(Source, people) if people else None,
        key_chars=data.places.key_chars,
    )
    travel = travel_rules(scenario)
    try:
        loaded = load_registry(
            facilities, places, country, facility_rules(scenario, country), travel, data.on_bad_rows
        )
        matrix = read_matrix(source(Source, data.travel_matrix)) if data.travel_matrix else None
        if matrix is not None and data.travel_matrix is not None:
            check_ids(
                matrix,
                loaded.places["code"],
                loaded.facilities["code"],
                Path(data.travel_matrix.path),
            )
        boundary = (
            read_boundary(Path(data.boundary.path), data.boundary.crs, data.boundary.filters)
            if data.boundary
            else None
        )
    except LoadError as error:
        raise ScenarioError(str(error)) from None
    filled = {"facilities": str(facilities.path), "places": str(places.path), **loaded.filled}
    if len(loaded.skipped):
        filled["skipped_rows"] = f"{len(loaded.skipped)} (see skipped_rows.csv)"
    network = assemble(scenario, loaded.places, loaded.facilities, travel, filled, matrix)
    network.skipped = loaded.skipped
    network.boundary = boundary
    network.rows = loaded.rows
    return network


def assemble(
    scenario: Scenario,
    places: pd.DataFrame,
    facilities: pd.DataFrame,
    travel: TravelRules,
    filled: dict[str, str],
    matrix: pd.DataFrame | None = None,
) -> Network:
    """Finish a network from places and facilities: catchments, demand, staffing, shards.

    ``matrix`` (``geodata.odmatrix.read_matrix``) gives road minutes between coded places and
    facilities; pairs it lacks keep the default travel rules.
    """
    places = places.reset_index(drop=True).copy()
    facilities = facilities.reset_index(drop=True).copy()
    if "setting" not in places:
        places["setting"] = place_settings(places)
    catch = assign_catchments(places, facilities, travel)
    road = None
    if matrix is not None:
        road = match_matrix(matrix, places, facilities)
        catch, no_pair = road_catchments(catch, road)
        fallback, pairs = transfer_fallbacks(road, facilities)
        filled["travel_matrix"] = (
            f"{road.pairs} pairs read, {road.unmatched} with ids of neither a place nor a "
            f"facility; default rules for the access trips of places without a pair and for "
            f"{fallback} of {pairs} facility-to-hospital trips "
            f"({no_pair} of {len(places)} places have no pair)"
        )
    places["facility_id"] = catch["facility_id"].to_numpy()
    places["access_minutes"] = catch["access_minutes"].to_numpy()
    offset = places.drop_duplicates("place_id").set_index("place_id")["utc_offset_hours"]
    facilities["utc_offset_hours"] = (
        offset.reindex(facilities["place_id"].to_numpy()).fillna(0.0).to_numpy(dtype=np.float64)
    )
    add_intermediate_care(facilities, places, lambda c: facility_rules(scenario, c))
    # a town's people are shared among its hospitals by the beds they have before the
    # scenario's what-ifs, so that adding beds changes capacity and leaves demand alone
    demand = demand_points(scenario, places, facilities)
    _check_region_factors(scenario, demand)
    epidemic = None
    if scenario.epidemic is not None:
        from regional.epidemic.network import epidemic_admissions

        epidemic = epidemic_admissions(scenario, places, demand)
    _apply_extra_beds(scenario, facilities)
    _staff(scenario, facilities)
    census = None
    if scenario.census is not None:
        from regional.snapshot.network import census_for

        census, filled["census"] = census_for(scenario, facilities)
    facilities["remote"] = leg_codes(
        facilities["setting"].to_numpy(), facilities["region"].to_numpy()
    )
    offsets = places.drop_duplicates("place_id").set_index("place_id")["utc_offset_hours"]
    facilities["utc_offset_hours"] = (
        offsets.reindex(facilities["place_id"].to_numpy()).fillna(0.0).to_numpy(dtype=np.float64)
    )
    clinic = facilities["kind"].to_numpy() == "clinic"
    fid = facilities["facility_id"].to_numpy()
    facilities["linked"] = (
        clinic
        & (facilities["hub_id"].to_numpy() >= 0)
        & (np.mod(fid * GOLDEN, 1.0) < scenario.telemedicine.coverage)
    )
    daily = {
        kind: np.bincount(
            demand["facility_id"].to_numpy(),
            weights=demand["population"].to_numpy()
            * demand[f"{kind}_rate_per_1000_year"].to_numpy()
            / 1000.0
            / 365.25,
            minlength=len(facilities),
        )
        for kind in ("hospital", "minor")
    }
    load = daily["hospital"] + daily["minor"]
    facilities["expected_load"] = load
    facilities["tele_specialists"] = _tele_specialists(
        scenario, facilities, daily["hospital"], daily["minor"]
    )
    if scenario.shards > len(facilities):
        raise ScenarioError(
            f"shards: {scenario.shards} is more than the {len(facilities)} facilities; "
            f"use at most {len(facilities)}"
        )
    work = np.where(clinic, load * CLINIC_EPISODE_WORK, load)
    facilities["shard"] = partition(facilities, work, scenario.shards)
    network = Network(scenario, places, facilities, demand, travel, filled, road=road)
    network.census = census
    if epidemic is not None:
        network.epidemic_per_point, network.epidemic = epidemic
    return network


def demand_points(
    scenario: Scenario, places: pd.DataFrame, facilities: pd.DataFrame
) -> pd.DataFrame:
    """Where episodes start: each place's people shared among the facilities of the town that
    serves it first, in proportion to their beds (a city with ten hospitals sends its patients
    to all ten). Each row owns a random stream, keyed by its index.
    """
    served_by = facilities.set_index("facility_id").loc[places["facility_id"].to_numpy()]
    first = pd.DataFrame(
        {
            "place_row": np.arange(len(places)),
            "town": served_by["place_id"].to_numpy(),
            "kind": served_by["kind"].to_numpy(),
        }
    )
    weight = np.where(
        facilities["kind"].to_numpy() == "hospital",
        facilities["ward_beds"].to_numpy()
        + facilities["icu_beds"].to_numpy()
        + facilities["intermediate_beds"].to_numpy(),
        1,
    )
    options = pd.DataFrame(
        {
            "town": facilities["place_id"].to_numpy(),
            "kind": facilities["kind"].to_numpy(),
            "facility_id": facilities["facility_id"].to_numpy(),
            "weight": np.maximum(weight, 1).astype(np.float64),
        }
    )
    rows = first.merge(options, on=["town", "kind"], how="left", sort=False)
    rows = rows.sort_values(["place_row", "facility_id"], kind="stable").reset_index(drop=True)
    rows["share"] = rows["weight"] / rows.groupby("place_row")["weight"].transform("sum")
    p = places.iloc[rows["place_row"].to_numpy()].reset_index(drop=True)
    d = scenario.demand
    mixes = {c: sectors_of(scenario, c) for c in p["country"].unique()}
    rate = (
        p["country"].map(lambda c: d.admissions_per_1000_year or admissions_rate(c, mixes[c]))
    ).astype(float)
    shares = {c: 1.0 if m is None else m.population_share for c, m in mixes.items()}
    covered = p["country"].map(shares)
    kind = rows["kind"].to_numpy()
    return pd.DataFrame(
        {
            "place_id": p["place_id"].to_numpy(dtype=np.int64),
            "region": p["region"].to_numpy(),
            "country": p["country"].to_numpy(),
            "lat": p["lat"].to_numpy(dtype=np.float64),
            "utc_offset_hours": p["utc_offset_hours"].to_numpy(dtype=np.float64),
            "population": p["population"].to_numpy(dtype=np.float64) * rows["share"].to_numpy(),
            "facility_id": rows["facility_id"].to_numpy(dtype=np.int32),
            "access_minutes": p["access_minutes"].to_numpy(dtype=np.float64),
            "hospital_rate_per_1000_year": rate.to_numpy(),
            # rural posts are public; hospital emergency visits are the sectors' people's
            "minor_rate_per_1000_year": np.where(
                kind == "clinic",
                d.clinic_presentations_per_1000_year,
                d.ed_visits_per_1000_year * covered.to_numpy(dtype=np.float64),
            ),
        }
    )


def admissions_rate(country: str, mix: SectorMix | None) -> float:
    """Admissions a year per 1,000 people of ``country``: the simulated sectors' admissions
    of their people, every sector's where the scenario names none (``geodata.sectors``), or
    the published figure of a country without a sector table."""
    if mix is None and country in COUNTRY_SECTORS:
        mix = sector_mix(country, COUNTRY_SECTORS[country])
    if mix is not None:
        return mix.admissions_per_1000_people_year
    return ADMISSIONS_PER_1000_YEAR.get(country, ADMISSIONS_LAC_AVERAGE)


def expected_sync_requests_per_day(
    scenario: Scenario, hospital_daily: np.ndarray, minor_daily: np.ndarray
) -> np.ndarray:
    """Expected synchronous teleconsult requests a day of each facility if it were linked.

    A linked clinic teleconsults every case but the critical ones, which leave at once: its
    minor cases, and its hospital-level cases less the share that needs the ICU (the episode
    shares' mean of ``p_icu``, off season).
    """
    tele = scenario.telemedicine
    conditions = scenario.demand.conditions.values()
    share = np.array([c.share for c in conditions])
    p_icu = float(np.dot(share, [c.p_icu for c in conditions]) / share.sum())
    requests = np.zeros_like(hospital_daily)
    if tele.ward_mode == "synchronous":
        requests = requests + hospital_daily * (1.0 - p_icu)
    if tele.minor_mode == "synchronous":
        requests = requests + minor_daily
    return requests


def _tele_specialists(
    scenario: Scenario,
    facilities: pd.DataFrame,
    hospital_daily: np.ndarray,
    minor_daily: np.ndarray,
) -> np.ndarray:
    """Specialists on duty at each hub's teleconsult desk (0 elsewhere).

    Offered-load rule: the requests of a week reach the desk in its open hours, so the load
    offered to it is ``a = weekly requests / open hours a week x consult hours`` specialists,
    and it gets ``max(1, ceil(a / desk_target_utilisation))`` of them.
    """
    tele = scenario.telemedicine
    hub = facilities["is_hub"].to_numpy()
    if tele.specialists_per_hub is not None:
        return np.where(hub, tele.specialists_per_hub, 0).astype(np.int32)
    linked = facilities["linked"].to_numpy()
    requests = expected_sync_requests_per_day(scenario, hospital_daily, minor_daily)
    per_hub = np.bincount(
        facilities["hub_id"].to_numpy()[linked],
        weights=requests[linked],
        minlength=len(facilities),
    )
    open_hours = (tele.office_close_hour - tele.office_open_hour) * len(tele.office_weekdays)
    offered = per_hub * 7.0 / open_hours * tele.consult_minutes / 60.0
    needed = np.maximum(1, np.ceil(offered / tele.desk_target_utilisation - 1e-9))
    return np.where(hub, needed, 0).astype(np.int32)


def _apply_extra_beds(scenario: Scenario, facilities: pd.DataFrame) -> None:
    for i, extra in enumerate(scenario.capacity.extra_beds):
        match = (facilities["code"] == extra.facility) | (facilities["name"] == extra.facility)
        if not match.any():
            raise ScenarioError(
                f"capacity.extra_beds[{i}].facility: no facility with code or name "
                f"{extra.facility!r}; use a code such as {facilities['code'].iloc[0]} "
                "(see facilities.parquet of a run)"
            )
        row = int(np.flatnonzero(match.to_numpy())[0])
        beds_before = tuple(int(facilities[c].to_numpy()[row]) for c in BED_COLUMNS)
        for column in (*BED_COLUMNS, "ventilators"):
            values = facilities[column].to_numpy().copy()
            value = int(values[row]) + getattr(extra, column)
            if value < 0:
                raise ScenarioError(
                    f"capacity.extra_beds[{i}].{column}: would leave {value} at "
                    f"{extra.facility}; remove at most what it has"
                )
            values[row] = value
            facilities[column] = values
        _add_nurses(scenario, facilities, i, row, beds_before)


BED_COLUMNS = ("ward_beds", "icu_beds", "intermediate_beds")


def _add_nurses(
    scenario: Scenario, facilities: pd.DataFrame, i: int, row: int, beds_before: tuple[int, ...]
) -> None:
    """The headcount that comes with the beds of ``capacity.extra_beds[i]``: its ``nurses``,
    or the hospital's own nurses per nurse its beds need (the network's where it had none)."""
    extra = scenario.capacity.extra_beds[i]
    rules = facility_rules(scenario, str(facilities["country"].iat[row]))
    ward, icu, middle = (facilities[c].to_numpy()[row : row + 1] for c in BED_COLUMNS)
    need = unit_need(ward, icu, middle, rules)
    ward_before, icu_before, middle_before = (np.array([b]) for b in beds_before)
    before = float(unit_need(ward_before, icu_before, middle_before, rules).sum())
    nurses = int(facilities["nurses"].to_numpy()[row])
    if extra.nurses is not None:
        nurses += extra.nurses
    elif float(need.sum()) != before:
        if before > 0:
            rate = nurses / before
        else:
            all_ward, all_icu, all_middle = (facilities[c].to_numpy() for c in BED_COLUMNS)
            all_need = unit_need(all_ward, all_icu, all_middle, rules).sum()
            rate = float(facilities["nurses"].sum()) / all_need if all_need > 0 else 0.0
        nurses = max(0, round(nurses + rate * (float(need.sum()) - before)))
    if nurses < 0:
        raise ScenarioError(
            f"capacity.extra_beds[{i}].nurses: would leave {nurses} nurses at "
            f"{extra.facility}; remove at most what it has"
        )
    ward_nurses, icu_nurses, intermediate_nurses = split_nurses(np.array([nurses]), need)[0]
    for column, value in (
        ("ward_nurses", ward_nurses),
        ("icu_nurses", icu_nurses),
        ("intermediate_nurses", intermediate_nurses),
        ("nurses", nurses),
    ):
        values = facilities[column].to_numpy().copy()
        values[row] = value
        facilities[column] = values


def _staff(scenario: Scenario, facilities: pd.DataFrame) -> None:
    """Nominal staffed beds: the conventional standard with the mean roster and the base
    absence (the census starts from them; the shards staff window by window)."""
    cap = scenario.capacity
    rules = StaffingRules.from_scenario(scenario)
    for unit, ratio in (
        ("ward", cap.ward_patients_per_nurse),
        ("icu", cap.icu_patients_per_nurse),
        ("intermediate", cap.intermediate_patients_per_nurse),
    ):
        facilities[f"{unit}_staffed"] = nominal_staffed(
            facilities[f"{unit}_beds"].to_numpy(),
            facilities[f"{unit}_nurses"].to_numpy(),
            ratio,
            rules,
        )


def care_policy(scenario: Scenario) -> CarePolicy:
    """The pathway's timings and the hazards of death from a scenario.

    Each condition's base hazards keep its mortality and its mean length of stay, deaths
    included (``agents.pathway.competing_stay``, worked out in ``CourseTables``); the excess while
    waiting is the risk per hour waited times the cumulative hazard of a whole stay.
    """
    c = scenario.care
    t = scenario.telemedicine
    d = scenario.demand
    courses = CourseTables.from_demand(d)

    def whole_stay(p_death: np.ndarray) -> np.ndarray:
        return -np.log1p(-np.minimum(p_death, 0.999))

    ward_per_hour = c.death_risk_per_waiting_day / 24.0
    icu_per_hour = c.icu_death_risk_per_waiting_hour
    return CarePolicy(
        ed_treat_hours=c.ed_treat_hours,
        clinic_stabilise_hours=c.clinic_stabilise_hours,
        clinic_treat_hours=c.clinic_treat_hours,
        transfer_after_hours_ward=c.transfer_after_hours_ward,
        transfer_after_hours_icu=c.transfer_after_hours_icu,
        transfer_retry_hours=c.transfer_retry_hours,
        icu_wait_limit_hours=math.inf if c.icu_wait_limit_hours is None else c.icu_wait_limit_hours,
        resolve_share=t.resolve_share,
        resolve_share_ward=t.resolve_share_ward,
        refer_share_without_link=t.refer_share_without_link,
        consult_hours=t.consult_minutes / 60.0,
        hazard_ward=_floats(courses.hazard_ward),
        hazard_icu=_floats(courses.hazard_icu),
        hazard_ventilated=_floats(courses.hazard_ventilated),
        hazard_stepdown=_floats(courses.hazard_stepdown),
        ward_wait_excess=_floats(ward_per_hour * whole_stay(courses.p_death_ward)),
        icu_wait_excess=_floats(icu_per_hour * whole_stay(courses.p_death_icu)),
        ventilated_wait_excess=_floats(icu_per_hour * whole_stay(courses.p_death_ventilated)),
        unventilated_hazard_per_hour=c.unventilated_hazard_per_hour,
        no_oxygen_hazard_per_hour=c.no_oxygen_hazard_per_hour,
        oxygen_ward=tuple(name == "respiratory" for name in courses.names),
        office_hours=OfficeHours(
            t.office_open_hour, t.office_close_hour, frozenset(t.office_weekdays)
        ),
        synchronous_needs=frozenset(
            need
            for need, mode in ((Need.NONE, t.minor_mode), (Need.WARD, t.ward_mode))
            if mode == "synchronous"
        ),
        async_answer_hours=t.async_answer_hours,
        decision_error_share=t.decision_error_share,
        return_after_hours=t.return_after_hours,
    )


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def demand_model(scenario: Scenario) -> DemandModel:
    """The arrival generator of a scenario."""
    return DemandModel(scenario.demand, scenario.clock_start, scenario.seed, scenario.warmup_hours)


FACILITY_SPEC_COLUMNS = (
    "facility_id",
    "kind",
    "lon",
    "lat",
    "remote",
    "ward_beds",
    "icu_beds",
    "ventilators",
    "ward_staffed",
    "icu_staffed",
    "ward_nurses",
    "icu_nurses",
    "intermediate_beds",
    "intermediate_staffed",
    "intermediate_nurses",
    "utc_offset_hours",
    "region",
    "country",
    "tele_specialists",
    "hub_id",
    "linked",
    "place_id",
    "region",
    "country",
    "utc_offset_hours",
)


def shard_specs(network: Network) -> list[ShardSpec]:
    """One build specification per shard."""
    s = network.scenario
    f = network.facilities
    hospitals = f[f["kind"] == "hospital"]
    directory = HospitalDirectory(
        facility_id=hospitals["facility_id"].to_numpy(dtype=np.int32),
        lon=hospitals["lon"].to_numpy(dtype=np.float64),
        lat=hospitals["lat"].to_numpy(dtype=np.float64),
        remote=hospitals["remote"].to_numpy(dtype=np.int8),
        tier=hospitals["tier"].map(TIER_RANK).fillna(0).to_numpy(dtype=np.int8),
        ward_beds=hospitals["ward_beds"].to_numpy(dtype=np.int64),
        icu_beds=hospitals["icu_beds"].to_numpy(dtype=np.int64),
        region=hospitals["region"].to_numpy(dtype=object),
        country=hospitals["country"].to_numpy(dtype=object),
    )
    names = CourseTables.from_demand(s.demand).names
    min_tier_icu = np.array(
        [TIER_RANK[s.care.min_tier_icu.get(name, "general")] for name in names], dtype=np.int8
    )
    d = network.demand
    shard_of_point = f["shard"].to_numpy()[d["facility_id"].to_numpy()]
    all_points = PlaceTable(
        index=np.arange(len(d), dtype=np.int64),
        place_id=d["place_id"].to_numpy(dtype=np.int64),
        population=d["population"].to_numpy(dtype=np.float64),
        lat=d["lat"].to_numpy(dtype=np.float64),
        utc_offset_hours=d["utc_offset_hours"].to_numpy(dtype=np.float64),
        region=d["region"].to_numpy(dtype=object),
        country=d["country"].to_numpy(dtype=object),
        hospital_rate_per_1000_year=d["hospital_rate_per_1000_year"].to_numpy(dtype=np.float64),
        minor_rate_per_1000_year=d["minor_rate_per_1000_year"].to_numpy(dtype=np.float64),
        facility=d["facility_id"].to_numpy(dtype=np.int32),
        access_hours=d["access_minutes"].to_numpy(dtype=np.float64) / 60.0,
        epidemic_per_day=(
            network.epidemic_per_point
            if network.epidemic_per_point is not None
            else np.zeros((0, 0))
        ),
    )
    road = _road_by_source(network, directory)
    e = s.equipment
    staffing = StaffingRules.from_scenario(s)
    clock = s.clock_start
    warmup = s.warmup_hours  # days of the scenario count from its start, after the warm-up
    loads, patience = (
        census_loads(network) if s.capacity.start == "steady" else (None, np.zeros((0, 2)))
    )
    specs = []
    for shard in range(s.shards):
        own = f[f["shard"] == shard].sort_values("facility_id")
        specs.append(
            ShardSpec(
                shard=shard,
                facilities={c: own[c].to_numpy() for c in FACILITY_SPEC_COLUMNS},
                places=all_points.take(np.flatnonzero(shard_of_point == shard)),
                hospitals=directory,
                horizon_hours=s.simulated_hours,
                results_from_hours=s.warmup_hours,
                census_start=s.capacity.start,
                census_load=(
                    loads[own["facility_id"].to_numpy()]
                    if loads is not None
                    else np.zeros((0, 0, 0))
                ),
                census_patience=(
                    patience[own["facility_id"].to_numpy()]
                    if loads is not None
                    else np.zeros((0, 2))
                ),
                window_hours=s.window_hours,
                sample_hours=s.sample_hours,
                seed=s.seed,
                initial_ward_occupancy=s.capacity.initial_ward_occupancy,
                initial_icu_occupancy=s.capacity.initial_icu_occupancy,
                dispatch_hours=s.care.transfer_dispatch_minutes / 60.0,
                max_transfer_minutes=s.care.max_transfer_hours * 60.0,
                max_transfers=s.care.max_transfers_per_patient,
                start_hour_of_week=clock.weekday() * 24.0
                + clock.hour
                + clock.minute / 60.0
                + clock.second / 3600.0,
                min_tier_icu=min_tier_icu,
                travel=network.travel,
                ventilator_mtbf_hours=s.equipment.ventilator_mtbf_hours,
                ventilator_mttr_hours=s.equipment.ventilator_mttr_hours,
                ventilator_maintenance_every_days=s.equipment.ventilator_maintenance_every_days,
                ventilator_maintenance_hours=s.equipment.ventilator_maintenance_hours,
                oxygen_lpm=(
                    e.oxygen_lpm_ward_respiratory,
                    e.oxygen_lpm_icu,
                    e.oxygen_lpm_ventilated,
                ),
                oxygen_supply_lpm_per_bed=(
                    e.oxygen_supply_lpm_per_ward_bed,
                    e.oxygen_supply_lpm_per_icu_bed,
                ),
                oxygen_reserve_hours=e.oxygen_reserve_hours,
                oxygen_outages=tuple(
                    (
                        warmup + o.start_day * 24.0,
                        warmup + (o.start_day + o.days) * 24.0,
                        o.supply_share,
                        tuple(o.regions),
                    )
                    for o in e.oxygen_outages
                ),
                staffing=staffing,
                road_minutes={
                    int(i): road[int(i)] for i in own["facility_id"].to_numpy() if int(i) in road
                },
                surge=SurgeRule.all_of(s),
                census_given=_own_census(network, own["facility_id"].to_numpy()),
            )
        )
    return specs


def _own_census(network: Network, own: np.ndarray) -> dict[str, np.ndarray]:
    """The census rows of a shard's facilities, column by column (empty without a census)."""
    from regional.snapshot.start import CENSUS_FIELDS

    census = network.census
    if census is None:
        return {}
    mine = census[census["facility_id"].isin(own)]
    return {c: mine[c].to_numpy() for c in CENSUS_FIELDS}


def _road_by_source(
    network: Network, directory: HospitalDirectory
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The routing engine's transfer minutes by source facility, as directory rows."""
    if network.road is None or network.road.transfer.empty:
        return {}
    t = network.road.transfer.sort_values(["from_facility", "to_facility"], kind="stable")
    sources = t["from_facility"].to_numpy()
    rows = np.searchsorted(directory.facility_id, t["to_facility"].to_numpy())
    minutes = t["minutes"].to_numpy(dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]])
    ends = np.r_[starts[1:], len(sources)]
    out = {
        int(sources[a]): (rows[a:b].astype(np.int64), minutes[a:b])
        for a, b in zip(starts, ends, strict=True)
    }
    return out
