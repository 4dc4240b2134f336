"""The demand model against closed forms: seasons by hemisphere, diurnal and weekly profiles,
surges, Poisson arrivals per place and block, patient courses, lengths of stay and residual
stays, and the random streams that keep a place's episodes its own."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from regional.demand import (
    BLOCK_BITS,
    BLOCK_HOURS,
    CENSUS_ID_BASE,
    HOURS_PER_YEAR,
    SEQ_BITS,
    DemandModel,
    PlaceTable,
    _surge_factor,
)
from regional.scenario import Demand, Surge

START = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)  # a Sunday, as the chile built-in starts
FLAT: dict[str, Any] = {
    "diurnal_amplitude": 0.0,
    "weekly_profile": [1, 1, 1, 1, 1, 1, 1],
    "respiratory_season_amplitude": 0.0,
}
# courses far apart by condition, so that a course drawn with another condition's parameters shows
COURSES: dict[str, dict[str, float]] = {
    "respiratory": {"p_icu": 0.30, "p_escalate": 0.25, "los_ward_days": 8.0, "los_icu_days": 9.0},
    "cardiac": {"p_icu": 0.50, "p_escalate": 0.05, "los_ward_days": 4.0, "los_icu_days": 3.0},
    "trauma": {"p_icu": 0.10, "p_escalate": 0.15, "los_ward_days": 12.0, "los_icu_days": 6.0},
    "obstetric": {"p_icu": 0.02, "p_escalate": 0.01, "los_ward_days": 2.0, "los_icu_days": 2.5},
    "other": {"p_icu": 0.20, "p_escalate": 0.10, "los_ward_days": 5.0, "los_icu_days": 7.0},
}
SANTIAGO, MEXICO_CITY, MANAUS = -33.45, 19.43, -3.10


def _model(seed: int = 11, start: dt.datetime = START, **demand: Any) -> DemandModel:
    return DemandModel(Demand(**demand), start, seed)


def _places(n: int, **columns: Any) -> PlaceTable:
    """``n`` places in Santiago unless columns say otherwise (scalars are broadcast)."""
    values: dict[str, Any] = {
        "index": np.arange(n),
        "place_id": 5000 + np.arange(n),
        "population": 10_000.0,
        "lat": SANTIAGO,
        "utc_offset_hours": -4.0,
        "region": "CL-RM",
        "country": "CL",
        "hospital_rate_per_1000_year": 100.0,
        "minor_rate_per_1000_year": 40.0,
        "facility": 0,
        "access_hours": 0.5,
    }
    values.update(columns)
    dtypes = {"index": np.int64, "place_id": np.int64, "facility": np.int32}
    out = {}
    for name, value in values.items():
        if name in ("region", "country"):
            out[name] = np.broadcast_to(np.asarray(value, dtype=object), (n,)).copy()
        else:
            dtype = dtypes.get(name, np.float64)
            out[name] = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()
    return PlaceTable(**out)


def _concat(*tables: PlaceTable) -> PlaceTable:
    fields = PlaceTable.__dataclass_fields__
    return PlaceTable(**{k: np.concatenate([getattr(t, k) for t in tables]) for k in fields})


def _hour_at(when: dt.datetime, start: dt.datetime = START) -> float:
    return (when - start).total_seconds() / 3600.0


def _hour_in_first_year(day_of_year: float) -> float:
    """Hours from START to the first time in the year after it with this (1-based) day of year."""
    for year in (START.year, START.year + 1):
        when = dt.datetime(year, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day_of_year - 1)
        if when >= START:
            return _hour_at(when)
    raise AssertionError(day_of_year)


def _assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def _within(observed: float, expected: float, sd: float, z: float = 4.5) -> None:
    """A statistical check: fixed seeds make it deterministic, the margin makes it honest."""
    assert abs(observed - expected) <= z * sd, (observed, expected, sd)


# -- season ----------------------------------------------------------------------------------


def test_season_peak_day_by_hemisphere_and_equatorial_band() -> None:
    m = _model()
    #               Santiago Punta Arenas CDMX Tijuana Manaus equator band edges  just outside
    lat = np.array([SANTIAGO, -53.16, MEXICO_CITY, 32.5, MANAUS, 0.0, 8.0, -8.0, 8.01, -8.01])
    expected = [185, 185, 30, 30, 105, 105, 105, 105, 30, 185]
    np.testing.assert_array_equal(m.season_peak_day(lat), expected)
    # the configured days and band are the ones used
    m = _model(
        season_peak_day_south=200,
        season_peak_day_north=10,
        season_peak_day_equatorial=90,
        equatorial_band_deg=2.0,
    )
    np.testing.assert_array_equal(
        m.season_peak_day(lat), [200, 200, 10, 10, 200, 90, 10, 200, 10, 200]
    )


@pytest.mark.parametrize("amplitude", [0.4, 1.5])
@pytest.mark.parametrize(
    ("lat", "peak_day"),
    [(SANTIAGO, 185), (MEXICO_CITY, 30), (MANAUS, 105)],
    ids=["south", "north", "equatorial"],
)
def test_respiratory_weight_peaks_at_the_hemisphere_peak(
    lat: float, peak_day: int, amplitude: float
) -> None:
    m = _model(respiratory_season_amplitude=amplitude)
    resp = m.courses.names.index("respiratory")
    hours = np.arange(0.0, 365 * 24)  # a year from June 2025, across the new year
    w = m.condition_weights(hours, lat, "CL-RM", "CL")
    peak = _hour_in_first_year(peak_day)
    trough = _hour_in_first_year(peak_day + (182.625 if peak_day < 182.625 else -182.625))
    assert abs(peak - hours[np.argmax(w[:, resp])]) <= 1.0
    assert abs(trough - hours[np.argmin(w[:, resp])]) <= 24.0
    at = m.condition_weights(np.array([peak, trough]), lat, "CL-RM", "CL")[:, resp]
    assert at[0] / at[1] == pytest.approx(1.0 + amplitude, rel=1e-9)
    # the season moves respiratory demand within the year but keeps its annual mean share
    assert w[:, resp].mean() == pytest.approx(m.demand.conditions["respiratory"].share, rel=2e-3)
    # conditions without a season do not move
    for i, name in enumerate(m.courses.names):
        if not m.demand.conditions[name].seasonal:
            np.testing.assert_array_equal(w[:, i], m.demand.conditions[name].share)


def test_condition_mix_of_arrivals_follows_the_season() -> None:
    """Respiratory share of episodes in a southern winter and summer week, in closed form."""
    amplitude = 1.0
    m = _model(respiratory_season_amplitude=amplitude)
    resp = m.courses.names.index("respiratory")
    share = m.courses.share[resp]
    rest = m.courses.share.sum() - share
    norm = 1.0 + amplitude * 3.0 / 8.0  # annual mean of 1 + a ((1 + cos) / 2)^2
    places = _places(400)
    for when, season in [
        (dt.datetime(2025, 7, 4, tzinfo=dt.UTC), 1.0 + amplitude),
        (dt.datetime(2026, 1, 2, tzinfo=dt.UTC), 1.0),
    ]:
        block = int(_hour_at(when - dt.timedelta(days=3.5)) // BLOCK_HOURS)
        out = m.generate_block(places, block)
        n = len(out["condition"])
        p = share * season / norm / (share * season / norm + rest)
        _within(float(np.mean(out["condition"] == resp)), p, math.sqrt(p * (1 - p) / n))


# -- hourly profile --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "utc_offset"), [(SANTIAGO, -4.0), (MEXICO_CITY, -6.0), (MANAUS, -4.0)]
)
def test_hourly_multiplier_averages_one_over_a_year(lat: float, utc_offset: float) -> None:
    m = _model(
        start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        diurnal_amplitude=0.5,
        weekly_profile=[1.6, 1.2, 1.0, 1.0, 0.9, 0.7, 0.6],  # mean 1.0 only after normalising
        respiratory_season_amplitude=2.0,
    )
    hours = int(HOURS_PER_YEAR)
    blocks = -(-hours // BLOCK_HOURS)
    multiplier = np.concatenate(
        [
            m.hourly_profile(b * BLOCK_HOURS, lat, utc_offset, "CL-RM", "CL")[0]
            for b in range(blocks)
        ]
    )[:hours]
    assert multiplier.mean() == pytest.approx(1.0, abs=1e-3)
    assert multiplier.min() < 0.5 < 1.5 < multiplier.max()  # the profiles are switched on


@pytest.mark.parametrize("utc_offset", [-3.0, -4.0, -6.0, -5.5])
def test_diurnal_peak_at_the_local_peak_hour(utc_offset: float) -> None:
    start = dt.datetime(2025, 6, 1, 6, 30, tzinfo=dt.UTC)
    amplitude, peak_hour = 0.3, 13.0
    m = _model(
        start=start, **{**FLAT, "diurnal_amplitude": amplitude, "diurnal_peak_hour": peak_hour}
    )
    for block in (0, 3):
        multiplier, probs = m.hourly_profile(block * BLOCK_HOURS, SANTIAGO, utc_offset, "r", "c")
        local = [
            start + dt.timedelta(hours=block * BLOCK_HOURS + h + 0.5 + utc_offset)
            for h in range(BLOCK_HOURS)
        ]
        clock = np.array([t.hour + t.minute / 60.0 for t in local])
        expected = 1.0 + amplitude * np.cos(2.0 * np.pi * (clock - peak_hour) / 24.0)
        np.testing.assert_allclose(multiplier, expected, rtol=1e-12)
        # the highest hour of each day is the one centred nearest the peak hour
        assert np.all(np.abs(clock[np.argsort(multiplier)[-7:]] - peak_hour) <= 0.5)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_weekly_profile_puts_the_monday_weight_on_local_mondays() -> None:
    weekly = [3.0, 1, 1, 1, 1, 1, 1]  # normalised to mean 1: 7/3 on Mondays, 7/9 on other days
    m = _model(**{**FLAT, "weekly_profile": weekly})
    for utc_offset in (-4.0, -6.0):
        for block in (0, 1):
            multiplier, _ = m.hourly_profile(block * BLOCK_HOURS, SANTIAGO, utc_offset, "r", "c")
            monday = np.array(
                [
                    (
                        START + dt.timedelta(hours=block * BLOCK_HOURS + h + 0.5 + utc_offset)
                    ).weekday()
                    == 0
                    for h in range(BLOCK_HOURS)
                ]
            )
            assert monday.sum() == 24
            np.testing.assert_allclose(multiplier, np.where(monday, 7 / 3, 7 / 9), rtol=1e-12)


# -- surges ----------------------------------------------------------------------------------


def test_surge_factor_is_a_trapezoid() -> None:
    days = np.array([0.0, 9.99, 10.0, 11.0, 12.0, 14.0, 17.0, 20.0, 21.0, 22.0, 24.0, 30.0])
    f = _surge_factor(days, start=10.0, ramp=4.0, plateau=6.0, factor=3.0)
    np.testing.assert_allclose(f, [1, 1, 1, 1.5, 2, 3, 3, 3, 2.5, 2, 1, 1])


@settings(max_examples=200, deadline=None)
@given(
    start=st.floats(0, 100),
    ramp=st.floats(0, 30),
    plateau=st.floats(0, 60),
    factor=st.floats(1, 50),
    days=st.lists(st.floats(-10, 250), min_size=1, max_size=30),
)
def test_surge_factor_properties(
    start: float, ramp: float, plateau: float, factor: float, days: list[float]
) -> None:
    x = np.sort(np.array(days))
    f = _surge_factor(x, start, ramp, plateau, factor)
    up, down = start + ramp, start + ramp + plateau
    end = down + ramp
    assert np.all((f >= 1.0 - 1e-12) & (f <= factor + 1e-9))
    outside = (x < start) | (x > end)
    np.testing.assert_array_equal(f[outside], 1.0)
    plateau_days = (x > up) & (x < down)
    np.testing.assert_allclose(f[plateau_days], factor)
    rising, falling = (x >= start) & (x <= up), (x >= down) & (x <= end)
    assert np.all(np.diff(f[rising]) >= -1e-9)
    assert np.all(np.diff(f[falling]) <= 1e-9)


def _trapezoid(
    days: np.ndarray, start: float, ramp: float, plateau: float, factor: float
) -> np.ndarray:
    up, down = start + ramp, start + ramp + plateau
    x = np.clip(np.minimum((days - start) / ramp, (down + ramp - days) / ramp), 0.0, 1.0)
    x[(days >= up) & (days <= down)] = 1.0
    return 1.0 + (factor - 1.0) * x


@pytest.mark.parametrize(
    ("regions", "region", "country", "moves"),
    [
        ([], "MX-CMX", "MX", True),
        (["CL-RM"], "CL-RM", "CL", True),
        (["CL-RM"], "CL-BI", "CL", False),
        (["CL"], "CL-BI", "CL", True),
        (["MX", "CL-AR"], "CL-BI", "CL", False),
        (["MX", "CL-AR"], "CL-AR", "CL", True),
    ],
)
def test_surge_moves_only_its_conditions_and_regions(
    regions: list[str], region: str, country: str, moves: bool
) -> None:
    surge = Surge(
        start_day=10,
        ramp_days=4,
        plateau_days=6,
        factor=3,
        conditions=["respiratory", "trauma"],
        regions=regions,
    )
    base = _model()
    surged = _model(surges=[surge])
    hours = np.arange(0.0, 40 * 24, 3.0)
    w0 = base.condition_weights(hours, SANTIAGO, region, country)
    w1 = surged.condition_weights(hours, SANTIAGO, region, country)
    factor = _trapezoid(hours / 24.0, 10, 4, 6, 3) if moves else np.ones_like(hours)
    for i, name in enumerate(base.courses.names):
        expected = w0[:, i] * (factor if name in ("respiratory", "trauma") else 1.0)
        np.testing.assert_allclose(w1[:, i], expected, rtol=1e-12, err_msg=name)


def test_surge_multiplies_arrivals_of_its_conditions_in_its_regions() -> None:
    factor = 3.0
    surge = Surge(start_day=0, ramp_days=1, plateau_days=30, factor=factor, regions=["CL-RM"])
    base, surged = _model(**FLAT), _model(**FLAT, surges=[surge])
    inside = _places(300, population=20_000.0)
    outside = _places(
        300, index=1000 + np.arange(300), place_id=9000 + np.arange(300), region="CL-BI"
    )
    places = _concat(inside, outside)
    a, b = base.generate_block(places, 1), surged.generate_block(places, 1)
    resp = base.courses.names.index("respiratory")
    out_a, out_b = (x["patient_id"] >> 32 >= 1000 for x in (a, b))
    # outside the surge's regions the episodes are the very same
    _assert_same({k: v[out_a] for k, v in a.items()}, {k: v[out_b] for k, v in b.items()})
    n = {
        (name, cond): int(np.sum(~o & ((x["condition"] == resp) == cond)))
        for name, x, o in [("a", a, out_a), ("b", b, out_b)]
        for cond in (True, False)
    }
    ratio = n["b", True] / n["a", True]
    _within(ratio, factor, factor * math.sqrt(1 / n["a", True] + 1 / n["b", True]))
    ratio = n["b", False] / n["a", False]
    _within(ratio, 1.0, math.sqrt(1 / n["a", False] + 1 / n["b", False]))


# -- generating blocks -----------------------------------------------------------------------


def test_counts_per_place_and_block_are_poisson_with_the_scenario_rate() -> None:
    m = _model(**FLAT)
    n_places = 3000
    places = _places(n_places, population=2000.0)
    lam = 2000.0 * 140.0 / 1000.0 / HOURS_PER_YEAR * BLOCK_HOURS  # 5.37 per place and week
    for block in (0, 7):
        out = m.generate_block(places, block)
        counts = np.bincount(out["place"] - 5000, minlength=n_places)
        _within(counts.mean(), lam, math.sqrt(lam / n_places))
        # Poisson: the variance is the mean
        _within(counts.var(ddof=1), lam, math.sqrt((2 * lam**2 + lam) / n_places))
        _within(float(np.mean(counts == 0)), math.exp(-lam), math.sqrt(math.exp(-lam) / n_places))


def test_counts_match_the_integrated_intensity() -> None:
    """Profiles on: the expected count of a place and block is its rate times the summed
    hourly multiplier (the multiplier averages 1 over a year, so rates are annual means)."""
    m = _model()
    for lat, offset, block in [(SANTIAGO, -4.0, 0), (SANTIAGO, -4.0, 26), (MEXICO_CITY, -6.0, 34)]:
        places = _places(200, lat=lat, utc_offset_hours=offset, population=50_000.0)
        multiplier, _ = m.hourly_profile(block * BLOCK_HOURS, lat, offset, "CL-RM", "CL")
        expected = 200 * 50_000.0 * 140.0 / 1000.0 / HOURS_PER_YEAR * multiplier.sum()
        n = len(m.generate_block(places, block)["patient_id"])
        _within(n, expected, math.sqrt(expected))


def test_onsets_follow_the_diurnal_intensity() -> None:
    amplitude, peak_hour, offset = 0.5, 13.0, -4.0
    m = _model(**{**FLAT, "diurnal_amplitude": amplitude, "diurnal_peak_hour": peak_hour})
    places = _places(40, population=500_000.0, utc_offset_hours=offset, access_hours=2.0)
    block = 2
    out = m.generate_block(places, block)
    onset = out["onset"]
    assert np.all((onset >= block * BLOCK_HOURS) & (onset < (block + 1) * BLOCK_HOURS))
    np.testing.assert_allclose(out["arrival"] - onset, 2.0)
    clock = np.mod(onset + offset, 24.0)
    observed = np.bincount(clock.astype(int), minlength=24)
    density = 1.0 + amplitude * np.cos(2 * np.pi * (np.arange(24) + 0.5 - peak_hour) / 24)
    expected = len(onset) * density / density.sum()
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    assert chi2 < 60.0  # 23 degrees of freedom: p < 1e-4
    # more onsets in the twelve hours around the peak: 1/2 + a/pi of them (hour-binned)
    day = (np.abs(np.mod(clock - peak_hour + 12, 24) - 12) < 6).mean()
    p = density[7:19].sum() / density.sum()
    assert p == pytest.approx(0.5 + amplitude / math.pi, abs=2e-3)
    _within(float(day), p, math.sqrt(p * (1 - p) / len(onset)))


def test_arrivals_sorted_and_ids_encode_point_and_block() -> None:
    m = _model()
    index = np.array([7, 1000, 123_456, 2**20 + 3, 2**30 - 1])
    places = _places(5, index=index, place_id=index + 9, population=80_000.0)
    seen = []
    for block in (0, 1, 2, 2**BLOCK_BITS - 1):
        out = m.generate_block(places, block)
        pid = out["patient_id"]
        assert np.all(np.diff(out["arrival"]) >= 0)
        point = pid >> 32
        np.testing.assert_array_equal(out["place"], point + 9)
        assert np.all(((pid >> SEQ_BITS) & (2**BLOCK_BITS - 1)) == block)
        for i in index:
            seq = np.sort(pid[point == i] & (2**SEQ_BITS - 1))
            np.testing.assert_array_equal(seq, np.arange(len(seq)))
        seen.append(pid)
    ids = np.concatenate(seen)
    assert len(np.unique(ids)) == len(ids)
    assert ids.max() < CENSUS_ID_BASE  # never an id of the starting census
    for block in (-1, 2**BLOCK_BITS):
        with pytest.raises(ValueError, match="out of range"):
            m.generate_block(places, block)


def _mixed_places() -> PlaceTable:
    """Places of several latitudes, offsets and regions, with scattered stream keys."""
    n = 12
    return _places(
        n,
        index=np.array([3, 17, 4, 250, 9, 1, 88, 40, 41, 1234, 5, 600]),
        place_id=7000 + np.arange(n),
        lat=np.tile([SANTIAGO, MEXICO_CITY, MANAUS, -41.5], 3),
        utc_offset_hours=np.tile([-4.0, -6.0, -4.0, -3.0], 3),
        region=np.repeat(["CL-RM", "MX-CMX", "CL-BI"], 4),
        country=np.repeat(["CL", "MX", "CL"], 4),
        population=np.linspace(20_000, 200_000, n),
        minor_rate_per_1000_year=np.linspace(0, 200, n),
        access_hours=np.linspace(0.1, 3.0, n),
    )


_SURGED = _model(surges=[Surge(start_day=5, factor=4, regions=["CL-RM"])])


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(st.integers(0, 11), min_size=1, max_size=12, unique=True), block=st.integers(0, 5)
)
def test_a_places_episodes_are_its_own(rows: list[int], block: int) -> None:
    """Removing or adding other places, or reordering the table, leaves a place's episodes."""
    places = _mixed_places()
    full = _SURGED.generate_block(places, block)
    some = _SURGED.generate_block(places.take(np.array(rows)), block)
    mine = np.isin(full["patient_id"] >> 32, places.index[rows])
    _assert_same(some, {k: v[mine] for k, v in full.items()})


