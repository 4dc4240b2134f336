"""Nurses on duty and staffed beds of a shard's hospitals, window by window.

At each window start, for all of a shard's hospitals at once:

1. **On duty**: headcount / ``staff_per_post`` (the people one post around the clock needs)
   x the roster factor (day or night shift, weekday or weekend, in the hospital's local time;
   the factors average 1 over a week, so the roster moves staff, it adds none) x (1 - the
   absent share), averaged over the window's hours, for the ward and the ICU.
2. **Absent share** of a hospital and local day: the base (``capacity.absenteeism``) plus the
   respiratory sensitivity x (respiratory demand at the hospital / its annual mean - 1),
   times lognormal day-to-day noise of mean 1 from a counter-based hash of (seed, facility
   id, day): no random generator per hospital, and the same draw at any shard count.
3. **Standard**: conventional, contingency or crisis patients per nurse; the network's from
   ``staffing.standard_from_day``, raised by a hospital's own triggers (a unit's pressure,
   (occupied + waiting) / beds, above a threshold for some hours, seen at window starts).
4. **Staffed beds** = min(beds, floor(on duty x patients per nurse)). Where patients wait
   for beds closed for lack of staff, the ICU first calls overtime (up to a share of its
   nurses on duty), agency nurses, then ward nurses (up to a share); the ward then overtime
   and what is left of the agency nurses, only as many as the waiting patients need.
5. **Intermediate care** has its own nurses, rostered and absent like the others, at its own
   patients per nurse; a standard scales it as it scales the ICU's. It calls on no overtime,
   agency or redeployment.

A bed that loses its nurse closes to new admissions and its patient stays; a hospital whose
staffed beds rise fills them from its queues. The trigger state is the only state carried
from window to window (``state`` and ``restore`` for checkpoints). Nothing here is per
patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from regional.demand import DemandModel
from regional.streams import uniforms

if TYPE_CHECKING:
    from agents import Hospital
    from regional.scenario import Scenario

STANDARDS = ("conventional", "contingency", "crisis")
UNITS = ("ward", "icu")
ABSENT_MAX = 0.9  # a hospital keeps at least a tenth of its rostered nurses
_EPS = 1e-9
STREAM_ABSENCE = 3  # regional.streams: ventilators are stream 2


@dataclass(frozen=True)
class StaffingRules:
    """A scenario's staffing parameters as plain values (see ``regional.scenario.Staffing``)."""

    staff_per_post: float
    day_shift_start_hour: float
    night_shift_start_hour: float
    night_share: float
    weekend_share: float
    absenteeism: float
    noise_cv: float
    respiratory_sensitivity: float
    infection_risk_ratio: float  # a nurse's risk of infection in an epidemic over the town's
    isolation_days: float  # days an infected nurse is off work
    overtime_share_max: float
    agency_nurses_per_shift: float
    redeploy_ward_share_max: float
    patients_per_nurse: tuple[tuple[float, float], ...]  # by standard: (ward, ICU)
    intermediate_patients_per_nurse: float  # conventional; standards scale it as the ICU's
    switches: tuple[tuple[float, int], ...]  # (start hour, standard), by start
    triggers: tuple[tuple[int, int, float, float], ...]  # (standard, unit, above, hours)
    start_hour: float  # UTC hour of day at which the run starts
    start_weekday: int  # Monday 0, in UTC
    seed: int

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> StaffingRules:
        """The rules of a validated scenario."""
        c, s = scenario.capacity, scenario.staffing
        start: dt.datetime = scenario.clock_start
        warmup = scenario.warmup_hours  # days of the scenario count from its start
        switches = sorted(
            (
                (warmup + sw.start_day * 24.0, STANDARDS.index(sw.standard))
                for sw in s.standard_from_day
            ),
            key=lambda x: x[0],
        )
        return cls(
            staff_per_post=s.staff_per_post,
            day_shift_start_hour=s.day_shift_start_hour,
            night_shift_start_hour=s.night_shift_start_hour,
            night_share=s.night_share,
            weekend_share=s.weekend_share,
            absenteeism=c.absenteeism,
            noise_cv=s.absenteeism_noise_cv,
            respiratory_sensitivity=s.absenteeism_respiratory_sensitivity,
            infection_risk_ratio=s.epidemic_infection_risk_ratio,
            isolation_days=s.epidemic_isolation_days,
            overtime_share_max=s.overtime_share_max,
            agency_nurses_per_shift=s.agency_nurses_per_shift,
            redeploy_ward_share_max=s.redeploy_ward_share_max,
            patients_per_nurse=(
                (c.ward_patients_per_nurse, c.icu_patients_per_nurse),
                (c.contingency_ward_patients_per_nurse, c.contingency_icu_patients_per_nurse),
                (c.crisis_ward_patients_per_nurse, c.crisis_icu_patients_per_nurse),
            ),
            intermediate_patients_per_nurse=c.intermediate_patients_per_nurse,
            switches=tuple(switches),
            triggers=tuple(
                (STANDARDS.index(t.standard), UNITS.index(t.unit), t.occupancy_above, t.after_hours)
                for t in s.triggers
            ),
            start_hour=start.hour + start.minute / 60.0 + start.second / 3600.0,
            start_weekday=start.weekday(),
            seed=int(scenario.seed),
        )

    @property
    def night_hours(self) -> float:
        """Hours of the night shift in a day."""
        return (self.day_shift_start_hour - self.night_shift_start_hour) % 24.0


