"""Intermediate-care beds carved from wards, and nurses split over three units."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geodata.facilities import DEFAULT_RULES
from regional.intermediate import add_intermediate_care, split_nurses, unit_need

RULES = dataclasses.replace(DEFAULT_RULES, intermediate_beds_per_100k=10.0)


def _facilities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "country": ["CL"] * 4,
            "kind": ["hospital"] * 4,
            "ward_beds": [200, 100, 60, 40],
            "icu_beds": [30, 10, 0, 0],
            "ward_nurses": [60, 30, 20, 10],
            "icu_nurses": [40, 12, 0, 0],
            "nurses": [100, 42, 20, 10],
        }
    )


def test_beds_come_out_of_the_wards_of_hospitals_with_an_icu() -> None:
    f = _facilities()
    beds_before = (f["ward_beds"] + f["icu_beds"]).to_numpy()
    places = pd.DataFrame({"country": ["CL"], "population": [400_000]})
    add_intermediate_care(f, places, lambda _: RULES)
    assert f["intermediate_beds"].tolist() == [30, 10, 0, 0]  # 10 per 100k, by ICU beds
    after = (f["ward_beds"] + f["icu_beds"] + f["intermediate_beds"]).to_numpy()
    assert (after == beds_before).all()
    assert (f["ward_nurses"] + f["icu_nurses"] + f["intermediate_nurses"]).tolist() == [
        100,
        42,
        20,
        10,
    ]
    assert f.loc[0, "intermediate_nurses"] > 0 and f.loc[2, "intermediate_nurses"] == 0


def test_a_table_that_gives_intermediate_beds_keeps_them() -> None:
    f = _facilities()
    f["intermediate_beds"] = [5, 0, 0, 0]
    places = pd.DataFrame({"country": ["CL"], "population": [400_000]})
    add_intermediate_care(f, places, lambda _: RULES)
    assert f["intermediate_beds"].tolist() == [5, 0, 0, 0]
    assert f["ward_beds"].tolist() == [200, 100, 60, 40]
    assert f["intermediate_nurses"].tolist() == [0, 0, 0, 0]


def test_no_rate_leaves_the_network_as_it_was() -> None:
    f = _facilities()
    before = f.copy()
    places = pd.DataFrame({"country": ["CL"], "population": [400_000]})
    add_intermediate_care(f, places, lambda _: DEFAULT_RULES)
    pd.testing.assert_frame_equal(f[before.columns], before)
    assert (f["intermediate_beds"] == 0).all()


@given(
    st.lists(st.integers(0, 500), min_size=1, max_size=20),
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 60), st.integers(0, 60)), min_size=20),
)
def test_nurses_split_into_whole_people_that_add_up(heads: list[int], beds: list[tuple]) -> None:
    beds = beds[: len(heads)]
    ward, icu, middle = (np.array(c) for c in zip(*beds, strict=True))
    need = unit_need(ward, icu, middle, RULES)
    split = split_nurses(np.array(heads), need)
    assert (split.sum(axis=1) == np.array(heads)).all()
    assert (split >= 0).all()
    # a unit with no beds gets no nurse, unless no unit has any
    has_beds = need.sum(axis=1) > 0
    assert (split[has_beds][need[has_beds] == 0] == 0).all()


@pytest.mark.slow
def test_chile_has_half_its_critical_beds_in_intermediate_care() -> None:
    from regional.network import build_network
    from regional.scenario import load_scenario

    network = build_network(load_scenario("chile", days=1))
    f = network.facilities
    people = float(network.places["population"].sum())
    assert f["intermediate_beds"].sum() / people * 1e5 == pytest.approx(11.3, rel=0.02)
    assert f["icu_beds"].sum() / people * 1e5 == pytest.approx(11.3, rel=0.02)
    assert (f.loc[f["intermediate_beds"] > 0, "icu_beds"] > 0).all()
    assert (f["ward_nurses"] + f["icu_nurses"] + f["intermediate_nurses"] == f["nurses"]).all()
    assert (f["intermediate_staffed"] <= f["intermediate_beds"]).all()