@settings(max_examples=30, deadline=None)
@given(shard=st.lists(st.booleans(), min_size=12, max_size=12), block=st.integers(0, 5))
def test_a_table_split_in_two_gives_the_same_episodes(shard: list[bool], block: int) -> None:
    places = _mixed_places()
    full = _SURGED.generate_block(places, block)
    mask = np.array(shard)
    a = _SURGED.generate_block(places.take(np.flatnonzero(mask)), block)
    b = _SURGED.generate_block(places.take(np.flatnonzero(~mask)), block)
    both = {k: np.concatenate([a[k], b[k]]) for k in full}
    order = np.lexsort((both["patient_id"], both["arrival"]))
    _assert_same({k: v[order] for k, v in both.items()}, full)


def test_seed_and_block_change_the_episodes() -> None:
    places = _mixed_places()
    a = _model(seed=1).generate_block(places, 0)
    _assert_same(a, _model(seed=1).generate_block(places, 0))
    # other seeds and other blocks draw other uniforms
    for other in (
        _model(seed=2).generate_block(places, 0),
        _model(seed=1).generate_block(places, 1),
    ):
        assert len(np.intersect1d(a["u_tele"], other["u_tele"])) == 0


def test_course_shares_match_their_parameters() -> None:
    m = _model(**FLAT, conditions=COURSES)
    # two kinds of place: 30% and 75% of their episodes are minor
    places = _concat(
        _places(
            200,
            population=100_000.0,
            hospital_rate_per_1000_year=140.0,
            minor_rate_per_1000_year=60.0,
        ),
        _places(
            200,
            index=200 + np.arange(200),
            place_id=9000 + np.arange(200),
            population=100_000.0,
            hospital_rate_per_1000_year=50.0,
            minor_rate_per_1000_year=150.0,
        ),
    )
    out = m.generate_block(places, 0)
    assert {"ventilator", "death_clock", "u_tele", "acuity"} <= out.keys()
    # the death clock is a unit exponential; the ventilator need is drawn for every ICU need
    clock = out["death_clock"]
    _within(float(clock.mean()), 1.0, 1.0 / math.sqrt(len(clock)))
    _within(float(np.mean(clock > 1.0)), math.exp(-1.0), 0.5 / math.sqrt(len(clock)))
    escalating = ~np.isnan(out["escalate_after_hours"])
    assert not out["vent_on_escalation"][~escalating].any()
    assert not out["ventilator"][out["need"] != 2].any()
    ever_icu = (out["need"] == 2) | escalating
    assert (out["los_stepdown_hours"][ever_icu] > 0).all()
    assert (out["los_stepdown_hours"][~ever_icu] == 0).all()
    assert all(len(v) == len(out["patient_id"]) for v in out.values())
    need, cond, los = out["need"], out["condition"], out["los_hours"]
    after, icu_after = out["escalate_after_hours"], out["los_icu_after_hours"]
    for first, share in [(True, 0.3), (False, 0.75)]:
        sel = (out["place"] < 9000) == first
        _within(float(np.mean(need[sel] == 0)), share, math.sqrt(share * (1 - share) / sel.sum()))
    # conditions by their shares (no season here)
    shares = m.courses.share / m.courses.share.sum()
    for c, p in enumerate(shares):
        _within(float(np.mean(cond == c)), p, math.sqrt(p * (1 - p) / len(cond)))
    np.testing.assert_array_equal(los[need == 0], 0.0)
    assert np.all(los[need > 0] > 0)
    escalates = np.isfinite(after)
    assert np.all(need[escalates] == 1)  # only ward patients escalate
    np.testing.assert_array_equal(escalates, icu_after > 0)
    assert np.all((after[escalates] >= 0) & (after[escalates] <= los[escalates]))
    _within(
        float(np.mean(after[escalates] / los[escalates])), 0.5, math.sqrt(1 / 12 / escalates.sum())
    )
    cv = m.demand.los_cv
    for c, name in enumerate(m.courses.names):
        course = COURSES[name]
        hosp = (cond == c) & (need > 0)
        p = course["p_icu"]
        _within(float(np.mean(need[hosp] == 2)), p, math.sqrt(p * (1 - p) / hosp.sum()), z=5)
        ward = (cond == c) & (need == 1)
        p = course["p_escalate"]
        _within(float(np.mean(escalates[ward])), p, math.sqrt(p * (1 - p) / ward.sum()), z=5)
        # stays are drawn longer than the condition's mean by what deaths will cut short
        # (agents.pathway.competing_stay), by need and ventilation
        k = m.courses
        vent, vent_later = out["ventilator"], out["vent_on_escalation"]
        icu = (cond == c) & (need == 2)
        later = (cond == c) & escalates
        for values, sel, mean in [
            (los, ward, k.stay_ward_hours[c]),
            (los, icu & ~vent, k.stay_icu_hours[c]),
            (los, icu & vent, k.stay_ventilated_hours[c]),
            (icu_after, later & ~vent_later, k.stay_icu_hours[c]),
        ]:
            _within(float(values[sel].mean()), mean, cv * mean / math.sqrt(sel.sum()), z=5)
        assert k.stay_ward_hours[c] >= course["los_ward_days"] * 24


