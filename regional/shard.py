"""A shard: one ``mesa.Model`` owning some facilities, their catchment places and their patients.

Inside a window the shard advances by events in continuous time and touches only its own
facilities. One window, in order:

1. **Receive** the inbox: the capacity board as of the window start, transfers arriving,
   teleconsult requests for its hubs (answered here), answers for its clinics.
2. **Admit arrivals**: episodes with onset in the window's range arrive from their places.
3. **Run events** in time order up to the window end, sampling the time series on the way.
4. **Send** the outbox: transfers, requests and answers produced, the board rows of its
   hospitals, and the window's statistics.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pyarrow as pa

from agents import CarePolicy, Event, Hospital, Outcome, Patient, RuralClinic
from agents.pathway import Bed, Need
from agents.patient import TRAVELLING_FIELDS
from geodata.travel import TravelRules
from regional import protocol
from regional.arrivals import ARRIVAL_TIME, ArrivalFeed
from regional.demand import DemandModel, PlaceTable
from regional.facility_agents import build_facilities
from regional.lean_model import LeanModel
from regional.records import (
    PATIENT_LOG_SCHEMA,
    REFERRAL_LOG_SCHEMA,
    STAY_LOG_SCHEMA,
    TIMESERIES_LOG_SCHEMA,
    TRANSFER_LOG_SCHEMA,
    ColumnBuffer,
)
from regional.routing import Router, board_rows
from regional.sampling import Sampler
from regional.shard_results import facility_counters, patient_row
from regional.staffing import Staffing, StaffingRules, restaff
from regional.supplies import Supplies
from regional.surge import SurgeActions, SurgeRule
from regional.teleconsults import TeleconsultExchange


@contextlib.contextmanager
def collector_deferred() -> Iterator[None]:
    """Run a block with Python's cycle collector off, then freeze what the block left alive.

    A shard holds hundreds of thousands of live patients and calendar entries, and the collector
    would walk them again and again as patients come and go (a quarter of the time on Brazil).
    Reference counting frees patients and events as before: they form no reference cycles
    (``tests/regional/test_shard.py`` checks that a run of windows leaves no cyclic garbage).
    Freezing moves the survivors out of the collector's sight, so that later collections in
    this process only walk what is new; the backend unfreezes them when the run ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


_NEVER = math.inf
# hospital tiers in the order of the services they offer: a tier offers those of the ones below
TIER_RANK = {"general": 0, "regional": 1, "tertiary": 2}


@dataclass(frozen=True)
class HospitalDirectory:
    """Every hospital of the network, for choosing transfer destinations from the board."""

    facility_id: np.ndarray  # int32, sorted ascending
    lon: np.ndarray
    lat: np.ndarray
    remote: np.ndarray  # int8 leg codes (geodata.travel.leg_codes)
    tier: np.ndarray  # int8, TIER_RANK of each hospital
    ward_beds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    icu_beds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    region: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    country: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))


@dataclass(frozen=True)
class ShardSpec:
    """Everything a shard needs to build itself: plain arrays, no live objects."""

    shard: int
    facilities: dict[str, np.ndarray]  # own facilities, columns of the network's table
    places: PlaceTable
    hospitals: HospitalDirectory
    horizon_hours: float
    window_hours: float
    sample_hours: float
    seed: int
    initial_ward_occupancy: float
    initial_icu_occupancy: float
    dispatch_hours: float
    max_transfer_minutes: float
    max_transfers: int
    travel: TravelRules
    staffing: StaffingRules
    ventilator_mtbf_hours: float | None = None
    ventilator_mttr_hours: float = 72.0
    ventilator_maintenance_every_days: float | None = None
    ventilator_maintenance_hours: float = 0.0
    # oxygen: litres a minute by patient, supply per bed, reserve, and outages as
    # (start hour, end hour, supply share, region or country codes)
    oxygen_lpm: tuple[float, float, float] = (0.0, 0.0, 0.0)  # ward, ICU, ventilated
    oxygen_supply_lpm_per_bed: tuple[float, float] = (math.inf, math.inf)  # ward, ICU
    oxygen_reserve_hours: float = 48.0
    oxygen_outages: tuple[tuple[float, float, float, tuple[str, ...]], ...] = ()
    # the hour of the week (0: Monday 00:00 UTC) at the run's hour 0, for the desks' hours
    start_hour_of_week: float = 0.0
    # the lowest TIER_RANK a transfer destination of an ICU-need patient has, by condition code
    min_tier_icu: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    # a routing engine's minutes by own source facility: (hospital directory rows, minutes)
    road_minutes: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    surge: tuple[SurgeRule, ...] = ()  # the scenario's surge actions
    # a real census of own facilities (regional.snapshot.start.CENSUS_FIELDS); empty: none
    census_given: dict[str, np.ndarray] = field(default_factory=dict)
    # the clock's hour at which the reported period starts (after the warm-up)
    results_from_hours: float = 0.0
    # the starting census: "steady" from census_load, "fixed" at the initial_* occupancies
    census_start: str = "fixed"
    # offered load of each own facility by condition and segment kind (regional.census)
    census_load: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    # patience per mean stay of each own facility's waiting patients, ward and ICU
    census_patience: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    # an epidemic's newly infected share of each own hospital's town by run day (none: 0 days)
    infected_share: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