def roster_factor(rules: StaffingRules, local_hours: np.ndarray) -> np.ndarray:
    """Staff on duty relative to the weekly mean at local times (hours since the local
    midnight of the run's first day); the mean over a whole week is 1."""
    local = np.asarray(local_hours, dtype=np.float64)
    hour = np.mod(local, 24.0)
    night_hours = rules.night_hours
    night = np.mod(hour - rules.night_shift_start_hour, 24.0) < night_hours
    day_factor = (1.0 - rules.night_share) * 24.0 / (24.0 - night_hours)
    night_factor = rules.night_share * 24.0 / night_hours
    weekday = (rules.start_weekday + np.floor(local / 24.0).astype(np.int64)) % 7
    weekend = weekday >= 5
    week_factor = np.where(
        weekend, rules.weekend_share * 7.0 / 2.0, (1.0 - rules.weekend_share) * 7.0 / 5.0
    )
    return np.where(night, night_factor, day_factor) * week_factor


def nominal_staffed(
    beds: np.ndarray, nurses: np.ndarray, patients_per_nurse: float, rules: StaffingRules
) -> np.ndarray:
    """Staffed beds at the conventional standard with the mean roster and the base absence."""
    on_duty = np.asarray(nurses, dtype=np.float64) / rules.staff_per_post * (1 - rules.absenteeism)
    return np.minimum(beds, np.floor(on_duty * patients_per_nurse + _EPS)).astype(np.int32)


