"""The built-in manaus: its second wave fills Manaus's ICUs in January 2021, as it did.

The scenario's epidemic is calibrated on two counts of Sabino et al. (Lancet 2021), COVID
admissions in Manaus on 1-19 December and 1-19 January; those are not asserted here. What is
asserted is what was not fitted: the wards of Manaus filling by mid-January, a queue for beds
that grows to about the 544 people published as waiting, and deaths waiting for an ICU bed that
follow it. (Its ICUs are full already in December: 198 ICU beds, 9 per 100,000, that take the
interior's ICU patients too; the published January figure is 103.7%.)
"""

from __future__ import annotations

import pandas as pd
import pytest

import regional


@pytest.fixture(scope="module")
def manaus() -> regional.RunResult:
    return regional.run("manaus")


def _manaus_daily(result: regional.RunResult) -> pd.DataFrame:
    places = result.to_pandas("places")
    facilities = result.to_pandas("facilities")
    city = places.loc[places["name"] == "Manaus", "place_id"].iloc[0]
    ids = set(facilities.loc[facilities["place_id"] == city, "facility_id"])
    ts = result.to_pandas("timeseries")
    ts = ts[ts["facility_id"].isin(ids)]
    columns = ["icu_occupied", "icu_staffed", "ward_occupied", "ward_staffed", "waiting"]
    hourly = ts.groupby("time")[columns].sum()
    hourly["icu"] = hourly["icu_occupied"] / hourly["icu_staffed"]
    hourly["ward"] = hourly["ward_occupied"] / hourly["ward_staffed"]
    return hourly.resample("D").mean()


@pytest.mark.slow
def test_manaus_fills_in_january_and_its_queue_reaches_the_published_one(
    manaus: regional.RunResult,
) -> None:
    daily = _manaus_daily(manaus)
    december = daily.loc["2020-12-08":"2020-12-20"]
    january = daily.loc["2021-01-12":"2021-01-19"]
    assert december["ward"].mean() < 0.93
    assert january["ward"].max() > 0.98  # published: public wards at 111.5%
    assert january["icu"].max() > 0.95  # published: public ICUs at 103.7%
    assert january["waiting"].mean() > 4 * max(december["waiting"].mean(), 1.0)
    # published: 544 people waiting for a bed (Sabino et al.); within a factor of two
    assert 272 <= january["waiting"].max() <= 1088


@pytest.mark.slow
def test_deaths_waiting_for_an_icu_bed_follow_the_wave(manaus: regional.RunResult) -> None:
    p = manaus.to_pandas("patients")
    died = p[p["died_waiting"]]["end_time"]
    # the state's interior waits for Manaus's ICUs in any month; the wave multiplies it
    december_week = ((died >= "2020-12-01") & (died < "2020-12-22")).sum() / 3.0
    last_week = (died >= "2021-01-12").sum()
    assert last_week > 4 * max(december_week, 1.0)
    epidemic = p[p["condition"] == "epidemic"]
    assert (epidemic["icu_time"].notna() | epidemic["icu_denied"]).mean() > 0.2