def test_course_draws_are_independent_of_the_onset_and_of_each_other() -> None:
    """With flat profiles, neither the onset time nor the condition tells anything about the
    rest of the course: each draw has its own uniform."""
    m = _model(**FLAT, conditions=COURSES)
    block = 3
    out = m.generate_block(
        _places(300, population=100_000.0, minor_rate_per_1000_year=100.0), block
    )
    offset = out["onset"] - block * BLOCK_HOURS
    for c in range(len(m.courses.names)):
        sel = out["condition"] == c
        n = int(sel.sum())
        _within(float(offset[sel].mean()), BLOCK_HOURS / 2, BLOCK_HOURS / math.sqrt(12 * n))
        _within(float(np.mean(out["need"][sel] == 0)), 0.5, math.sqrt(0.25 / n))
    early = offset < BLOCK_HOURS / 2
    for need in (0, 1, 2):
        p = float(np.mean(out["need"] == need))
        _within(float(np.mean(out["need"][early] == need)), p, math.sqrt(p * (1 - p) / early.sum()))


# -- lengths of stay -------------------------------------------------------------------------

GRID = (np.arange(2_000_000) + 0.5) / 2_000_000  # uniforms as a fine quadrature grid


@pytest.mark.parametrize("cv", [0.3, 0.9, 1.5])
def test_lognormal_stays_have_the_mean_and_cv(cv: float) -> None:
    m = _model(los_distribution="lognormal", los_cv=cv)
    mean = 192.0
    s = m.los_quantile(GRID, mean)
    assert s.mean() == pytest.approx(mean, rel=1e-3)
    assert s.std() / s.mean() == pytest.approx(cv, rel=1e-2)
    # exact quantiles: the median is mean / sqrt(1 + cv^2), one sigma up multiplies it by e^sigma
    sigma = math.sqrt(math.log1p(cv**2))
    q = m.los_quantile(np.array([0.5, float(ndtr(1.0))]), mean)
    assert q[0] == pytest.approx(mean / math.sqrt(1 + cv**2), rel=1e-9)
    assert q[1] / q[0] == pytest.approx(math.exp(sigma), rel=1e-9)


