"""Episode arrivals from places: time-varying Poisson processes, generated per place and block.

Each place owns its random stream for each block of ``BLOCK_HOURS`` (seeded by the run's seed,
the place's index and the block number), so the arrivals of a place never depend on which shard
generates them, nor on the window length. A block's arrivals are drawn at once: a Poisson count
from the integrated intensity, onset times by inverting the cumulative intensity, and the
patient's whole course (condition, needs, lengths of stay, risks) from one matrix of uniforms.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from agents.pathway import competing_stay
from regional.scenario import CONDITIONS, Demand

BLOCK_HOURS = 168
HOURS_PER_YEAR = 8766.0
_STREAM_PLACE = 0
_STREAM_CENSUS = 1
_STREAM_EPIDEMIC = 2  # an epidemic's episodes: their own stream, so the others stay as they are
_U_COLUMNS = 15
# Patient ids: (demand point << 32) | (block << SEQ_BITS) | sequence in the block, so an id
# never depends on the shard that made it; patients of the starting census have ids from 2^62.
SEQ_BITS = 20
EPIDEMIC_SEQ = 1 << (SEQ_BITS - 1)  # an epidemic's episodes number from here in a place-week
BLOCK_BITS = 12
CENSUS_ID_BASE = 1 << 62


@dataclass(frozen=True)
class PlaceTable:
    """The places one shard generates arrivals for (arrays aligned by row)."""

    index: np.ndarray  # int64 index of the demand point in the network (its stream key)
    place_id: np.ndarray  # int64 GeoNames (or user) id of the place
    population: np.ndarray  # float64
    lat: np.ndarray
    utc_offset_hours: np.ndarray
    region: np.ndarray  # str
    country: np.ndarray  # str
    hospital_rate_per_1000_year: np.ndarray  # float64, episodes needing hospital care
    minor_rate_per_1000_year: np.ndarray  # float64, decisions at clinics / ED visits
    facility: np.ndarray  # int32, first facility (catchment)
    access_hours: np.ndarray  # float64, travel time to the first facility
    # expected epidemic admissions per day of the run (points x days; no columns: none)
    epidemic_per_day: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def take(self, rows: np.ndarray) -> PlaceTable:
        """The subset of places at the given rows."""
        taken = {k: getattr(self, k) for k in self.__dataclass_fields__}
        taken = {k: (v[rows] if len(v) else v) for k, v in taken.items()}
        return PlaceTable(**taken)

    def __len__(self) -> int:
        return len(self.index)


@dataclass(frozen=True)
class CourseTables:
    """Per-condition parameters as arrays indexed by condition code."""

    names: tuple[str, ...]
    share: np.ndarray
    seasonal: np.ndarray
    p_icu: np.ndarray
    p_ventilator: np.ndarray
    p_escalate: np.ndarray
    los_ward_hours: np.ndarray
    los_icu_hours: np.ndarray
    p_death_ward: np.ndarray
    p_death_icu: np.ndarray
    p_death_ventilated: np.ndarray
    los_stepdown_hours: np.ndarray
    p_death_stepdown: np.ndarray
    p_icu_readmission: np.ndarray
    # hazards of death per hour in the bed a patient needs, and the means of the stays to draw,
    # so that the stays' observed mean and mortality are the condition's (``competing_stay``)
    hazard_ward: np.ndarray
    hazard_icu: np.ndarray
    hazard_ventilated: np.ndarray
    hazard_stepdown: np.ndarray
    stay_ward_hours: np.ndarray
    stay_icu_hours: np.ndarray
    stay_ventilated_hours: np.ndarray
    stay_stepdown_hours: np.ndarray

    @classmethod
    def from_demand(cls, demand: Demand) -> CourseTables:
        """Arrays in the fixed order of ``CONDITIONS`` (absent conditions get share 0)."""
        names = tuple(c for c in CONDITIONS if c in demand.conditions)
        rows = [demand.conditions[c] for c in names]

        def col(attr: str, scale: float = 1.0) -> np.ndarray:
            return np.array([getattr(r, attr) * scale for r in rows], dtype=np.float64)

        cv = None if demand.los_distribution == "exponential" else demand.los_cv

        def competing(p_death: str, los_days: str) -> tuple[np.ndarray, np.ndarray]:
            pairs = [
                competing_stay(getattr(r, p_death), getattr(r, los_days) * 24.0, cv) for r in rows
            ]
            return np.array([h for h, _ in pairs]), np.array([m for _, m in pairs])

        ward = competing("p_death_ward", "los_ward_days")
        icu = competing("p_death_icu", "los_icu_days")
        ventilated = competing("p_death_ventilated", "los_icu_days")
        stepdown = competing("p_death_stepdown", "los_stepdown_days")
        return cls(
            names=names,
            share=col("share"),
            seasonal=np.array([r.seasonal for r in rows], dtype=bool),
            p_icu=col("p_icu"),
            p_ventilator=col("p_ventilator"),
            p_escalate=col("p_escalate"),
            los_ward_hours=col("los_ward_days", 24.0),
            los_icu_hours=col("los_icu_days", 24.0),
            p_death_ward=col("p_death_ward"),
            p_death_icu=col("p_death_icu"),
            p_death_ventilated=col("p_death_ventilated"),
            los_stepdown_hours=col("los_stepdown_days", 24.0),
            p_death_stepdown=col("p_death_stepdown"),
            p_icu_readmission=col("p_icu_readmission"),
            hazard_ward=ward[0],
            hazard_icu=icu[0],
            hazard_ventilated=ventilated[0],
            hazard_stepdown=stepdown[0],
            stay_ward_hours=ward[1],
            stay_icu_hours=icu[1],
            stay_ventilated_hours=ventilated[1],
            stay_stepdown_hours=stepdown[1],
        )


class DemandModel:
    """Intensity profiles and arrival generation for one run."""

    def __init__(
        self, demand: Demand, start: dt.datetime, seed: int, warmup_hours: float = 0.0
    ) -> None:
        self.demand = demand
        self.start = start  # the clock's hour 0 (the scenario's start less any warm-up)
        self.seed = int(seed)
        self.warmup_hours = float(warmup_hours)  # surges' days count from after the warm-up
        self.courses = CourseTables.from_demand(demand)
        weekly = np.asarray(demand.weekly_profile, dtype=np.float64)
        self._weekly = weekly / weekly.mean()
        self._season_norm = self._season_mean()

    # -- intensity --------------------------------------------------------------------------

    def _season_bump(self, day_of_year: np.ndarray, peak_day: np.ndarray) -> np.ndarray:
        phase = 2.0 * np.pi * (day_of_year - peak_day) / 365.25
        return ((1.0 + np.cos(phase)) / 2.0) ** 2

    def _season_mean(self) -> float:
        days = np.arange(0, 365.25, 0.25)
        bump = self._season_bump(days, np.zeros_like(days))
        return float(np.mean(1.0 + self.demand.respiratory_season_amplitude * bump))

    def season_peak_day(self, lat: np.ndarray) -> np.ndarray:
        """Day of year of the respiratory peak by latitude (hemisphere-aware)."""
        d = self.demand
        peak = np.where(lat < 0, d.season_peak_day_south, d.season_peak_day_north).astype(float)
        return np.where(np.abs(lat) <= d.equatorial_band_deg, d.season_peak_day_equatorial, peak)

    def condition_weights(
        self, hours: np.ndarray, lat: float, region: str, country: str
    ) -> np.ndarray:
        """Relative demand of each condition at each hour (shape hours x conditions)."""
        c = self.courses
        when = np.datetime64(self.start.replace(tzinfo=None), "s") + (hours * 3600).astype(
            "timedelta64[s]"
        )
        years = when.astype("datetime64[Y]")
        day_of_year = (when - years).astype("timedelta64[s]").astype(np.float64) / 86400.0 + 1
        peak = self.season_peak_day(np.full(len(hours), lat))
        season = (
            1.0 + self.demand.respiratory_season_amplitude * self._season_bump(day_of_year, peak)
        ) / self._season_norm
        weights = np.tile(c.share, (len(hours), 1))
        weights[:, c.seasonal] *= season[:, None]
        for surge in self.demand.surges:
            if surge.regions and region not in surge.regions and country not in surge.regions:
                continue
            factor = _surge_factor(
                (hours - self.warmup_hours) / 24.0,
                surge.start_day,
                surge.ramp_days,
                surge.plateau_days,
                surge.factor,
            )
            cols = [i for i, name in enumerate(c.names) if name in surge.conditions]
            weights[:, cols] *= factor[:, None]
        return weights

    def hourly_profile(
        self, block_start: float, lat: float, utc_offset: float, region: str, country: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Intensity multipliers for each hour of a block and condition probabilities per hour.

        The multiplier averages 1 over a year without surges, so that rates in the scenario
        are annual means.
        """
        hours = block_start + np.arange(BLOCK_HOURS, dtype=np.float64) + 0.5
        local = hours + utc_offset + self.start.hour + self.start.minute / 60.0
        hour_of_day = np.mod(local, 24.0)
        d = self.demand
        diurnal = 1.0 + d.diurnal_amplitude * np.cos(
            2.0 * np.pi * (hour_of_day - d.diurnal_peak_hour) / 24.0
        )
        weekday = (self.start.weekday() + np.floor(local / 24.0)).astype(int) % 7
        weights = self.condition_weights(hours, lat, region, country)
        total = weights.sum(axis=1)
        multiplier = diurnal * self._weekly[weekday] * total / self.courses.share.sum()
        multiplier = multiplier * self.trend(hours)
        return multiplier, weights / total[:, None]

    def trend(self, hours: np.ndarray) -> np.ndarray:
        """The demand trend's multiplier at clock hours: ``(1 + trend_per_week)`` to the power
        of the weeks since the scenario's start (below 1 in a warm-up when demand grows)."""
        growth = self.demand.trend_per_week
        if growth == 0:
            return np.ones(len(hours))
        return np.asarray((1.0 + growth) ** ((hours - self.warmup_hours) / BLOCK_HOURS))

    def region_factor(self, regions: np.ndarray) -> np.ndarray:
        """The multiplier of the hospital episodes of places in the given regions."""
        factors = self.demand.region_factors
        if not factors:
            return np.ones(len(regions))
        return np.array([factors.get(str(r), 1.0) for r in regions], dtype=np.float64)

    def with_region_factors(self, places: PlaceTable) -> PlaceTable:
        """The places with their hospital rates multiplied by their regions' factors."""
        if not self.demand.region_factors:
            return places
        rate = places.hospital_rate_per_1000_year * self.region_factor(places.region)
        return dataclasses.replace(places, hospital_rate_per_1000_year=rate)

    # -- generation -------------------------------------------------------------------------

    def generate_block(self, places: PlaceTable, block: int) -> dict[str, np.ndarray]:
        """All episodes with onset in one block for the given places, sorted by arrival.

        Returns columnar arrays: ``patient_id, place, facility, onset, arrival, condition,
        acuity, need, ventilator, los_hours, escalate_after_hours, los_icu_after_hours,
        death_clock, u_tele, vent_on_escalation, los_stepdown_hours, readmit_after_hours``
        (times in hours since the scenario start).
        """
        block_start = float(block * BLOCK_HOURS)
        if not 0 <= block < 2**BLOCK_BITS:
            raise ValueError(f"block {block} out of range; runs are limited to 78 years")
        places = self.with_region_factors(places)
        keys: dict[tuple[float, float, str, str], int] = {}
        key_of = np.empty(len(places), dtype=np.int64)
        profiles: list[tuple[np.ndarray, np.ndarray]] = []
        peaks = self.season_peak_day(places.lat)
        surge_regions = bool(self.demand.surges)
        for i in range(len(places)):
            key = (
                float(places.utc_offset_hours[i]),
                float(peaks[i]),
                str(places.region[i]) if surge_regions else "",
                str(places.country[i]) if surge_regions else "",
            )
            k = keys.get(key)
            if k is None:
                k = keys[key] = len(profiles)
                profiles.append(
                    self.hourly_profile(
                        block_start,
                        float(places.lat[i]),
                        key[0],
                        str(places.region[i]),
                        str(places.country[i]),
                    )
                )
            key_of[i] = k
        cum = [np.concatenate(([0.0], np.cumsum(m))) for m, _ in profiles]
        rate = (
            places.population
            * (places.hospital_rate_per_1000_year + places.minor_rate_per_1000_year)
            / 1000.0
            / HOURS_PER_YEAR
        )
        expected = rate * np.array([cum[k][-1] for k in key_of])

        counts = np.zeros(len(places), dtype=np.int64)
        draws: list[np.ndarray] = []
        for i in range(len(places)):
            rng = np.random.default_rng([self.seed, _STREAM_PLACE, int(places.index[i]), block])
            n = int(rng.poisson(expected[i]))
            if n >= 2**SEQ_BITS:
                raise ValueError(
                    "more than a million episodes in one place and week; lower the demand rates"
                )
            if n >= EPIDEMIC_SEQ and len(places.epidemic_per_day):
                raise ValueError(
                    "more than half a million episodes in one place and week beside an "
                    "epidemic; lower the demand rates"
                )
            counts[i] = n
            if n:
                draws.append(rng.random((n, _U_COLUMNS)))
        total = int(counts.sum())
        epidemic = self._epidemic_block(places, block)
        if total == 0:
            if epidemic is None:
                return _empty_block()
            order = np.lexsort((epidemic["patient_id"], epidemic["arrival"]))
            return {name: values[order] for name, values in epidemic.items()}
        u = np.concatenate(draws)
        row = np.repeat(np.arange(len(places)), counts)
        seq = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        pid = (places.index[row].astype(np.int64) << 32) | (block << SEQ_BITS) | seq

        onset = np.empty(total)
        hour = np.empty(total, dtype=np.int64)
        probs = np.empty((total, len(self.courses.names)))
        grid = np.arange(BLOCK_HOURS + 1, dtype=np.float64)
        krow = key_of[row]
        for k, (_, p) in enumerate(profiles):
            sel = krow == k
            if not sel.any():
                continue
            offset = np.interp(u[sel, 0] * cum[k][-1], cum[k], grid)
            onset[sel] = block_start + offset
            h = np.minimum(offset.astype(np.int64), BLOCK_HOURS - 1)
            hour[sel] = h
            probs[sel] = p[h]
        cum_probs = np.cumsum(probs, axis=1)
        condition = np.minimum((u[:, 1:2] > cum_probs).sum(axis=1), len(self.courses.names) - 1)
        course = self._course(u, condition, places, row)
        arrival = onset + places.access_hours[row]
        order = np.lexsort((pid, arrival))
        out = {
            "patient_id": pid,
            "place": places.place_id[row].astype(np.int64),
            "facility": places.facility[row].astype(np.int32),
            "onset": onset,
            "arrival": arrival,
            "condition": condition.astype(np.int8),
            **course,
        }
        if epidemic is not None:
            out = {name: np.concatenate([values, epidemic[name]]) for name, values in out.items()}
            order = np.lexsort((out["patient_id"], out["arrival"]))
        return {name: values[order] for name, values in out.items()}

    def _epidemic_block(self, places: PlaceTable, block: int) -> dict[str, np.ndarray] | None:
        """The epidemic's episodes with onset in one block: Poisson at each point's daily rate,
        from the point's own stream, all of them needing a bed (condition ``epidemic``)."""
        per_day = places.epidemic_per_day
        if not len(per_day) or not per_day.shape[1] or "epidemic" not in self.courses.names:
            return None
        block_start = block * BLOCK_HOURS
        hours = block_start + np.arange(BLOCK_HOURS)
        day = np.minimum(hours // 24, per_day.shape[1] - 1)
        hourly = per_day[:, day] / 24.0 * (hours < per_day.shape[1] * 24)  # points x hours
        cum = np.concatenate([np.zeros((len(places), 1)), np.cumsum(hourly, axis=1)], axis=1)
        counts = np.zeros(len(places), dtype=np.int64)
        draws = []
        for i in np.flatnonzero(cum[:, -1] > 0).tolist():
            rng = np.random.default_rng([self.seed, _STREAM_EPIDEMIC, int(places.index[i]), block])
            n = int(rng.poisson(cum[i, -1]))
            if n >= EPIDEMIC_SEQ:
                raise ValueError("more than half a million epidemic admissions in a place-week")
            counts[i] = n
            if n:
                draws.append(rng.random((n, _U_COLUMNS)))
        total = int(counts.sum())
        if total == 0:
            return None
        u = np.concatenate(draws)
        row = np.repeat(np.arange(len(places)), counts)
        seq = EPIDEMIC_SEQ + np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        pid = (places.index[row].astype(np.int64) << 32) | (block << SEQ_BITS) | seq
        grid = np.arange(BLOCK_HOURS + 1, dtype=np.float64)
        onset = np.empty(total)
        for i in np.flatnonzero(counts).tolist():
            sel = row == i
            onset[sel] = block_start + np.interp(u[sel, 0] * cum[i, -1], cum[i], grid)
        condition = np.full(total, self.courses.names.index("epidemic"), dtype=np.int64)
        course = self._course(u, condition, places, row, minor=np.zeros(total, dtype=bool))
        return {
            "patient_id": pid,
            "place": places.place_id[row].astype(np.int64),
            "facility": places.facility[row].astype(np.int32),
            "onset": onset,
            "arrival": onset + places.access_hours[row],
            "condition": condition.astype(np.int8),
            **course,
        }

    def _course(
        self,
        u: np.ndarray,
        condition: np.ndarray,
        places: PlaceTable,
        row: np.ndarray,
        minor: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        c = self.courses
        if minor is None:
            hosp = places.hospital_rate_per_1000_year[row]
            minor_share = places.minor_rate_per_1000_year[row] / (
                hosp + places.minor_rate_per_1000_year[row]
            )
            minor = u[:, 2] < minor_share
        icu = ~minor & (u[:, 3] < c.p_icu[condition])
        need = np.where(minor, 0, np.where(icu, 2, 1)).astype(np.int8)
        # the ventilator need is drawn for every ICU need, a later escalation's included
        needs_ventilator = u[:, 4] < c.p_ventilator[condition]
        ventilator = icu & needs_ventilator
        acuity = np.select(
            [need == 2, need == 1],
            [np.where(ventilator, 1, 2), np.where(u[:, 5] < 0.3, 2, 3)],
            np.where(u[:, 5] < 0.4, 4, 5),
        ).astype(np.int8)
        icu_stay = np.where(
            needs_ventilator, c.stay_ventilated_hours[condition], c.stay_icu_hours[condition]
        )
        los_mean = np.where(icu, icu_stay, c.stay_ward_hours[condition])
        los = np.where(minor, 0.0, self.los_quantile(u[:, 6], los_mean))
        escalates = (need == 1) & (u[:, 7] < c.p_escalate[condition])
        escalate_after = np.where(escalates, u[:, 8] * los, np.nan)
        los_icu_after = np.where(escalates, self.los_quantile(u[:, 9], icu_stay), 0.0)
        # after the ICU: a step-down ward stay, from which a share is readmitted to the ICU
        ever_icu = icu | escalates
        stepdown_mean = c.stay_stepdown_hours[condition]
        stepdown = np.where(
            ever_icu & (stepdown_mean > 0),
            self.los_quantile(u[:, 12], np.maximum(stepdown_mean, 1e-9)),
            0.0,
        )
        readmit = ever_icu & (u[:, 13] < c.p_icu_readmission[condition])
        return {
            "acuity": acuity,
            "need": need,
            "ventilator": ventilator,
            "los_hours": los,
            "escalate_after_hours": escalate_after,
            "los_icu_after_hours": los_icu_after,
            "death_clock": -np.log1p(-u[:, 10]),
            "u_tele": u[:, 11].copy(),
            "vent_on_escalation": escalates & needs_ventilator,
            "los_stepdown_hours": stepdown,
            "readmit_after_hours": np.where(readmit, u[:, 14] * stepdown, np.nan),
        }

    def los_quantile(self, u: np.ndarray, mean: np.ndarray | float) -> np.ndarray:
        """Length of stay in hours with the given mean, from uniforms (inverse CDF)."""
        u = np.clip(u, 1e-12, 1 - 1e-12)
        if self.demand.los_distribution == "exponential":
            return -np.log1p(-u) * mean
        sigma2 = np.log1p(self.demand.los_cv**2)
        mu = np.log(mean) - sigma2 / 2.0
        return np.asarray(np.exp(mu + np.sqrt(sigma2) * ndtri(u)))

    def residual_stay(
        self, u_point: np.ndarray, u_length: np.ndarray, mean: np.ndarray | float
    ) -> np.ndarray:
        """Hours left of the stays of patients found in bed at a random instant.

        A patient in bed at a given moment is more likely to be on a long stay (the stay is
        length-biased); the time left is a uniform share of it. For exponential stays this is
        again exponential with the same mean.
        """
        if self.demand.los_distribution == "exponential":
            return self.los_quantile(u_length, mean)
        # a length-biased lognormal is lognormal with the mean scaled by 1 + cv^2
        return u_point * self.los_quantile(u_length, np.asarray(mean) * (1 + self.demand.los_cv**2))

    def census_stream(self, facility_id: int) -> np.random.Generator:
        """The random stream a facility draws its starting census from."""
        return np.random.default_rng([self.seed, _STREAM_CENSUS, int(facility_id)])


def _surge_factor(
    days: np.ndarray, start: float, ramp: float, plateau: float, factor: float
) -> np.ndarray:
    up = start + ramp
    down = up + plateau
    end = down + ramp
    x = np.interp(days, [start, up, down, end], [0.0, 1.0, 1.0, 0.0], left=0.0, right=0.0)
    return 1.0 + (factor - 1.0) * x


def _empty_block() -> dict[str, np.ndarray]:
    f8 = np.empty(0, dtype=np.float64)
    return {
        "patient_id": np.empty(0, dtype=np.int64),
        "place": np.empty(0, dtype=np.int64),
        "facility": np.empty(0, dtype=np.int32),
        "onset": f8,
        "arrival": f8,
        "condition": np.empty(0, dtype=np.int8),
        "acuity": np.empty(0, dtype=np.int8),
        "need": np.empty(0, dtype=np.int8),
        "ventilator": np.empty(0, dtype=bool),
        "los_hours": f8,
        "escalate_after_hours": f8,
        "los_icu_after_hours": f8,
        "death_clock": f8,
        "u_tele": f8,
        "vent_on_escalation": np.empty(0, dtype=bool),
        "los_stepdown_hours": f8,
        "readmit_after_hours": f8,
    }
