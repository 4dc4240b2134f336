"""Networks from registry files: checked rows become the facility and place tables of a run.

What a file lacks is filled by documented rules, and each fill is reported:

- ``kind``: the file's values mapped by ``kinds`` (e.g. ``Hospital: hospital``,
  ``Posta de Salud Rural (PSR): clinic``); without a kind column every row is a hospital.
- ``tier``: the file's complexity level mapped by ``tiers`` (e.g. ``Alta: tertiary``); else
  ``general``.
- ``ward_beds``: where the file gives total ``beds`` (ICU included, as CNES's
  ``LEITOS_EXISTENTES``), those less the ICU beds; else the country's beds per 1,000
  (``geodata.facilities.COUNTRY_RULES``) times the people of the places, shared by tier
  weight among the hospitals without a bed count.
- ``icu_beds``, ``ventilators``: the country's ICU beds per 100,000 in referral hospitals and
  big-city ones, ventilators per ICU bed.
- ``nurses``: a hospital's headcount as the file gives it; else the country's hospital
  nurses per 1,000 (nursing stock x hospital share) per nurse the network's beds need at the
  conventional ratios, times its own need. Either way split into ward and ICU by need.
- ``region``, ``place_id``, ``setting``: those of the nearest place.

A blank bed or staff count means "not known" and is filled as above; a hospital's own count
is kept as the file gives it (filled ICU beds come on top of given ward beds). A kind, or a
given tier, that is not ours is a bad row like a bad coordinate (stop, or skip and report).
Places whose id has no match in ``population_from`` are left out, and ``filled`` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from geodata.facilities import (
    FACILITY_COLUMNS,
    INT32_COLUMNS,
    MIN_WARD_BEDS,
    TIER_BED_WEIGHT,
    FacilityRules,
    assign_hubs,
    icu_beds_by_tier,
    largest_remainder,
    nurse_need,
    split_by_need,
)
from geodata.loaders import (
    BadRow,
    LoadError,
    Source,
    bad_rows_report,
    check_counts,
    id_codes,
    load_checked,
    read_source,
    stop_at_first,
)
from geodata.places import PLACE_COLUMNS
from geodata.schemas import FACILITIES, PLACE_GEOMETRY, PLACES, POPULATIONS
from geodata.travel import TravelRules, nearest_by_travel, place_settings

FACILITY_REQUIRED = FACILITIES.required
PLACE_REQUIRED = PLACES.required


@dataclass(frozen=True)
class FacilitySource(Source):
    """A facility file and how to read its kinds and tiers."""

    kinds: Mapping[str, str] = field(default_factory=dict)
    tiers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlaceSource(Source):
    """A place file (points or polygons), optionally with people from a second file."""

    population_from: Source | None = None
    key_chars: int | None = None  # compare only the first N characters of the join keys


@dataclass
class Loaded:
    """Tables for the network, what was filled and which rows were skipped."""

    places: pd.DataFrame
    facilities: pd.DataFrame
    filled: dict[str, str]
    skipped: pd.DataFrame
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # file: (read, left out)


def _left_out(bad: list[BadRow]) -> int:
    return len({b.row for b in bad})


def load_registry(
    facilities: FacilitySource,
    places: PlaceSource,
    country: str,
    rules: FacilityRules,
    travel: TravelRules,
    on_bad_rows: Literal["stop", "skip"] = "stop",
) -> Loaded:
    """Read, check and complete a facility file and a place file of one country."""
    filled: dict[str, str] = {}
    rows: dict[str, tuple[int, int]] = {}
    place_frame, place_reports = _places(places, country, on_bad_rows, filled, rows)
    raw, facility_bad = load_checked(facilities, country, FACILITY_REQUIRED, on_bad_rows)
    frame, kind_bad = _kinds_and_tiers(raw, facilities, filled, on_bad_rows)
    rows[str(facilities.path)] = (
        len(raw) + _left_out(facility_bad),
        _left_out(facility_bad + kind_bad),
    )
    if frame.empty:
        raise LoadError(
            f"{facilities.path}: no facility left after filters and checks "
            f"(all {len(raw) + _left_out(facility_bad)} rows are bad rows; see the first "
            "with `on_bad_rows: stop`)"
        )
    frame = _where(frame, place_frame, travel, filled)
    frame = _capacities(frame, place_frame, rules, filled)
    facility_bad = sorted(facility_bad + kind_bad, key=lambda b: (b.row, b.column))
    skipped = pd.concat(
        [*place_reports, bad_rows_report(facility_bad, facilities.path)], ignore_index=True
    )
    return Loaded(place_frame, frame, filled, skipped, rows)


def _places(
    source: PlaceSource,
    country: str,
    on_bad_rows: Literal["stop", "skip"],
    filled: dict[str, str],
    rows: dict[str, tuple[int, int]],
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The places, biggest first, and the reports of their skipped rows (one per file)."""
    if source.population_from is not None:
        frame, reports = _joined_places(source, country, on_bad_rows, filled, rows)
        people_path = source.population_from.path
    else:
        frame, bad = load_checked(source, country, PLACE_REQUIRED, on_bad_rows)
        reports = [bad_rows_report(bad, source.path)]
        rows[str(source.path)] = (len(frame) + _left_out(bad), _left_out(bad))
        people_path = source.path
    frame["population"] = pd.to_numeric(frame["population"]).astype(np.int64)
    empty = int((frame["population"] <= 0).sum())
    frame = frame[frame["population"] > 0]
    if frame.empty:
        raise LoadError(
            f"{people_path}: no place has people (population above 0) of the "
            f"{empty} places read; check the population column and the filters"
        )
    if empty:
        filled["places_without_people"] = f"{empty} places with a population of 0 left out"
    places = pd.DataFrame(
        {
            "place_id": np.arange(1, len(frame) + 1, dtype=np.int64),
            "code": id_codes(frame["id"]),
            "name": frame["name"].astype(str).to_numpy()
            if "name" in frame
            else frame["id"].astype(str).to_numpy(),
            "country": country,
            "region": (
                frame["region"].astype(str).map(lambda r: f"{country}-{r}").to_numpy()
                if "region" in frame
                else f"{country}-00"
            ),
            "lon": frame["lon"].to_numpy(dtype=float),
            "lat": frame["lat"].to_numpy(dtype=float),
            "population": frame["population"].to_numpy(dtype=np.int64),
            "timezone": "",
            "utc_offset_hours": np.round(frame["lon"].to_numpy(dtype=float) / 15.0),
        }
    )
    places = places.sort_values(["population", "place_id"], ascending=[False, True])
    places = places.reset_index(drop=True)
    places = places.loc[:, [*PLACE_COLUMNS, "code"]]
    places["setting"] = place_settings(places)
    return places, reports