def test_exponential_stays_have_the_mean() -> None:
    m = _model(los_distribution="exponential")
    s = m.los_quantile(GRID, 120.0)
    assert s.mean() == pytest.approx(120.0, rel=1e-3)
    assert s.std() == pytest.approx(120.0, rel=1e-2)
    q = m.los_quantile(np.array([0.5, 1 - math.exp(-1)]), 120.0)
    np.testing.assert_allclose(q, [120.0 * math.log(2), 120.0], rtol=1e-9)


def test_stays_take_a_mean_per_patient() -> None:
    m = _model()
    u = np.array([0.1, 0.5, 0.9])
    means = np.array([24.0, 48.0, 96.0])
    np.testing.assert_allclose(
        m.los_quantile(u, means), [m.los_quantile(u[i : i + 1], means[i])[0] for i in range(3)]
    )


@settings(max_examples=100, deadline=None)
@given(
    u=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=50),
    mean=st.floats(0.5, 3000.0),
    scale=st.floats(0.1, 10.0),
    cv=st.floats(0.05, 3.0),
    distribution=st.sampled_from(["lognormal", "exponential"]),
)
def test_los_quantile_is_monotone_positive_and_scales_with_the_mean(
    u: list[float], mean: float, scale: float, cv: float, distribution: str
) -> None:
    m = _model(los_distribution=distribution, los_cv=cv)
    x = np.sort(np.array(u))
    q = m.los_quantile(x, mean)
    assert np.all(np.isfinite(q) & (q > 0))
    assert np.all(np.diff(q) >= 0)
    np.testing.assert_allclose(m.los_quantile(x, mean * scale), q * scale, rtol=1e-9)


