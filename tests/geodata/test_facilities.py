"""Synthesised facilities: Chile against published figures and the DEIS list, invariants."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata import facilities as facilities_module
from geodata.facilities import (
    CATCHMENT_COLUMNS,
    COUNTRY_RULES,
    DEFAULT_RULES,
    FACILITY_COLUMNS,
    FacilityRules,
    assign_catchments,
    synthesize_facilities,
)
from geodata.places import LATAM_COUNTRIES, load_places
from geodata.travel import TravelRules, haversine_km, place_settings

TRAVEL = TravelRules()


@pytest.fixture(scope="module")
def chile_places() -> pd.DataFrame:
    places = load_places(["CL"])
    return places.assign(setting=place_settings(places))


@pytest.fixture(scope="module")
def chile(chile_places: pd.DataFrame) -> pd.DataFrame:
    return synthesize_facilities(chile_places, COUNTRY_RULES, TRAVEL)


def _hospitals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["kind"] == "hospital"]


def test_columns_and_types(chile: pd.DataFrame) -> None:
    assert tuple(chile.columns) == FACILITY_COLUMNS
    for column in (
        "facility_id",
        "ward_beds",
        "icu_beds",
        "ventilators",
        "ward_nurses",
        "icu_nurses",
        "nurses",
        "physicians",
        "hub_id",
    ):
        assert chile[column].dtype == np.int32, column
    assert chile["place_id"].dtype == np.int64
    assert chile["lon"].dtype == np.float64 and chile["lat"].dtype == np.float64
    assert chile["is_hub"].dtype == bool
    assert set(chile["kind"]) == {"hospital", "clinic"}
    assert set(chile["tier"]) <= {"tertiary", "regional", "general", "clinic"}
    assert set(chile["setting"]) <= {"urban", "rural", "remote"}
    assert ((chile["kind"] == "clinic") == (chile["tier"] == "clinic")).all()


def test_ids_codes_and_order(chile: pd.DataFrame) -> None:
    assert chile["facility_id"].tolist() == list(range(len(chile)))
    assert chile["code"].is_unique
    assert chile["code"].str.fullmatch(r"CL-[HC]\d{5}").all()
    assert chile["code"].iloc[0] == "CL-H00001"
    kind = (chile["kind"] == "clinic").to_numpy()
    assert not np.any(np.diff(kind.astype(int)) < 0)  # hospitals first
    tier = chile["tier"].map({"tertiary": 0, "regional": 1, "general": 2, "clinic": 3})
    assert tier.is_monotonic_increasing


def test_hospital_count_near_published(chile: pd.DataFrame) -> None:
    # LATAM.md facilities CL: 231 hospitals (DEIS 2026)
    assert abs(len(_hospitals(chile)) - 231) <= 0.05 * 231


def test_beds_and_icu_totals_are_exact(chile: pd.DataFrame, chile_places: pd.DataFrame) -> None:
    pop = chile_places["population"].sum()
    rules = COUNTRY_RULES["CL"]
    h = _hospitals(chile)
    assert (h["ward_beds"] + h["icu_beds"]).sum() == round(pop * rules.beds_per_1000 / 1000)
    assert h["icu_beds"].sum() == round(pop * rules.icu_beds_per_100k / 1e5)
    assert (h["ward_beds"] + h["icu_beds"] >= 2).all()
    with_icu = h[h["icu_beds"] > 0]
    assert (with_icu["icu_beds"] >= 4).all()
    assert (with_icu["ward_beds"] >= 10).all()
    # DEIS 2026: 81 of 231 hospitals of high complexity have the ICUs; referral ones first
    assert abs(len(with_icu) / len(h) - rules.icu_hospital_share) < 0.01
    assert (h.loc[h["tier"] != "general", "icu_beds"] > 0).all()
    beds = h["ward_beds"] + h["icu_beds"]
    general = h["tier"] == "general"
    assert beds[(h["icu_beds"] > 0) & general].min() >= beds[h["icu_beds"] == 0].max()


def test_the_national_nursing_stock_is_spread_by_need(
    chile: pd.DataFrame, chile_places: pd.DataFrame
) -> None:
    """CL: 4.4 nurses per 1,000 (OECD), 60% of them in hospitals, shared by the nurses the
    beds need at 6 ward and 2 ICU patients a nurse, and split into ward and ICU the same way."""
    rules = COUNTRY_RULES["CL"]
    h = _hospitals(chile)
    stock = chile_places["population"].sum() * 4.4 / 1000 * 0.6
    assert h["nurses"].sum() == round(stock)
    np.testing.assert_array_equal(h["nurses"], h["ward_nurses"] + h["icu_nurses"])
    need = h["ward_beds"] / 6.0 + h["icu_beds"] / 2.0
    per_need = h["nurses"] / need
    assert per_need.max() - per_need.min() < 1.0 / need.min() + 1e-9  # one nurse of rounding
    icu_share = (h["icu_beds"] / 2.0) / need
    assert (h["icu_nurses"] - h["nurses"] * icu_share).abs().max() <= 0.5 + 1e-9
    assert rules.hospital_nurse_share == 0.6
    np.testing.assert_array_equal(h["ventilators"], h["icu_beds"])
    assert (h["physicians"] >= 1).all()
    half = chile_places["population"].sum() * rules.physicians_per_1000 / 1000 / 2
    assert h["physicians"].sum() == pytest.approx(half, rel=0.01)
    c = chile[chile["kind"] == "clinic"]
    assert (c[["ward_beds", "icu_beds", "ventilators", "nurses"]] == 0).all().all()
    assert (c["physicians"] == 1).all()


def test_tiers(chile: pd.DataFrame, chile_places: pd.DataFrame) -> None:
    h = _hospitals(chile)
    santiago = chile_places.iloc[0]
    assert santiago["name"] == "Santiago"
    tertiary = h[h["tier"] == "tertiary"]
    assert (tertiary["place_id"] == santiago["place_id"]).sum() >= 1
    assert h.groupby("region")["tier"].apply(lambda t: (t == "regional").sum()).max() == 1
    # a region's referral hospital sits in its most populous hospital town
    top = (
        h.merge(chile_places[["place_id", "population"]], on="place_id")
        .groupby("region")["population"]
        .max()
    )
    for _, row in h[h["tier"] == "regional"].iterrows():
        assert (
            chile_places.set_index("place_id").at[row["place_id"], "population"]
            == top[row["region"]]
        )


def test_hospitals_per_place_and_offsets(chile: pd.DataFrame, chile_places: pd.DataFrame) -> None:
    h = _hospitals(chile)
    place = chile_places.set_index("place_id").loc[h["place_id"]]
    per_place = h.groupby("place_id").size()
    cap = np.ceil(chile_places.set_index("place_id").loc[per_place.index, "population"] / 20_000)
    assert (per_place <= np.maximum(cap, 1)).all()
    assert (place["population"] >= 5_000).all()
    offset = haversine_km(
        h["lon"].to_numpy(), h["lat"].to_numpy(), place["lon"].to_numpy(), place["lat"].to_numpy()
    )
    assert offset.max() <= 3.0 + 1e-6
    assert not h.duplicated(["lon", "lat"]).any()


def test_names(chile: pd.DataFrame) -> None:
    names = set(chile["name"])
    assert "Hospital Regional Temuco" in names
    assert "Hospital General Santiago 3" in names
    assert any(n.startswith("Posta Rural ") for n in names)


def test_hubs(chile: pd.DataFrame) -> None:
    h = _hospitals(chile)
    hubs_per_region = chile[chile["is_hub"]].groupby("region").size()
    assert set(hubs_per_region.index) == set(h["region"])
    assert (hubs_per_region == 1).all()
    assert (chile.loc[chile["is_hub"], "kind"] == "hospital").all()
    assert (h["hub_id"] == -1).all()
    clinics = chile[chile["kind"] == "clinic"]
    assert len(clinics) > 0
    hub_rows = chile.set_index("facility_id").loc[clinics["hub_id"]]
    assert hub_rows["is_hub"].all()
    assert (hub_rows["region"].to_numpy() == clinics["region"].to_numpy()).all()
    # a hub is the regional hospital where the region has one
    regional = h[h["tier"] == "regional"]
    assert regional["is_hub"].all()


def test_clinics_where_hospitals_are_far(chile: pd.DataFrame, chile_places: pd.DataFrame) -> None:
    rules = COUNTRY_RULES["CL"]
    clinics = chile[chile["kind"] == "clinic"]
    assert not set(clinics["place_id"]) & set(_hospitals(chile)["place_id"])
    catch = assign_catchments(chile_places, _hospitals(chile), TRAVEL)
    far = set(catch.loc[catch["access_minutes"] > rules.clinic_max_access_minutes, "place_id"])
    assert far <= set(clinics["place_id"])


def test_rural_posts_at_the_registry_density(
    chile: pd.DataFrame, chile_places: pd.DataFrame
) -> None:
    """DEIS 2026 lists 1,139 rural health posts (PSR); they go to the places without a
    hospital, more to the bigger ones, spread around the place."""
    clinics = chile[chile["kind"] == "clinic"]
    assert len(clinics) == 1_139
    posts = clinics.groupby("place_id").size()
    people = chile_places.set_index("place_id").loc[posts.index, "population"]
    assert np.corrcoef(people, posts)[0, 1] > 0.8
    place = chile_places.set_index("place_id").loc[clinics["place_id"]]
    spread = haversine_km(
        clinics["lon"].to_numpy(), clinics["lat"].to_numpy(), place["lon"], place["lat"]
    )
    assert spread.max() <= facilities_module.POST_SPREAD_KM + 1e-6
    assert not clinics.duplicated(["lon", "lat"]).any()
    # held out: the people the posts serve are Chile's rural population, 12.2% (ODEPA 2017)
    served = chile_places.loc[chile_places["place_id"].isin(posts.index), "population"].sum()
    assert abs(served / chile_places["population"].sum() - 0.122) < 0.03


def test_rural_post_counts_keep_one_in_every_far_place() -> None:
    pop = np.array([50_000.0, 9_000.0, 3_000.0, 1_000.0, 600.0])
    has_hospital = np.array([True, False, False, False, False])
    far = np.array([False, False, False, False, True])
    counts = facilities_module.rural_post_counts(pop, has_hospital, far, 10)
    assert counts.sum() == 10 and counts[0] == 0 and counts[4] >= 1
    assert (np.diff(counts[1:4]) <= 0).all()
    few = facilities_module.rural_post_counts(pop, has_hospital, far, 0)
    np.testing.assert_array_equal(few, far.astype(int))


def test_catchments(chile: pd.DataFrame, chile_places: pd.DataFrame) -> None:
    catch = assign_catchments(chile_places, chile, TRAVEL)
    assert tuple(catch.columns) == CATCHMENT_COLUMNS
    assert catch["place_id"].tolist() == chile_places["place_id"].tolist()
    assert catch["facility_id"].dtype == np.int32
    assert catch["access_minutes"].dtype == np.float64
    assert catch["facility_id"].isin(chile["facility_id"]).all()
    assert (catch["access_minutes"] >= TRAVEL.handover_minutes).all()
    # a place with a facility of its own is served there, after the handover only
    own = catch["place_id"].isin(chile["place_id"])
    assert (catch.loc[own, "access_minutes"] == TRAVEL.handover_minutes).all()
    served = chile.set_index("facility_id").loc[catch.loc[own, "facility_id"], "place_id"]
    assert (served.to_numpy() == catch.loc[own, "place_id"].to_numpy()).all()
    without_setting = assign_catchments(chile_places.drop(columns="setting"), chile, TRAVEL)
    pd.testing.assert_frame_equal(catch, without_setting)


def test_deterministic(chile_places: pd.DataFrame, chile: pd.DataFrame) -> None:
    again = synthesize_facilities(
        chile_places.drop(columns="setting"), COUNTRY_RULES, TRAVEL, seed=1
    )
    pd.testing.assert_frame_equal(chile, again)
    shuffled = chile_places.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(chile, synthesize_facilities(shuffled, COUNTRY_RULES, TRAVEL))


def test_single_rules_apply_to_every_country() -> None:
    places = load_places(["CR", "PA"])
    rules = FacilityRules(
        hospitals_per_100k=1.0,
        beds_per_1000=2.0,
        icu_beds_per_100k=5.0,
        nurses_per_1000=3.0,
        physicians_per_1000=2.0,
    )
    frame = synthesize_facilities(places, rules, TRAVEL)
    for country, group in places.groupby("country"):
        pop = group["population"].sum()
        h = _hospitals(frame[frame["country"] == country])
        assert len(h) == max(1, round(pop * 1.0 / 1e5))
        assert (h["ward_beds"] + h["icu_beds"]).sum() == round(pop * 2.0 / 1000)
        assert h["icu_beds"].sum() == round(pop * 5.0 / 1e5)


def test_brazil_speaks_portuguese() -> None:
    frame = synthesize_facilities(load_places(["BR"]), COUNTRY_RULES, TRAVEL)
    names = frame["name"]
    for label in ("Hospital Geral ", "Hospital Terciário ", "Posto de Saúde "):
        assert names.str.startswith(label).any(), label
    h = _hospitals(frame)
    assert abs(len(h) - 6_398) <= 0.05 * 6_398  # LATAM.md facilities BR: 6,398 hospitals


def test_all_latin_america(tmp_path: Path) -> None:
    places = load_places(LATAM_COUNTRIES)
    frame = synthesize_facilities(places, COUNTRY_RULES, TRAVEL)
    assert frame["facility_id"].tolist() == list(range(len(frame)))
    assert frame["code"].is_unique
    assert set(frame["country"]) == set(LATAM_COUNTRIES)
    assert (frame["kind"] == "hospital").sum() > 11_500
    assert frame["country"].is_monotonic_increasing
    for country, group in places.groupby("country"):
        rules = COUNTRY_RULES.get(str(country), DEFAULT_RULES)
        h = _hospitals(frame[frame["country"] == country])
        pop = group["population"].sum()
        assert (h["ward_beds"] + h["icu_beds"]).sum() == round(pop * rules.beds_per_1000 / 1000)
        assert h["icu_beds"].sum() == round(pop * rules.icu_beds_per_100k / 1e5)
    clinics = frame[frame["kind"] == "clinic"]
    hubs = frame.set_index("facility_id").loc[clinics["hub_id"]]
    assert hubs["is_hub"].all()
    assert (hubs["country"].to_numpy() == clinics["country"].to_numpy()).all()
    catch = assign_catchments(places, frame, TRAVEL)
    assert catch["facility_id"].isin(frame["facility_id"]).all()
    frame.to_parquet(tmp_path / "facilities.parquet")  # Arrow-friendly dtypes
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "facilities.parquet"), frame)


def test_chile_against_the_deis_list(shared_data: Path, chile: pd.DataFrame) -> None:
    path = shared_data / "chile" / "cl_establecimientos_deis_20260310.csv"
    if not path.is_file():
        pytest.skip(f"DEIS establishment list not found at {path}")
    deis = pd.read_csv(path, sep=";", dtype=str)
    open_hospitals = deis[
        (deis["TipoEstablecimientoGlosa"] == "Hospital")
        & (deis["EstadoFuncionamiento"] != "Cerrado")
    ]
    assert len(open_hospitals) > 200
    assert abs(len(_hospitals(chile)) - len(open_hospitals)) <= 0.25 * len(open_hospitals)


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 1e6), min_size=1, max_size=40),
    total=st.integers(0, 5_000),
    lower=st.integers(0, 20),
    spread=st.integers(0, 200),
)
def test_largest_remainder_hits_the_total_within_bounds(
    weights: list[float], total: int, lower: int, spread: int
) -> None:
    upper = lower + spread
    out = facilities_module.largest_remainder(weights, total, lower=lower, upper=upper)
    n = len(weights)
    assert out.dtype == np.int64 and len(out) == n
    assert (out >= lower).all() and (out <= upper).all()
    assert out.sum() == min(max(total, n * lower), n * upper)
    w = np.asarray(weights)
    if n * lower <= total <= n * upper and w.min() > 1e-6 * w.max() > 0:
        # proportional where the bounds do not bind: off by less than two from the share
        free = (out > lower) & (out < upper)
        if free.sum() >= 2 and w[free].sum() > 0:
            share = w[free] / w[free].sum() * out[free].sum()
            assert np.all(np.abs(out[free] - share) < 2.0 + 1e-9 * share.max())


def test_clinic_threshold_moves_clinics(chile_places: pd.DataFrame) -> None:
    # the access rule alone: no registry count of posts
    access_only = {
        c: FacilityRules(**{**COUNTRY_RULES[c].__dict__, "rural_posts_per_100k": None})
        for c in COUNTRY_RULES
    }
    strict = {
        c: FacilityRules(**{**access_only[c].__dict__, "clinic_max_access_minutes": 20.0})
        for c in COUNTRY_RULES
    }
    loose = synthesize_facilities(chile_places, access_only, TRAVEL)
    tight = synthesize_facilities(chile_places, strict, TRAVEL)
    n_loose = (loose["kind"] == "clinic").sum()
    n_tight = (tight["kind"] == "clinic").sum()
    assert n_tight > n_loose
    assert math.isclose(_hospitals(loose)["icu_beds"].sum(), _hospitals(tight)["icu_beds"].sum())


def test_every_national_figure_has_a_source() -> None:
    defaults = FacilityRules(
        hospitals_per_100k=0,
        beds_per_1000=0,
        icu_beds_per_100k=0,
        nurses_per_1000=0,
        physicians_per_1000=0,
    )
    for country, rules in COUNTRY_RULES.items():
        given = {k for k, v in rules.__dict__.items() if v != getattr(defaults, k)}
        assert given == set(facilities_module.COUNTRY_SOURCES[country]), country
        assert all(facilities_module.COUNTRY_SOURCES[country].values())