class Staffing:
    """The staffing of a shard's hospitals (arrays in the order of the shard's hospitals)."""

    COLUMNS = (
        "facility_id",
        "stream_key",
        "ward_beds",
        "icu_beds",
        "ward_nurses",
        "icu_nurses",
        "utc_offset_hours",
        "lat",
        "region",
        "country",
        "ward_staffed",
        "icu_staffed",
        "intermediate_beds",
        "intermediate_nurses",
        "intermediate_staffed",
    )
    """The facility columns it is built from, by keyword."""

    def __init__(
        self,
        rules: StaffingRules,
        demand: DemandModel,
        facility_id: np.ndarray,
        stream_key: np.ndarray,
        ward_beds: np.ndarray,
        icu_beds: np.ndarray,
        ward_nurses: np.ndarray,
        icu_nurses: np.ndarray,
        utc_offset_hours: np.ndarray,
        lat: np.ndarray,
        region: np.ndarray,
        country: np.ndarray,
        ward_staffed: np.ndarray,
        icu_staffed: np.ndarray,
        intermediate_beds: np.ndarray,
        intermediate_nurses: np.ndarray,
        intermediate_staffed: np.ndarray,
        infected_share: np.ndarray | None = None,
    ) -> None:
        self.rules = rules
        self.demand = demand
        self.facility_id = np.asarray(facility_id, dtype=np.int64)
        self.stream_key = np.asarray(stream_key, dtype=np.int64)  # its absence draws' key
        # an epidemic's share of each hospital's town infected by run day (hospitals x days)
        self.infected_share = (
            np.zeros((len(self.stream_key), 0))
            if infected_share is None
            else np.asarray(infected_share, dtype=np.float64)
        )
        self.beds = np.column_stack([ward_beds, icu_beds]).astype(np.int64)
        self.posts = np.column_stack([ward_nurses, icu_nurses]) / rules.staff_per_post
        self.offset = np.asarray(utc_offset_hours, dtype=np.float64)
        self.ratios = np.asarray(rules.patients_per_nurse, dtype=np.float64)
        n, n_triggers = len(self.facility_id), len(rules.triggers)
        self.trigger_active = np.zeros((n, n_triggers), dtype=bool)
        self.trigger_since = np.full((n, n_triggers), np.nan)
        self.standard = np.zeros(n, dtype=np.int64)
        self.ratio = self.ratios[self.standard]  # (n, 2): patients per nurse, ward and ICU
        self.intermediate_beds = np.asarray(intermediate_beds, dtype=np.int64)
        self.intermediate_posts = np.asarray(intermediate_nurses) / rules.staff_per_post
        self.intermediate_ratio = np.full(n, rules.intermediate_patients_per_nurse)
        self.intermediate_staffed = np.asarray(intermediate_staffed, dtype=np.int64)
        self.on_duty = (self.posts.sum(axis=1) + self.intermediate_posts) * (1 - rules.absenteeism)
        # the hospitals' staffed beds as last set (at first, those they were built with)
        self.staffed = np.column_stack([ward_staffed, icu_staffed]).astype(np.int64)
        self._groups, self._group_of = self._respiratory_groups(lat, region, country)
        self._absent: dict[int, np.ndarray] = {}

    # -- the window's staffing ----------------------------------------------------------------

    def update(
        self, start: float, end: float, occupied: np.ndarray, waiting: np.ndarray
    ) -> np.ndarray:
        """Staffed beds (n x 2: ward, ICU) for the window [start, end).

        ``occupied`` and ``waiting`` (n x 2) are the patients in the units' beds and in their
        queues at the window start; occupancy is read only where patients wait, and by the
        triggers.
        """
        r = self.rules
        present = self._present(start, end)  # (n,) mean of roster x (1 - absent)
        regular = self.posts * present[:, None]
        self._update_triggers(start, occupied, waiting)
        self.standard = self._standard(start)
        ratio = self.ratio = self.ratios[self.standard]
        beds = self.beds
        demand = np.minimum(occupied + waiting, beds)

        def gap(on: np.ndarray, unit: int) -> np.ndarray:
            """Nurses short of opening the beds the unit's waiting patients need."""
            staffed = np.minimum(beds[:, unit], np.floor(on * ratio[:, unit] + _EPS))
            short = (waiting[:, unit] > 0) & (staffed < beds[:, unit])
            return np.where(short, np.maximum(demand[:, unit] / ratio[:, unit] - on, 0.0), 0.0)

        ward, icu = regular[:, 0].copy(), regular[:, 1].copy()
        need = gap(icu, 1)
        overtime = np.minimum(need, r.overtime_share_max * regular[:, 1])
        agency_icu = np.minimum(need - overtime, r.agency_nurses_per_shift)
        moved = np.minimum(need - overtime - agency_icu, r.redeploy_ward_share_max * ward)
        icu += overtime + agency_icu + moved
        ward -= moved
        need = gap(ward, 0)
        overtime = np.minimum(need, r.overtime_share_max * regular[:, 0])
        agency_ward = np.minimum(need - overtime, r.agency_nurses_per_shift - agency_icu)
        ward += overtime + agency_ward
        on = np.column_stack([ward, icu])
        intermediate = self.intermediate_posts * present
        self.intermediate_ratio = (
            r.intermediate_patients_per_nurse * ratio[:, 1] / self.ratios[0, 1]
        )
        self.intermediate_staffed = np.minimum(
            self.intermediate_beds, np.floor(intermediate * self.intermediate_ratio + _EPS)
        ).astype(np.int64)
        self.on_duty = ward + icu + intermediate
        return np.minimum(beds, np.floor(on * ratio + _EPS)).astype(np.int64)

    def _present(self, start: float, end: float) -> np.ndarray:
        """Mean over the window's hours of roster factor x (1 - absent share), per hospital."""
        r = self.rules
        k = max(1, int(np.ceil(end - start - _EPS)))
        at = start + (np.arange(k) + 0.5) * (end - start) / k
        local = at[None, :] + self.offset[:, None] + r.start_hour  # (n, k)
        day = np.floor(local / 24.0).astype(np.int64)
        first = int(day.min()) if day.size else 0
        by_day = np.stack([self._absent_on(d) for d in range(first, int(day.max(initial=0)) + 1)])
        absent = by_day[day - first, np.arange(len(day))[:, None]]
        return np.asarray((roster_factor(r, local) * (1.0 - absent)).mean(axis=1))

    def _absent_on(self, day: int) -> np.ndarray:
        """Absent share of each hospital on its local day ``day`` (kept for the next windows)."""
        found = self._absent.get(day)
        if found is not None:
            return found
        for old in [d for d in self._absent if d < day - 2]:
            del self._absent[old]
        r = self.rules
        share = r.absenteeism + r.respiratory_sensitivity * (self._relative_day(day) - 1.0)
        share = share + self._off_infected(day)
        if r.noise_cv > 0:
            sigma = np.sqrt(np.log1p(r.noise_cv**2))
            u = uniforms(r.seed, STREAM_ABSENCE, self.stream_key, day)
            share = share * np.exp(sigma * ndtri(u) - sigma**2 / 2.0)
        found = self._absent[day] = np.clip(share, 0.0, ABSENT_MAX)
        return found

    def _off_infected(self, day: int) -> np.ndarray | float:
        """Share of each hospital's nurses off work on ``day`` because an epidemic infected
        them: the risk ratio times the share of the town infected over the isolation days."""
        r = self.rules
        days = self.infected_share.shape[1]
        if not days or r.infection_risk_ratio == 0.0 or r.isolation_days == 0.0:
            return 0.0
        whole = int(r.isolation_days)
        first = max(day - whole + 1, 0)
        last = min(day, days - 1)
        recent = self.infected_share[:, first : last + 1].sum(axis=1) if first <= last else 0.0
        part = r.isolation_days - whole  # the fraction of a day before the whole days
        if part > 0 and 0 <= day - whole < days:
            recent = recent + part * self.infected_share[:, day - whole]
        return r.infection_risk_ratio * np.asarray(recent, dtype=np.float64)

    def _respiratory_groups(
        self, lat: np.ndarray, region: np.ndarray, country: np.ndarray
    ) -> tuple[list[tuple[float, float, str, str]], np.ndarray]:
        """Hospitals that share a respiratory profile: latitude's season, offset, surge area."""
        peak = self.demand.season_peak_day(np.asarray(lat, dtype=np.float64))
        regional = any(s.regions for s in self.demand.demand.surges)
        keys: dict[tuple[float, float, str, str], int] = {}
        group_of = np.empty(len(self.facility_id), dtype=np.int64)
        groups: list[tuple[float, float, str, str]] = []
        for i in range(len(group_of)):
            # a representative latitude of the same season: the peak day is all it changes
            key = (
                float(peak[i]),
                float(self.offset[i]),
                str(region[i]) if regional else "",
                str(country[i]) if regional else "",
            )
            g = keys.get(key)
            if g is None:
                g = keys[key] = len(groups)
                groups.append((float(lat[i]), *key[1:]))
            group_of[i] = g
        return groups, group_of

    def _relative_day(self, day: int) -> np.ndarray:
        """Respiratory demand at local noon of ``day`` over its annual mean, per hospital."""
        courses = self.demand.courses
        names = list(courses.names)
        if "respiratory" not in names or not len(self._groups):
            value = np.ones(len(self.facility_id))
        else:
            col = names.index("respiratory")
            per_group = np.empty(len(self._groups))
            for g, (lat, offset, region, country) in enumerate(self._groups):
                noon = np.array([day * 24.0 + 12.0 - offset - self.rules.start_hour])
                weights = self.demand.condition_weights(noon, lat, region, country)
                per_group[g] = weights[0, col] / courses.share[col]
            value = per_group[self._group_of]
        return np.asarray(value)

    # -- standards ----------------------------------------------------------------------------

    def _standard(self, start: float) -> np.ndarray:
        level = 0
        for at, standard in self.rules.switches:
            if at <= start + _EPS:
                level = standard
        out = np.full(len(self.facility_id), level, dtype=np.int64)
        for j, (standard, _, _, _) in enumerate(self.rules.triggers):
            out = np.where(self.trigger_active[:, j], np.maximum(out, standard), out)
        return out

    def _update_triggers(self, start: float, occupied: np.ndarray, waiting: np.ndarray) -> None:
        """A trigger changes state once the pressure has been on its other side for its hours."""
        if not self.rules.triggers:
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            pressure = np.where(self.beds > 0, (occupied + waiting) / self.beds, 0.0)
        for j, (_, unit, above, hours) in enumerate(self.rules.triggers):
            active, since = self.trigger_active[:, j], self.trigger_since[:, j]
            change = (pressure[:, unit] > above) != active
            since = np.where(change, np.where(np.isnan(since), start, since), np.nan)
            switch = change & (start - since >= hours - _EPS)
            self.trigger_active[:, j] = np.where(switch, ~active, active)
            self.trigger_since[:, j] = np.where(switch, np.nan, since)

    # -- checkpoints --------------------------------------------------------------------------

    def state(self) -> dict[int, tuple[list[bool], list[float]]]:
        """Each hospital's trigger state by facility id: (active, since) per trigger."""
        return {
            int(fid): (self.trigger_active[i].tolist(), self.trigger_since[i].tolist())
            for i, fid in enumerate(self.facility_id)
        }

    def restore(self, state: dict[int, tuple[list[bool], list[float]]]) -> None:
        """Put back the trigger state of ``state``."""
        for i, fid in enumerate(self.facility_id.tolist()):
            active, since = state[fid]
            self.trigger_active[i] = active
            self.trigger_since[i] = since