# pairs of uniforms from a Fibonacci lattice: each coordinate evenly stratified, pairs well spread
_N, _G = 1_346_269, 832_040
LENGTH = (np.arange(_N) + 0.5) / _N
POINT = ((np.arange(_N) * _G) % _N + 0.5) / _N


@pytest.mark.parametrize("cv", [0.5, 0.9, 1.5])
def test_residual_lognormal_stay_is_length_biased(cv: float) -> None:
    m = _model(los_distribution="lognormal", los_cv=cv)
    mean = 150.0
    r = m.residual_stay(POINT, LENGTH, mean)
    # E[S^2] / (2 E[S]) in closed form, and from the stays themselves
    assert r.mean() == pytest.approx(mean * (1 + cv**2) / 2, rel=2e-3)
    s = m.los_quantile(GRID, mean)
    assert r.mean() == pytest.approx(np.mean(s**2) / (2 * s.mean()), rel=1e-2)
    # P(R > x) = E[(S - x)+] / E[S]; at x = mean, 2 Phi(sigma / 2) - 1
    sigma = math.sqrt(math.log1p(cv**2))
    assert np.mean(r > mean) == pytest.approx(2 * ndtr(sigma / 2) - 1, abs=2e-3)


def test_residual_exponential_stay_is_the_stay() -> None:
    m = _model(los_distribution="exponential")
    r = m.residual_stay(POINT, LENGTH, 150.0)
    assert r.mean() == pytest.approx(150.0, rel=2e-3)
    assert np.mean(r > 150.0) == pytest.approx(math.exp(-1), abs=2e-3)