def _joined_places(
    source: PlaceSource,
    country: str,
    on_bad_rows: Literal["stop", "skip"],
    filled: dict[str, str],
    rows: dict[str, tuple[int, int]],
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Places from one file, their people from another, joined on ``id``.

    Only the people of the places are checked (a population file covers more than the
    places, often with blank rows); places without a match are left out and reported.
    """
    people_source = source.population_from
    assert people_source is not None
    geometry, bad = load_checked(source, country, PLACE_GEOMETRY.required, on_bad_rows)
    people = read_source(people_source, POPULATIONS.required)

    def key(values: pd.Series) -> pd.Series:
        text = pd.Series(id_codes(values), index=values.index)
        return text.str[: source.key_chars] if source.key_chars else text

    people = people.assign(_key=key(people["id"])).drop_duplicates("_key")
    merged = geometry.assign(_key=key(geometry["id"])).merge(
        people[["_key", "population", "_row"]].rename(columns={"_row": "_people_row"}),
        on="_key",
        how="left",
    )
    unmatched = merged["_people_row"].isna().to_numpy()
    if unmatched.all():
        raise LoadError(
            f"{people_source.path}: no id matches the places of "
            f"{source.path}; check the id columns (and key_chars)"
        )
    if unmatched.any():
        codes = id_codes(merged.loc[unmatched, "id"])
        filled["population"] = (
            f"{int(unmatched.sum())} of {len(merged)} places have no match in "
            f"{people_source.path} and are left out (e.g. {', '.join(map(repr, codes[:3]))})"
        )
    matched = merged[~unmatched]
    people_bad = check_counts(
        matched[["population", "_people_row"]].rename(columns={"_people_row": "_row"})
    )
    if on_bad_rows == "stop":
        stop_at_first(people_bad, people_source.path)
    wrong = matched["_people_row"].isin([b.row for b in people_bad])
    kept = matched[~wrong].drop(columns=["_key", "_people_row"]).reset_index(drop=True)
    reports = [bad_rows_report(bad, source.path), bad_rows_report(people_bad, people_source.path)]
    rows[str(source.path)] = (len(geometry) + _left_out(bad), _left_out(bad))
    rows[str(people_source.path)] = (len(matched), _left_out(people_bad))
    return kept, reports


def _kinds_and_tiers(
    raw: pd.DataFrame,
    source: FacilitySource,
    filled: dict[str, str],
    on_bad_rows: Literal["stop", "skip"],
) -> tuple[pd.DataFrame, list[BadRow]]:
    """Kinds and tiers of the facilities; rows whose kind or tier is not ours are bad rows."""
    frame = raw.copy()
    bad: list[BadRow] = []

    def unknown(column: str, ours: pd.Series, allowed: set[str], hint: str) -> pd.Series:
        wrong = ~ours.isin(allowed)
        for row, value in zip(frame.loc[wrong, "_row"], frame.loc[wrong, column], strict=True):
            bad.append(BadRow(int(row), column, f"{value!r} {hint}"))
        return wrong

    if "kind" in frame:
        text = frame["kind"].astype(str).str.strip()
        if source.kinds:
            kind = text.map(dict(source.kinds))
            hint = "is not in `kinds:`; map it to hospital or clinic or filter it out"
        else:
            kind = text.str.lower()
            hint = "is neither hospital nor clinic; map the file's kinds with `kinds:`"
        wrong_kind = unknown("kind", kind, {"hospital", "clinic"}, hint)
        frame["kind"] = kind
    else:
        wrong_kind = pd.Series(False, index=frame.index)
        frame["kind"] = "hospital"
        filled["kind"] = f"every one of {len(frame)} facilities taken as a hospital"
    tier = pd.Series("general", index=frame.index)
    wrong_tier = pd.Series(False, index=frame.index)
    if "tier" in frame:
        tier = frame["tier"].astype(str).str.strip().str.lower()
        hospital = frame["kind"] == "hospital"
        wrong_tier = hospital & unknown(
            "tier",
            tier.where(hospital, "general"),
            {"tertiary", "regional", "general"},
            "is not a tier; give tertiary, regional or general (or map `complexity:`)",
        )
    elif "complexity" in frame and source.tiers:
        tier = frame["complexity"].astype(str).str.strip().map(dict(source.tiers))
        tier = tier.fillna("general")
        filled["tier"] = f"from the complexity level for {len(frame)} facilities"
    frame["tier"] = np.where(frame["kind"] == "clinic", "clinic", tier)
    bad.sort(key=lambda b: (b.row, b.column))
    if on_bad_rows == "stop":
        stop_at_first(bad, source.path)
    keep = ~(wrong_kind | wrong_tier)
    return frame[keep].reset_index(drop=True), bad


def _where(
    frame: pd.DataFrame, places: pd.DataFrame, travel: TravelRules, filled: dict[str, str]
) -> pd.DataFrame:
    remote = np.zeros(len(frame), dtype=bool)
    nearest, _ = nearest_by_travel(
        frame["lon"].to_numpy(),
        frame["lat"].to_numpy(),
        remote,
        places["lon"].to_numpy(),
        places["lat"].to_numpy(),
        places["setting"].to_numpy() == "remote",
        travel,
    )
    frame["place_id"] = places["place_id"].to_numpy()[nearest]
    frame["setting"] = places["setting"].to_numpy()[nearest]
    frame["_place_pop"] = places["population"].to_numpy()[nearest]
    if "region" not in frame:
        frame["region"] = places["region"].to_numpy()[nearest]
        filled["region"] = "from the nearest place for every facility"
    else:
        frame["region"] = frame["region"].astype(str)
    return frame


def _headcounts(
    ward: np.ndarray,
    icu: np.ndarray,
    nurses: np.ndarray,
    hospital: np.ndarray,
    people: float,
    rules: FacilityRules,
    filled: dict[str, str],
) -> tuple[np.ndarray, np.ndarray]:
    """Ward and ICU nursing headcount of each facility (0 at clinics without a count).

    A given headcount is kept and split by need. Without one, a hospital gets the country's
    hospital nurses per needed nurse (the stock of the file's people over the need of all its
    hospitals) times its own need, so a file with counts for some hospitals fills the others
    as the country staffs on average.
    """
    need = nurse_need(ward, icu, rules)
    known = ~np.isnan(nurses)
    total = np.where(known, nurses, 0.0)
    missing = hospital & ~known
    if missing.any():
        stock = people * rules.nurses_per_1000 / 1000.0 * rules.hospital_nurse_share
        all_need = float(need[hospital].sum())
        rate = stock / all_need if all_need > 0 else 0.0
        weight = need[missing].sum(axis=1)
        total[missing] = largest_remainder(weight, round(rate * float(weight.sum())))
        filled["nurses"] = (
            f"{int(missing.sum())} of {int(hospital.sum())} hospitals, "
            f"{rate:.2f} nurses per nurse their beds need ({rules.nurses_per_1000:g} per "
            f"1,000 x {rules.hospital_nurse_share:g} in hospitals)"
        )
    return split_by_need(np.rint(total).astype(np.int64), need)


def _capacities(
    frame: pd.DataFrame, places: pd.DataFrame, rules: FacilityRules, filled: dict[str, str]
) -> pd.DataFrame:
    people = float(places["population"].sum())
    hospital = (frame["kind"] == "hospital").to_numpy()
    tier = frame["tier"].to_numpy()
    n = len(frame)

    def given(column: str) -> np.ndarray:
        if column not in frame:
            return np.full(n, np.nan)
        # a copy: pandas may hand out a read-only view, and the fills below write into it
        return np.array(pd.to_numeric(frame[column], errors="coerce"), dtype=float)

    ward = given("ward_beds")
    icu = given("icu_beds")
    # a registry's total beds (ICU included) stand in for ward beds until ICU is known
    total = given("beds")
    from_total = hospital & np.isnan(ward) & ~np.isnan(total)
    ward[from_total] = total[from_total]
    beds_total = round(people * rules.beds_per_1000 / 1000.0)
    fill_ward = hospital & np.isnan(ward)
    if fill_ward.any():
        known = float(np.nansum(ward[hospital]) + np.nansum(icu[hospital] * ~from_total[hospital]))
        weights = pd.Series(tier[fill_ward]).map(TIER_BED_WEIGHT).fillna(0.8).to_numpy()
        share = max(beds_total - round(known), 10 * int(fill_ward.sum()))
        ward[fill_ward] = largest_remainder(weights, share)
        filled["ward_beds"] = (
            f"{int(fill_ward.sum())} of {int(hospital.sum())} hospitals, "
            f"from {rules.beds_per_1000} beds per 1,000 by tier"
        )
    fill_icu = hospital & np.isnan(icu)
    if fill_icu.any():
        icu_total = round(people * rules.icu_beds_per_100k / 1e5) - int(np.nansum(icu))
        icu[fill_icu] = icu_beds_by_tier(
            ward[fill_icu].astype(np.int64),
            tier[fill_icu],
            frame["_place_pop"].to_numpy()[fill_icu],
            max(icu_total, 0),
        )
        # the ICU beds of a hospital whose beds were filled come out of those beds; a
        # hospital's own bed count stays as the file gives it
        carved = fill_icu & fill_ward
        ward[carved] = np.maximum(MIN_WARD_BEDS, ward[carved] - icu[carved])
        filled["icu_beds"] = (
            f"{int(fill_icu.sum())} hospitals, from {rules.icu_beds_per_100k} ICU beds per 100,000"
        )
    if from_total.any():
        # ICU beds beyond the total mean the file's total leaves them out: the ward keeps 0
        ward[from_total] = np.maximum(0.0, total[from_total] - np.nan_to_num(icu[from_total]))
        filled["ward_beds_from_total"] = (
            f"{int(from_total.sum())} hospitals: total beds less ICU beds"
        )
    ward = np.where(hospital, np.nan_to_num(ward), 0).astype(np.int64)
    icu = np.where(hospital, np.nan_to_num(icu), 0).astype(np.int64)
    vents = given("ventilators")
    if np.isnan(vents[hospital]).any():
        filled["ventilators"] = f"{rules.ventilators_per_icu_bed} per ICU bed"
    vents = np.where(np.isnan(vents), np.round(icu * rules.ventilators_per_icu_bed), vents)
    ward_nurses, icu_nurses = _headcounts(
        ward, icu, given("nurses"), hospital, people, rules, filled
    )
    physicians = given("physicians")
    out = pd.DataFrame(
        {
            "facility_id": np.arange(n),
            "code": id_codes(frame["id"]),
            "name": frame["name"].astype(str).to_numpy()
            if "name" in frame
            else frame["id"].astype(str).to_numpy(),
            "kind": frame["kind"].to_numpy(),
            "tier": tier,
            "place_id": frame["place_id"].to_numpy(dtype=np.int64),
            "country": places["country"].iat[0],
            "region": frame["region"].to_numpy(),
            "lon": frame["lon"].to_numpy(dtype=float),
            "lat": frame["lat"].to_numpy(dtype=float),
            "setting": frame["setting"].to_numpy(),
            "ward_beds": ward,
            "icu_beds": icu,
            "ventilators": np.where(hospital, vents, 0).astype(np.int64),
            "ward_nurses": ward_nurses,
            "icu_nurses": icu_nurses,
            "nurses": ward_nurses + icu_nurses,
            "physicians": np.where(np.isnan(physicians), 1, physicians).astype(np.int64),
        }
    )
    # hospitals first, then clinics: ids in a stable order
    out = out.sort_values(
        ["kind", "facility_id"],
        key=lambda c: c.map({"hospital": 0, "clinic": 1}) if c.name == "kind" else c,
        kind="stable",
    )
    out = out.reset_index(drop=True)
    out["facility_id"] = np.arange(len(out))
    is_hub, hub_id = assign_hubs(out)
    out["is_hub"] = is_hub
    out["hub_id"] = hub_id
    for column in INT32_COLUMNS:
        out[column] = out[column].astype(np.int32)
    return out.loc[:, list(FACILITY_COLUMNS)]