def nurses_short(
    occupied: np.ndarray,
    waiting: np.ndarray,
    ratio: np.ndarray,
    on_duty: np.ndarray,
    intermediate: np.ndarray | None = None,
    intermediate_ratio: np.ndarray | None = None,
) -> np.ndarray:
    """Nurses the patients in bed and waiting (n x 2: ward, ICU) and in intermediate care
    need at the patients per nurse ``ratio`` (n x 2) and ``intermediate_ratio``, less those on
    duty, where positive."""
    need = ((occupied + waiting) / ratio).sum(axis=1)
    if intermediate is not None and intermediate_ratio is not None:
        need = need + np.asarray(intermediate, dtype=np.float64) / intermediate_ratio
    return np.asarray(np.maximum(need - on_duty, 0.0))


def restaff(staffing: Staffing, hospitals: list[Hospital], start: float, end: float) -> None:
    """Set every hospital's staffed beds for the window [start, end)."""
    if not hospitals:
        return
    # one flat list per column: NumPy reads lists of ints far faster than lists of tuples
    waiting = np.column_stack(
        [
            np.array([len(h.ward_queue) for h in hospitals], dtype=np.int64),
            np.array([len(h.icu_queue) for h in hospitals], dtype=np.int64),
        ]
    )
    # occupancy matters only to triggers and to hospitals where patients wait
    if staffing.rules.triggers:
        occupied = np.column_stack(
            [
                np.array([h.ward_occupied for h in hospitals], dtype=np.int64),
                np.array([h.icu_occupied for h in hospitals], dtype=np.int64),
            ]
        )
    else:
        occupied = np.zeros_like(waiting)
        for i in np.flatnonzero(waiting.any(axis=1)).tolist():
            occupied[i] = hospitals[i].ward_occupied, hospitals[i].icu_occupied
    intermediate_before = staffing.intermediate_staffed
    staffed = staffing.update(start, end, occupied, waiting)
    intermediate = staffing.intermediate_staffed
    changed = np.flatnonzero(
        (staffed != staffing.staffed).any(axis=1) | (intermediate != intermediate_before)
    )
    staffing.staffed = staffed
    # a hospital whose staffed beds stay has nothing to fill: its queues wait for a bed already
    rows = zip(
        changed.tolist(), staffed[changed].tolist(), intermediate[changed].tolist(), strict=True
    )
    for i, (ward, icu), middle in rows:
        hospitals[i].restaff(ward, icu, middle)