# -- census --------------------------------------------------------------------------------


def test_census_stream_is_keyed_by_facility_and_seed() -> None:
    a = _model(seed=5).census_stream(12).random(8)
    np.testing.assert_array_equal(a, _model(seed=5).census_stream(12).random(8))
    np.testing.assert_array_equal(
        a,
        _model(seed=5, start=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), los_cv=0.5)
        .census_stream(12)
        .random(8),
    )
    assert not np.allclose(a, _model(seed=5).census_stream(13).random(8))
    assert not np.allclose(a, _model(seed=6).census_stream(12).random(8))


# -- calibrated levers: region factors and a weekly trend ------------------------------------


def test_a_weekly_trend_compounds_from_the_start() -> None:
    flat = _model(**FLAT)
    growing = _model(**FLAT, trend_per_week=0.05)
    for block in (0, 3):
        base, _ = flat.hourly_profile(block * BLOCK_HOURS, SANTIAGO, -4.0, "r", "c")
        trend, _ = growing.hourly_profile(block * BLOCK_HOURS, SANTIAGO, -4.0, "r", "c")
        weeks = (block * BLOCK_HOURS + np.arange(BLOCK_HOURS) + 0.5) / BLOCK_HOURS
        np.testing.assert_allclose(trend / base, 1.05**weeks, rtol=1e-12)


