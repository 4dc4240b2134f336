"""Hospital sizes and ICUs against the registries they were fitted to, and held-out figures.

Fitted (given to the synthesis): Brazil's CNES p10/p50/p90 of hospital beds and share of
hospitals with an ICU. Held out (never given): the share of hospitals under 50 beds and the
ICU unit sizes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import lognorm

from geodata.facilities import COUNTRY_RULES, MIN_ICU_BEDS, synthesize_facilities
from geodata.places import load_places
from geodata.sizes import lognormal_from_quantiles, lognormal_sizes, share_below
from geodata.travel import TravelRules, place_settings

CNES = Path("brazil") / "br_hospitals_beds_icu_2025.csv"
# CNES 2025 (OpenDataSUS Hospitais e Leitos): 4,044 of 7,189 hospitals under 50 beds
CNES_SHARE_UNDER_50 = 0.5625
# CNES 2025 ICU unit medians: adult ICU beds 12, all ICU beds (adult, paediatric, neonatal,
# burns, coronary) 20; the model's ICU is one adult-and-child unit, so it lies between
CNES_ICU_UNIT_MEDIANS = (12, 20)


def _synthesised(country: str) -> pd.DataFrame:
    places = load_places([country])
    places = places.assign(setting=place_settings(places))
    frame = synthesize_facilities(places, COUNTRY_RULES, TravelRules())
    return frame[frame["kind"] == "hospital"]


@pytest.fixture(scope="module")
def brazil() -> pd.DataFrame:
    return _synthesised("BR")


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    return _synthesised("MX")


def test_the_fit_returns_the_quantiles_it_was_given() -> None:
    mu, sigma = lognormal_from_quantiles(9.0, 41.0, 171.0)
    dist = lognorm(s=sigma, scale=math.exp(mu))
    assert dist.ppf(0.5) == pytest.approx(41.0)
    # a lognormal has one spread: the geometric mean of the two tails' ratios is kept
    assert math.sqrt(dist.ppf(0.9) / dist.ppf(0.1)) == pytest.approx(math.sqrt(171.0 / 9.0))
    assert share_below(41.0, mu, sigma) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="quantiles must rise"):
        lognormal_from_quantiles(41.0, 9.0, 171.0)


def test_the_fit_predicts_the_held_out_share_under_50_beds() -> None:
    mu, sigma = lognormal_from_quantiles(*COUNTRY_RULES["BR"].bed_quantiles or (1, 2, 3))
    assert abs(share_below(50.0, mu, sigma) - CNES_SHARE_UNDER_50) < 0.02


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 400), sigma=st.floats(0.1, 2.0), total=st.integers(0, 50_000))
def test_sizes_add_up_and_fall(n: int, sigma: float, total: int) -> None:
    sizes = lognormal_sizes(n, sigma, total, lower=2)
    assert len(sizes) == n
    assert sizes.sum() == max(total, 2 * n)
    assert (sizes >= 2).all()
    assert (np.diff(sizes) <= 0).all()


def test_brazil_hospital_sizes(brazil: pd.DataFrame) -> None:
    beds = (brazil["ward_beds"] + brazil["icu_beds"]).to_numpy()
    p10, p50, p90 = np.percentile(beds, [10, 50, 90])
    # fitted: the CNES quantiles, scaled to the national total. The fitted lognormal's mean
    # is 79 beds where CNES 2025 has 72 and 2.1 beds per 1,000 over 6,398 hospitals 71, so
    # the scale moves every quantile down by about 10%: within 15%
    for got, want in zip((p10, p50, p90), (9.0, 41.0, 171.0), strict=True):
        assert abs(got / want - 1.0) < 0.15, (got, want)
    # held out: the share under 50 beds (56.3% in CNES), within 5 points
    assert abs((beds < 50).mean() - CNES_SHARE_UNDER_50) < 0.05
    # referral concentration: tertiary and regional hospitals are the largest
    tier = brazil["tier"].to_numpy()
    assert np.median(beds[tier == "tertiary"]) > np.percentile(beds[tier == "general"], 95)


def test_brazil_icus(brazil: pd.DataFrame) -> None:
    icu = brazil["icu_beds"].to_numpy()
    assert abs((icu > 0).mean() - 0.337) < 0.01  # fitted: CNES 2025, 33.7% have an ICU
    units = icu[icu > 0]
    assert (units >= MIN_ICU_BEDS).all()
    low, high = CNES_ICU_UNIT_MEDIANS  # held out
    assert low <= np.median(units) <= high
    assert np.percentile(units, 90) / np.percentile(units, 10) > 3.0  # CNES: 56 / 7


def test_mexico_icus_are_not_all_of_one_size(mexico: pd.DataFrame) -> None:
    units = mexico.loc[mexico["icu_beds"] > 0, "icu_beds"].to_numpy()
    assert (units == MIN_ICU_BEDS).mean() < 0.2
    assert len(np.unique(units)) > 10
    beds = (mexico["ward_beds"] + mexico["icu_beds"]).to_numpy()
    has_icu = mexico["icu_beds"].to_numpy() > 0
    assert beds[has_icu].min() >= np.median(beds)  # the ICUs are in the larger hospitals


def test_brazil_figures_are_the_registry_s(shared_data: Path) -> None:
    """The documented CNES figures are what the file says (read once, never at run time)."""
    path = shared_data / CNES
    if not path.is_file():
        pytest.skip(f"CNES hospital file not found at {path}")
    cnes = pd.read_csv(path, usecols=["CNES", "LEITOS_EXISTENTES", "UTI_TOTAL_EXIST"])
    beds = cnes["LEITOS_EXISTENTES"].to_numpy()
    assert tuple(np.percentile(beds, [10, 50, 90])) == COUNTRY_RULES["BR"].bed_quantiles
    assert (beds < 50).mean() == pytest.approx(CNES_SHARE_UNDER_50, abs=1e-4)
    icu = cnes["UTI_TOTAL_EXIST"].fillna(0).to_numpy()
    assert (icu > 0).mean() == pytest.approx(COUNTRY_RULES["BR"].icu_hospital_share, abs=1e-3)
    assert np.median(icu[icu > 0]) == CNES_ICU_UNIT_MEDIANS[1]