class ShardModel(LeanModel):
    """The facilities of one shard and the patients at them, advanced window by window."""

    def __init__(
        self, spec: ShardSpec, demand: DemandModel, policy: CarePolicy, census: bool = True
    ) -> None:
        super().__init__(seed=spec.seed)
        self.spec = spec
        self.demand = demand
        self.policy = policy
        self.now = 0.0
        self.window = 0
        self.results_from = spec.results_from_hours
        self.reporting = spec.results_from_hours <= 0.0
        self._heap: list[tuple[float, int, int, int, Patient]] = []
        # every calendar entry gets its own stamp: two entries never tie up to the patient,
        # not even a lapsed one of a patient who left and the entry of the same patient back
        self._stamps = itertools.count(1)
        self._later: dict[int, list[tuple[float, int, int, int, Patient]]] = {}
        self._window_end = 0.0
        self._open_bucket = 0  # the first window whose bucket has not joined the heap
        self.hospitals, self.clinics, self.facilities = build_facilities(self)
        f = spec.facilities
        self._place_of = dict(zip(f["facility_id"].tolist(), f["place_id"].tolist(), strict=True))
        hospital_rows = f["kind"] == "hospital"
        self.staffing = Staffing(
            spec.staffing,
            demand,
            **{c: f[c][hospital_rows] for c in Staffing.COLUMNS},
            infected_share=spec.infected_share if spec.infected_share.size else None,
        )
        self.surge = SurgeActions(spec.surge, spec.hospitals)
        self.supplies = Supplies(spec, self.hospitals)
        self._no_oxygen: set[int] = set()  # hospitals short of oxygen in this window
        self.feed = ArrivalFeed(demand, spec.places, spec.horizon_hours)
        self.router = Router(spec)
        self.patients_log = ColumnBuffer(PATIENT_LOG_SCHEMA)
        self.transfers_log = ColumnBuffer(TRANSFER_LOG_SCHEMA)
        self.referrals_log = ColumnBuffer(REFERRAL_LOG_SCHEMA)
        self.teleconsults = TeleconsultExchange(self.referrals_log)
        self.awaiting_answer = self.teleconsults.awaiting_answer
        self.timeseries_log = ColumnBuffer(TIMESERIES_LOG_SCHEMA)
        self.sampler = Sampler(
            self.hospitals, self.clinics, self.staffing, spec.sample_hours, self.timeseries_log
        )
        self.stays_log = ColumnBuffer(STAY_LOG_SCHEMA)
        self._stay_row = self.stays_log.append
        self._out_transfers = ColumnBuffer(protocol.TRANSFER_SCHEMA)
        self._new_patients = 0
        self._finished = 0
        self._events = 0
        self._arriving = 0
        self.census_patients = 0
        self.saved_log_rows: dict[str, int] = {}
        self._handlers = {
            Event.ARRIVE: self._arrive,
            Event.DISCHARGE: lambda p: self._hospital(p).discharge(p),
            Event.ESCALATE: lambda p: self._hospital(p).escalate(p),
            Event.TIMEOUT: lambda p: self._hospital(p).timeout(p),
            Event.TREATED: lambda p: self.facilities[p.facility].treated(p),
            Event.DEPART: lambda p: self._clinic(p).depart(p),
            Event.ANSWER: lambda p: self._clinic(p).answer(p),
            Event.DIE: self._die,
        }
        self._update_ventilators(0)
        self.census_seconds = 0.0  # building the starting census, CPU
        if census:
            from regional.census import admit_census

            began = time.process_time()
            with collector_deferred():
                admit_census(self)
            self.census_seconds = time.process_time() - began

    def place_of(self, facility_id: int) -> int:
        """The place a facility of this shard stands in."""
        return int(self._place_of[facility_id])

    # -- the network interface used by agents -------------------------------------------------

    def schedule(self, time: float, kind: int, patient: Patient) -> None:
        """Put an event for a patient on the calendar; earlier events of the patient lapse.

        Only the current window's events live in the heap; later ones wait in a bucket of
        their window and join the heap when it starts. The order of events is the same, and
        the heap stays small (stays last days, so most events are far ahead). A patient's
        entry is live while its stamp is the patient's ``epoch``; the stamp comes after the
        patient id, so it orders only a lapsed entry against a live one of the same patient.
        """
        patient.plan_time = time
        patient.plan_kind = kind
        rate = patient.hazard_rate
        if rate > 0.0:
            # the patient dies first if the hazard runs out before the event
            die_at = patient.hazard_since + (patient.death_clock - patient.hazard) / rate
            if die_at < time:
                time = max(die_at, self.now)
                kind = Event.DIE
        stamp = patient.epoch = next(self._stamps)
        if time == _NEVER:
            return  # nothing to book: earlier entries lapse all the same
        entry = (time, kind, patient.patient_id, stamp, patient)
        if time < self._window_end:
            heapq.heappush(self._heap, entry)
        else:
            # never into a bucket already pulled, whatever the rounding of time / window
            bucket = max(int(time // self.spec.window_hours), self._open_bucket)
            later = self._later.get(bucket)
            if later is None:
                self._later[bucket] = [entry]
            else:
                later.append(entry)

    def set_risk(self, patient: Patient, bed: int | None = None) -> None:
        """Bring the patient's cumulative hazard up to now and set the rate of where the patient
        is now (``bed``, default the patient's own); call ``schedule`` next, which books the
        death if it comes before the next event."""
        now = self.now
        patient.hazard += patient.hazard_rate * (now - patient.hazard_since)
        patient.hazard_since = now
        patient.hazard_rate = self.policy.hazard_rate(
            patient, patient.bed if bed is None else bed, patient.on_ventilator
        )
        short = self._no_oxygen
        if short and patient.facility in short and self.policy.on_oxygen(patient):
            patient.hazard_rate += self.policy.no_oxygen_hazard_per_hour

    def log_stay(self, patient: Patient, facility: int, bed: int) -> None:
        """Record the bed segment of ``patient`` at ``facility`` that ends now."""
        self._stay_row((patient.patient_id, facility, bed, patient.bed_since, self.now))

    def finish(self, patient: Patient, outcome: str, at: float | None = None) -> None:
        """Log the finished episode (at ``at``, default now) and let the patient agent go."""
        self.patients_log.append(
            patient_row(patient, outcome, self.now if at is None else at, self.now)
        )
        self._finished += 1
        patient.epoch = 0  # its entries lapse
        patient.remove()

    def transfer_out(self, patient: Patient, source: Hospital | RuralClinic, reason: str) -> bool:
        """Send a patient to the nearest hospital with room on the board; False if none.

        A minor case goes to the nearest emergency department; a patient who came here by a
        ``no_bed`` transfer waits here for a bed rather than move on for want of one again.
        """
        if reason == "no_bed" and patient.arrived_for == "no_bed":
            return False
        destination, minutes = self.router.choose(source.facility_id, patient)
        if destination < 0:
            return False
        now = self.now
        patient.stop_waiting(now)
        patient.n_transfers += 1
        # in the ambulance: without the bed the patient needs, a ventilated one on a transport
        # ventilator
        self.set_risk(patient, Bed.NONE)
        patient.hazard_rate = self.policy.hazard_rate(patient, Bed.NONE, True)
        arrive = now + self.spec.dispatch_hours + minutes / 60.0
        # the message reaches the destination at the window's end: the patient arrives then
        # if the trip is shorter
        arrived = max(arrive, self._window_end)
        self.transfers_log.append(
            (patient.patient_id, source.facility_id, destination, now, arrived, reason)
        )
        self._out_transfers.append(
            (
                *[getattr(patient, n) for n in TRAVELLING_FIELDS],
                source.facility_id,
                destination,
                now,
                arrive,
                reason,
            )
        )
        patient.epoch = 0  # its entries lapse
        patient.remove()
        return True

    def request_teleconsult(self, patient: Patient, clinic: RuralClinic) -> None:
        """Ask the clinic's hub; the patient waits at the clinic for the answer."""
        self.teleconsults.request(patient, clinic, self.now)

    def forget_teleconsult(self, patient: Patient) -> None:
        """A patient who died at the post waits for no answer (the hub's answer is dropped)."""
        self.teleconsults.forget(patient)

    # -- one window ---------------------------------------------------------------------------

    def step_window(self, window: int, inbox: protocol.Inbox) -> protocol.Outbox:
        """Advance one window: receive, admit arrivals, run events, send (see module doc)."""
        began = time.process_time()
        self._new_patients = self._finished = self._events = 0
        start = window * self.spec.window_hours
        end = min((window + 1) * self.spec.window_hours, self.spec.horizon_hours)
        self.window = window
        self.now = start
        self.reporting = start >= self.results_from - 1e-9
        self._window_end = end
        self._open_bucket = window + 1
        later = self._later.pop(window, None)
        if later:
            self._heap.extend(later)
            heapq.heapify(self._heap)
        with collector_deferred():
            self._update_ventilators(window)
            self._update_oxygen(window)
            self._receive(inbox)
            if self.surge.rules:
                self.surge.step(self, start, self.router.board_free)
            restaff(self.staffing, self.hospitals, start, end)
            self.sampler.fix_window(self._no_oxygen)
            self._admit_arrivals(end)
            self._run_events(end)
            outbox = self._send(window)
        # the shard's own work ends once its logs are flushed and its outbox is built
        outbox.stats.compute_seconds = time.process_time() - began
        self.window = window + 1
        return outbox

    def _receive(self, inbox: protocol.Inbox) -> None:
        self.router.open_window(inbox.board)
        self.teleconsults.receive(inbox, self, self.schedule)
        transfers = inbox.transfers
        if transfers.num_rows:
            columns = {name: transfers.column(name).to_pylist() for name in transfers.column_names}
            for i in range(transfers.num_rows):
                self._admit_transfer({name: values[i] for name, values in columns.items()})

    def _admit_transfer(self, row: dict[str, Any]) -> None:
        patient = Patient.from_state(self, row)
        patient.facility = row["to_facility"]
        patient.arrived_for = row["reason"]
        self._hospital(patient).transfers_in += 1
        self._arriving += 1
        self.schedule(max(row["arrive_time"], self.now), Event.ARRIVE, patient)

    def _admit_arrivals(self, end: float) -> None:
        """Create the patients of episodes arriving before ``end`` and book their arrival."""
        due = self.feed.due(end)
        if not due:
            return
        for fields in zip(*due, strict=True):
            # fields are in the order of Patient's arguments
            self.schedule(fields[ARRIVAL_TIME], Event.ARRIVE, Patient(self, *fields))
        n = len(due[0])
        self._arriving += n
        self._new_patients += n

    def _run_events(self, end: float) -> None:
        heap = self._heap
        pop = heapq.heappop
        handlers = self._handlers
        dt = self.spec.sample_hours
        horizon = self.spec.horizon_hours
        sampler = self.sampler
        next_sample = sampler.index * dt
        events = 0
        while heap and heap[0][0] < end:
            t, kind, _, epoch, patient = pop(heap)
            if epoch != patient.epoch:
                continue
            while next_sample <= t and next_sample < horizon:
                sampler.sample(next_sample)
                next_sample = sampler.index * dt
            self.now = t
            handlers[kind](patient)
            events += 1
        while next_sample < end and next_sample < horizon:
            sampler.sample(next_sample)
            next_sample = sampler.index * dt
        self.now = end
        self._events = events

    def _send(self, window: int) -> protocol.Outbox:
        transfers = self._out_transfers.take(protocol.TRANSFER_SCHEMA)
        referrals, answers = self.teleconsults.take()
        self.sampler.flush()
        for log in (self.patients_log, self.transfers_log, self.referrals_log, self.stays_log):
            log.flush()
        waiting = sum(h.waiting_without_bed + h.in_ed for h in self.hospitals) + sum(
            c.present for c in self.clinics
        )
        in_bed = sum(
            h.ward_occupied + h.icu_occupied + h.intermediate_occupied for h in self.hospitals
        )
        stats = protocol.WindowStats(
            shard=self.spec.shard,
            window=window,
            census=self.census_patients,
            new_patients=self._new_patients,
            finished=self._finished,
            live=self.live_patients(),
            waiting=waiting,
            in_bed=in_bed,
            arriving=self._arriving,
            events=self._events,
        )
        return protocol.Outbox(transfers, referrals, answers, self.board(), stats)

    # -- state --------------------------------------------------------------------------------

    def board(self) -> pa.Table:
        """This shard's rows of the capacity board: free staffed capacity now."""
        return board_rows(self.hospitals, self.sampler.facility_ids)

    def live_patients(self) -> int:
        """Patient agents in this shard now (waiting, in a bed, or at a clinic)."""
        by_type = self.agents_by_type
        return len(by_type[Patient]) if Patient in by_type else 0

    def pending_events(self) -> Iterator[tuple[float, int, int, int, Patient]]:
        """Every event on the calendar (lapsed ones included), in no particular order."""
        yield from self._heap
        for later in self._later.values():
            yield from later

    def reopen(self, window: int) -> None:
        """Make ``window`` the next to run (after a restore): events go to its bucket onward."""
        self.window = window
        self._window_end = window * self.spec.window_hours
        self._open_bucket = window

    def _arrive(self, patient: Patient) -> None:
        self._arriving -= 1
        self.facilities[patient.facility].receive(patient)

    def _die(self, patient: Patient) -> None:
        if patient.plan_kind == Event.ARRIVE:
            # died in the ambulance; the message may have been delivered after the death
            self._arriving -= 1
            at = patient.hazard_since + (patient.death_clock - patient.hazard) / patient.hazard_rate
            hospital = self._hospital(patient)
            if self.reporting:
                hospital.deaths += 1
                if patient.need == Need.ICU:
                    hospital.died_waiting += 1
            self.finish(patient, Outcome.DIED, min(at, self.now))
            return
        self.facilities[patient.facility].die(patient)

    def oxygen_supply_changed(self) -> None:
        """Beds changed: their oxygen supply and tanks follow (the stock stays, within them)."""
        self.supplies.beds_changed()

    def _update_oxygen(self, window: int) -> None:
        """Draw the window's oxygen; patients of hospitals that run short, or are supplied
        again, change hazard."""
        if not self.hospitals:
            return
        now_short = self.supplies.update_oxygen(window)
        changed = now_short ^ self._no_oxygen
        if not changed:
            return
        self._no_oxygen = now_short
        for patient in list(self.agents_by_type.get(Patient, [])):
            if patient.facility in changed and patient.epoch and self.policy.on_oxygen(patient):
                self.set_risk(patient)
                self.schedule(patient.plan_time, patient.plan_kind, patient)

    def _update_ventilators(self, window: int) -> None:
        if self.hospitals:
            self.supplies.update_ventilators(window)

    def _hospital(self, patient: Patient) -> Hospital:
        return cast(Hospital, self.facilities[patient.facility])

    def _clinic(self, patient: Patient) -> RuralClinic:
        return cast(RuralClinic, self.facilities[patient.facility])

    # -- results ------------------------------------------------------------------------------

    def close(self) -> None:
        """Log every patient still here as ``in_system`` (end of the run)."""
        for patient in list(self.agents_by_type.get(Patient, [])):
            self.patients_log.append(patient_row(patient, Outcome.IN_SYSTEM, math.nan, self.now))
            if patient.bed != Bed.NONE:  # a stay still going on: no end
                self._stay_row(
                    (patient.patient_id, patient.facility, patient.bed, patient.bed_since, math.nan)
                )
            facility = self.facilities[patient.facility]
            if isinstance(facility, RuralClinic) and patient.waiting:
                facility.close_wait(patient)

    def hand_over(self) -> Iterator[tuple[str, pa.Table]]:
        """This shard's result tables (times in hours since the start), one at a time, each log
        emptied as its table goes, so the logs and what is made of them are not held at once."""
        logs = {
            "patients": self.patients_log,
            "transfers": self.transfers_log,
            "referrals": self.referrals_log,
            "timeseries": self.timeseries_log,
            "stays": self.stays_log,
        }
        for name, log in logs.items():
            yield name, log.take()
        yield "facility_counters", facility_counters(self.facilities.values())
        yield "surge_actions", self.surge.table()