def test_a_region_factor_scales_its_places_hospital_episodes_and_leaves_the_others() -> None:
    """Region A's hospital episodes double, its minor ones stay; region B's places draw the
    very same episodes (their streams are their own)."""
    other = {"index": 400 + np.arange(400), "place_id": 5400 + np.arange(400)}
    places = _concat(_places(400, region="A"), _places(400, region="B", **other))
    plain = _model(**FLAT).generate_block(places, 2)
    scaled = _model(**FLAT, region_factors={"A": 2.0}).generate_block(places, 2)
    b_plain, b_scaled = plain["place"] >= 5400, scaled["place"] >= 5400
    for column in ("patient_id", "arrival", "need", "los_hours"):
        np.testing.assert_array_equal(plain[column][b_plain], scaled[column][b_scaled])
    # 400 places of 10,000 people a week: 100 hospital and 40 minor episodes per 1,000 a year
    week = 400 * 10_000.0 / 1000.0 / HOURS_PER_YEAR * BLOCK_HOURS
    hospital = int(np.sum(~b_scaled & (scaled["need"] > 0)))
    minor = int(np.sum(~b_scaled & (scaled["need"] == 0)))
    _within(hospital, 2 * 100.0 * week, math.sqrt(2 * 100.0 * week))
    _within(minor, 40.0 * week, math.sqrt(40.0 * week))
