"""Ventilators that fail, are repaired and are serviced: availability against its closed form,
streams of their own, and what a shortage does to patients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regional.equipment import OxygenSupply, VentilatorFleet
from regional.runner import run_scenario
from regional.streams import uniforms
from tests.networks import make_facilities, make_places, network, scenario


def _fleet(
    counts: list[int],
    mtbf: float | None,
    mttr: float,
    every: float | None = None,
    hours: float = 0.0,
    ids: list[int] | None = None,
) -> VentilatorFleet:
    return VentilatorFleet(
        np.array(ids or list(range(len(counts)))), np.array(counts), 7, mtbf, mttr, every, hours
    )


def test_uniforms_are_uniform_and_keyed() -> None:
    u = uniforms(3, 1, np.arange(200_000), 5)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert u.mean() == pytest.approx(0.5, abs=0.003)
    assert np.histogram(u, bins=10, range=(0, 1))[0].min() > 19_500
    assert np.array_equal(u[10:20], uniforms(3, 1, np.arange(10, 20), 5))
    assert not np.array_equal(u[:10], uniforms(3, 1, np.arange(10), 6))
    assert not np.array_equal(u[:10], uniforms(4, 1, np.arange(10), 5))
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_mean_availability_is_mtbf_over_mtbf_plus_mttr() -> None:
    mtbf, mttr, window = 300.0, 60.0, 2.0
    fleet = _fleet([40] * 25, mtbf, mttr)
    shares = []
    for w in range(1, 6000):
        fleet.advance(w, window)
        shares.append(fleet.in_service(w * window).sum() / 1000.0)
    assert np.mean(shares) == pytest.approx(mtbf / (mtbf + mttr), abs=0.004)
    # a failed unit stays down about MTTR: the share moves slowly, not window to window
    assert np.std(np.diff(shares)) < 0.01


def test_planned_maintenance_takes_its_share_of_the_time() -> None:
    fleet = _fleet([50] * 20, None, 60.0, every=10.0, hours=24.0)
    shares = [fleet.in_service(t).sum() / 1000.0 for t in np.arange(0.0, 2400.0, 2.0)]
    assert np.mean(shares) == pytest.approx(1 - 24.0 / 240.0, abs=0.005)
    assert min(shares) > 0.8  # staggered over the units, never all at once


def test_a_units_history_does_not_change_when_ventilators_are_added_elsewhere() -> None:
    small = _fleet([3, 5], 200.0, 50.0, ids=[10, 11])
    large = _fleet([3, 9], 200.0, 50.0, ids=[10, 11])
    for w in range(1, 500):
        small.advance(w, 2.0)
        large.advance(w, 2.0)
        assert np.array_equal(small.up[:3], large.up[:3])
        assert np.array_equal(small.up[3:8], large.up[3:8])


def _surge_run(ventilators: int, seed: int = 2) -> dict[str, float]:
    places = make_places([(-70.6, -33.4, 400_000), (-71.0, -33.6, 5_000)])
    facilities = make_facilities(
        [{"place": 0, "ward_beds": 1500, "icu_beds": 150, "ventilators": ventilators}], places
    )
    scn = scenario(
        **{
            "days": 30,
            "seed": seed,
            "demand.admissions_per_1000_year": 110.0,
            "demand.surges": [{"start_day": 2, "ramp_days": 5, "plateau_days": 14, "factor": 3.0}],
            "care.max_transfers_per_patient": 0,
            # a COVID-like wave: 36.1% of hospitalised in an ICU (Ranzani et al. 2021), 56% of
            # them ventilated (PROADI-SUS), LATAM.md
            "demand.conditions": {"respiratory": {"p_icu": 0.361, "p_ventilator": 0.56}},
        }
    )
    result = run_scenario(scn, network=network(scn, places, facilities))
    ts = result.to_pandas("timeseries")
    return {
        "deaths": result.summary["deaths"],
        "patients": result.summary["patients"],
        "peak_in_use": float(ts["ventilators_in_use"].max()),
        "availability": float((ts["ventilators_available"] / ts["ventilators"]).mean()),
    }


@pytest.mark.slow
def test_fewer_ventilators_in_a_surge_means_more_deaths() -> None:
    full = _surge_run(60)
    half = _surge_run(30)
    assert full["patients"] == half["patients"]  # the same episodes (common random numbers)
    assert half["peak_in_use"] <= 30 < full["peak_in_use"]
    assert half["deaths"] > full["deaths"] * 1.1
    # the default failure and maintenance rates take about 3% of the pool out of service
    expected = 4380.0 / (4380.0 + 72.0) * (1 - 24.0 / (180.0 * 24.0))
    assert full["availability"] == pytest.approx(expected, abs=0.02)


def test_an_oxygen_reserve_runs_out_when_its_closed_form_says() -> None:
    supply = OxygenSupply(np.array([100.0, 100.0]), reserve_hours=48.0)
    first_short = [None, None]
    for window in range(80):
        short = supply.advance(np.array([150.0, 90.0]), np.ones(2), 2.0)
        for h in (0, 1):
            if short[h] and first_short[h] is None:
                first_short[h] = window
    # 100 x 48 x 60 litres drain at 50 L/min: gone after 96 hours, the 48th 2-hour window
    assert first_short == [48, None]
    assert supply.reserve_hours_left()[1] == pytest.approx(48.0)  # topped up, never above


def _oxygen_run(outage: bool) -> tuple[dict[str, float], pd.DataFrame]:
    places = make_places([(-70.6, -33.4, 300_000), (-71.0, -33.6, 5_000)])
    facilities = make_facilities(
        [{"place": 0, "ward_beds": 600, "icu_beds": 40, "ventilators": 40}], places
    )
    scn = scenario(
        **{
            "days": 16,
            "seed": 4,
            "demand.admissions_per_1000_year": 110.0,
            "care.max_transfers_per_patient": 0,
            "capacity.initial_ward_occupancy": 0.7,
            "capacity.initial_icu_occupancy": 0.7,
            "equipment.oxygen_outages": (
                [{"start_day": 3, "days": 9, "supply_share": 0.0}] if outage else []
            ),
        }
    )
    result = run_scenario(scn, network=network(scn, places, facilities))
    ts = result.to_pandas("timeseries")
    return result.summary, ts[ts["facility_id"] == 0]


@pytest.mark.slow
def test_running_out_of_oxygen_raises_deaths_while_it_lasts() -> None:
    normal, normal_ts = _oxygen_run(outage=False)
    cut, cut_ts = _oxygen_run(outage=True)
    assert normal_ts["oxygen_short"].sum() == 0  # the default supply covers normal demand
    start = cut_ts["time"].min()
    short_days = (cut_ts.loc[cut_ts["oxygen_short"] == 1, "time"] - start).dt.total_seconds()
    short_days = short_days / 86400.0
    # with demand below the supply the 48-hour reserve lasts at least 2 days after the cut;
    # the shortage lasts until the supply is back at day 12
    assert 5.0 <= short_days.min() < 11.0 and 11.5 < short_days.max() < 12.0
    assert cut["patients"] == normal["patients"]
    assert cut["deaths"] > normal["deaths"] * 1.1
