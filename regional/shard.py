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
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import mesa
import numpy as np
import pyarrow as pa

from agents import CarePolicy, Event, Hospital, Outcome, Patient, RuralClinic
from agents.pathway import Bed, Need
from agents.patient import TRAVELLING_FIELDS
from geodata.travel import TravelRules, haversine_km, trip_minutes
from regional import protocol
from regional.demand import BLOCK_HOURS, DemandModel, PlaceTable
from regional.equipment import OxygenSupply, VentilatorFleet
from regional.records import (
    PATIENT_LOG_SCHEMA,
    REFERRAL_LOG_SCHEMA,
    STAY_LOG_SCHEMA,
    TIMESERIES_LOG_SCHEMA,
    TRANSFER_LOG_SCHEMA,
    ColumnBuffer,
)
from regional.staffing import Staffing, StaffingRules, nurses_short, restaff
from regional.surge import SurgeActions, SurgeRule

_MESA_LOG = logging.getLogger("MESA.mesa.model")


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
NEAR_FIRST = 32  # hospitals tried one by one before the rest are checked at once
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


class ShardModel(mesa.Model):
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
        self.facilities: dict[int, Hospital | RuralClinic] = {}
        self.hospitals: list[Hospital] = []
        self.clinics: list[RuralClinic] = []
        self.awaiting_answer: dict[int, Patient] = {}
        self._build_facilities()
        self.fleet = VentilatorFleet(
            np.array([h.facility_id for h in self.hospitals], dtype=np.int64),
            np.array([h.ventilators for h in self.hospitals], dtype=np.int64),
            spec.seed,
            spec.ventilator_mtbf_hours,
            spec.ventilator_mttr_hours,
            spec.ventilator_maintenance_every_days,
            spec.ventilator_maintenance_hours,
        )
        self.oxygen = OxygenSupply(self._oxygen_supply(), spec.oxygen_reserve_hours)
        self._no_oxygen: set[int] = set()  # hospitals short of oxygen in this window
        self._block = -1
        self._arrivals: dict[str, np.ndarray] = {}
        self._arrival_next = 0
        self._sample_index = 0
        self._samples: list[tuple[Any, ...]] = []
        self._window_columns: tuple[Any, ...] = ()
        self._sample_ids = np.array(
            [h.facility_id for h in self.hospitals] + [c.facility_id for c in self.clinics],
            dtype=np.int32,
        )
        self._near: dict[int, list[tuple[int, float]]] = {}
        self._far: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._board_free = np.zeros((len(spec.hospitals.facility_id), 3), dtype=np.int64)
        self._claimed: dict[int, dict[int, list[int]]] = {}
        self._no_room: set[tuple[int, int, bool, int]] = set()  # searches failed this window
        self.patients_log = ColumnBuffer(PATIENT_LOG_SCHEMA)
        self.transfers_log = ColumnBuffer(TRANSFER_LOG_SCHEMA)
        self.referrals_log = ColumnBuffer(REFERRAL_LOG_SCHEMA)
        self.timeseries_log = ColumnBuffer(TIMESERIES_LOG_SCHEMA)
        self.stays_log = ColumnBuffer(STAY_LOG_SCHEMA)
        self._stay_row = self.stays_log.append
        self._out_transfers = ColumnBuffer(protocol.TRANSFER_SCHEMA)
        self._out_referrals = ColumnBuffer(protocol.REFERRAL_SCHEMA)
        self._out_answers = ColumnBuffer(protocol.ANSWER_SCHEMA)
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

    # -- Mesa's agent registry ----------------------------------------------------------------

    def register_agent(self, agent: mesa.Agent) -> None:
        """Mesa's registration of an agent, less the debug message it formats for each one.

        Every patient is registered (``agents``, ``agents_by_type``) exactly as Mesa does it;
        Mesa builds an f-string for its debug log on every call, logging on or off, which a
        million patients pay for.
        """
        by_type = self._agents_by_type.get(type(agent))
        if by_type is None or _MESA_LOG.isEnabledFor(logging.DEBUG):
            super().register_agent(agent)
            return
        self._agents[agent] = None
        by_type.add(agent)
        self._all_agents.add(agent)

    def deregister_agent(self, agent: mesa.Agent) -> None:
        """Mesa's deregistration, less its debug message (see ``register_agent``)."""
        if _MESA_LOG.isEnabledFor(logging.DEBUG):
            super().deregister_agent(agent)
            return
        del self._agents[agent]
        self._agents_by_type[type(agent)].remove(agent)
        self._all_agents.remove(agent)

    # -- construction -------------------------------------------------------------------------

    def _build_facilities(self) -> None:
        f = self.spec.facilities
        for i in range(len(f["facility_id"])):
            fid = int(f["facility_id"][i])
            if f["kind"][i] == "hospital":
                hospital = Hospital(
                    self,
                    fid,
                    int(f["ward_beds"][i]),
                    int(f["icu_beds"][i]),
                    int(f["ventilators"][i]),
                    int(f["ward_staffed"][i]),
                    int(f["icu_staffed"][i]),
                    int(f["tele_specialists"][i]),
                    int(f["intermediate_beds"][i]),
                    int(f["intermediate_staffed"][i]),
                )
                hospital.desk_week_offset_hours = self.spec.start_hour_of_week + float(
                    f["utc_offset_hours"][i]
                )
                self.hospitals.append(hospital)
                self.facilities[fid] = hospital
            else:
                clinic = RuralClinic(self, fid, int(f["hub_id"][i]), bool(f["linked"][i]))
                self.clinics.append(clinic)
                self.facilities[fid] = clinic
        self._place_of = dict(zip(f["facility_id"].tolist(), f["place_id"].tolist(), strict=True))
        h = f["kind"] == "hospital"
        self.staffing = Staffing(
            self.spec.staffing, self.demand, **{c: f[c][h] for c in Staffing.COLUMNS}
        )
        self.surge = SurgeActions(self.spec.surge, self.spec.hospitals)
        self.surge_ventilators = np.zeros(len(self.hospitals), dtype=np.int64)

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
        self._log_patient(patient, outcome, self.now if at is None else at)
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
        destination, minutes = self._choose_destination(source.facility_id, patient)
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
        self._out_referrals.append(
            (
                patient.patient_id,
                clinic.facility_id,
                clinic.hub_id,
                self.now,
                patient.need,
                patient.u_tele,
            )
        )
        self.awaiting_answer[patient.patient_id] = patient

    def forget_teleconsult(self, patient: Patient) -> None:
        """A patient who died at the post waits for no answer (the hub's answer is dropped)."""
        self.awaiting_answer.pop(patient.patient_id, None)

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
                self.surge.step(self, start, self._board_free)
            restaff(self.staffing, self.hospitals, start, end)
            self._fix_window_columns()
            self._admit_arrivals(end)
            self._run_events(end)
            outbox = self._send(window)
        # the shard's own work ends once its logs are flushed and its outbox is built
        outbox.stats.compute_seconds = time.process_time() - began
        self.window = window + 1
        return outbox

    def _receive(self, inbox: protocol.Inbox) -> None:
        board = inbox.board
        free = np.column_stack(
            [
                board.column("ward_free").to_numpy(),
                board.column("icu_free").to_numpy(),
                board.column("ventilators_free").to_numpy(),
            ]
        )
        self._board_free = free.astype(np.int64)
        self._claimed = {}
        self._no_room = set()
        answers = inbox.answers
        if answers.num_rows:
            for pid, answer_time, decision in zip(
                answers.column("patient_id").to_pylist(),
                answers.column("answer_time").to_pylist(),
                answers.column("decision").to_pylist(),
                strict=True,
            ):
                patient = self.awaiting_answer.pop(pid, None)
                if patient is None:
                    continue  # died at the post while waiting
                patient.decision = decision
                self.schedule(max(answer_time, self.now), Event.ANSWER, patient)
        referrals = inbox.referrals
        if referrals.num_rows:
            for pid, clinic, hub, request_time, need, u_tele in zip(
                *(
                    referrals.column(c).to_pylist()
                    for c in ("patient_id", "clinic", "hub", "request_time", "need", "u_tele")
                ),
                strict=True,
            ):
                hospital = self.facilities[hub]
                assert isinstance(hospital, Hospital)
                answer_time, decision = hospital.answer_teleconsult(request_time, need, u_tele)
                self._out_answers.append((pid, clinic, hub, request_time, answer_time, decision))
                self.referrals_log.append((pid, clinic, hub, request_time, answer_time, decision))
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
        while True:
            a = self._arrivals
            if a and self._arrival_next < len(a["arrival"]) and a["arrival"][-1] >= end:
                break
            # the current block may not cover the window: bring in the next block's episodes
            next_block = self._block + 1
            if (
                next_block * BLOCK_HOURS >= end
                or next_block * BLOCK_HOURS >= self.spec.horizon_hours
            ):
                break
            self._load_block(next_block)
        a = self._arrivals
        if not a:
            return
        stop = int(np.searchsorted(a["arrival"], end, side="left"))
        lo = self._arrival_next
        if stop <= lo:
            return
        cols = [a[name][lo:stop].tolist() for name in ARRIVAL_FIELDS]
        for fields in zip(*cols, strict=True):
            # fields are in the order of Patient's arguments; the 13th is the arrival time
            self.schedule(fields[12], Event.ARRIVE, Patient(self, *fields))
        self._arriving += stop - lo
        self._new_patients += stop - lo
        self._arrival_next = stop

    def _load_block(self, block: int) -> None:
        fresh = self.demand.generate_block(self.spec.places, block)
        a = self._arrivals
        if a and self._arrival_next < len(a["arrival"]):
            rest = {k: v[self._arrival_next :] for k, v in a.items()}
            merged = {k: np.concatenate([rest[k], fresh[k]]) for k in fresh}
            order = np.lexsort((merged["patient_id"], merged["arrival"]))
            fresh = {k: v[order] for k, v in merged.items()}
        self._arrivals = fresh
        self._arrival_next = 0
        self._block = block

    def _run_events(self, end: float) -> None:
        heap = self._heap
        pop = heapq.heappop
        handlers = self._handlers
        dt = self.spec.sample_hours
        horizon = self.spec.horizon_hours
        next_sample = self._sample_index * dt
        events = 0
        while heap and heap[0][0] < end:
            t, kind, _, epoch, patient = pop(heap)
            if epoch != patient.epoch:
                continue
            while next_sample <= t and next_sample < horizon:
                self._sample(next_sample)
                next_sample = self._sample_index * dt
            self.now = t
            handlers[kind](patient)
            events += 1
        while next_sample < end and next_sample < horizon:
            self._sample(next_sample)
            next_sample = self._sample_index * dt
        self.now = end
        self._events = events

    def _sample(self, at: float) -> None:
        """Record every facility's state at ``at``, one column at a time; what is set once a
        window (staffed beds, ventilators in service, oxygen, nurses on duty) is shared by the
        window's samples."""
        hs = self.hospitals
        ward_waiting = [len(h.ward_queue) for h in hs]
        fixed = self._window_columns
        self._samples.append(
            (
                at,
                [h.ward_occupied for h in hs],
                [h.icu_occupied for h in hs],
                [h.ventilators_in_use for h in hs],
                [w + len(h.icu_queue) for w, h in zip(ward_waiting, hs, strict=True)]
                + [c.present for c in self.clinics],
                [h.in_ed for h in hs],
                *fixed[:4],
                ward_waiting,
                *fixed[4:6],
                [h.intermediate_occupied for h in hs],
                *fixed[6:],
            )
        )
        self._sample_index += 1

    def _fix_window_columns(self) -> None:
        """The time series' columns that stay as they are for the whole window."""
        hs = self.hospitals
        short = self._no_oxygen
        self._window_columns = (
            [h.ward_staffed for h in hs],
            [h.icu_staffed for h in hs],
            [h.ventilators_available for h in hs],
            [h.facility_id in short for h in hs] if short else [False] * len(hs),
            self.staffing.on_duty,  # replaced, never changed in place, at each window
            self.staffing.ratio,
            [h.intermediate_staffed for h in hs],
            [h.ward_beds for h in hs],  # surge actions change beds
            [h.icu_beds for h in hs],
            [h.intermediate_beds for h in hs],
        )

    def _flush_samples(self) -> None:
        """Turn the window's samples into one columnar chunk of the time-series log."""
        if not self._samples:
            return
        n_h, n_c = len(self.hospitals), len(self.clinics)
        zeros = [0] * n_c
        columns: list[np.ndarray] = [
            np.tile(self._sample_ids, len(self._samples)),
            np.repeat([sample[0] for sample in self._samples], n_h + n_c),
        ]
        for j in range(1, 10):
            pad = [] if j == 4 else zeros  # waiting already holds the clinics' patients
            columns.append(
                np.array(
                    [v for sample in self._samples for v in (*sample[j], *pad)], dtype=np.int32
                )
            )
        columns += self._staff_columns(n_c)
        for j in (13, 14, 15, 16, 17):  # intermediate care occupied, staffed; beds
            columns.append(
                np.array([v for sample in self._samples for v in (*sample[j], *zeros)], np.int32)
            )
        self.timeseries_log.chunks.append(
            pa.Table.from_arrays([pa.array(c) for c in columns], schema=self.timeseries_log.schema)
        )
        self._samples.clear()

    def _staff_columns(self, n_clinics: int) -> list[np.ndarray]:
        """Nurses on duty and nurse-hours short of the window's samples (0 at clinics)."""
        n_h = len(self.hospitals)
        dt = self.spec.sample_hours
        on_duty, short = [], []
        pad = np.zeros(n_clinics)
        for sample in self._samples:
            ward_waiting = np.asarray(sample[10], dtype=np.float64)
            occupied = np.column_stack([sample[1], sample[2]]).reshape(n_h, 2)
            waiting = np.column_stack(
                [ward_waiting, np.asarray(sample[4][:n_h], dtype=np.float64) - ward_waiting]
            ).reshape(n_h, 2)
            on_duty += [sample[11], pad]
            short += [
                nurses_short(
                    occupied,
                    waiting,
                    sample[12],
                    sample[11],
                    np.asarray(sample[13], dtype=np.float64),
                    self.staffing.intermediate_ratio,
                )
                * dt,
                pad,
            ]
        return [np.concatenate(on_duty), np.concatenate(short)]

    def _send(self, window: int) -> protocol.Outbox:
        transfers = self._out_transfers.take(protocol.TRANSFER_SCHEMA)
        referrals = self._out_referrals.take(protocol.REFERRAL_SCHEMA)
        answers = self._out_answers.take(protocol.ANSWER_SCHEMA)
        self._flush_samples()
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
        hs = self.hospitals

        def column(values: list[int]) -> np.ndarray:
            return np.array(values, dtype=np.int32)

        ward_queue = column([len(h.ward_queue) for h in hs])
        icu_queue = column([len(h.icu_queue) for h in hs])
        ward_free = column([h.ward_staffed for h in hs]) - column([h.ward_occupied for h in hs])
        icu_free = column([h.icu_staffed for h in hs]) - column([h.icu_occupied for h in hs])
        vents = column([h.ventilators_available for h in hs])
        vents_free = np.maximum(vents - column([h.ventilators_in_use for h in hs]), 0)
        return pa.Table.from_arrays(
            [
                pa.array(self._sample_ids[: len(hs)]),
                pa.array(ward_free - ward_queue),
                pa.array(icu_free - icu_queue),
                pa.array(vents_free),
                pa.array(ward_queue + icu_queue),
            ],
            schema=protocol.BOARD_SCHEMA,
        )

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

    def _oxygen_supply(self) -> np.ndarray:
        ward, icu = self.spec.oxygen_supply_lpm_per_bed
        return np.array(
            [h.ward_beds * ward + (h.icu_beds + h.intermediate_beds) * icu for h in self.hospitals],
            dtype=np.float64,
        )

    def oxygen_supply_changed(self) -> None:
        """Beds changed: their oxygen supply and tanks follow (the stock stays, within them)."""
        oxygen = self.oxygen
        oxygen.supply_lpm = self._oxygen_supply()
        oxygen.capacity_litres = oxygen.supply_lpm * self.spec.oxygen_reserve_hours * 60.0
        oxygen.stock_litres = np.minimum(oxygen.stock_litres, oxygen.capacity_litres)

    def _supply_share(self, at_hours: float) -> np.ndarray:
        """Share of normal oxygen supply that reaches each hospital at ``at_hours``."""
        share = np.ones(len(self.hospitals))
        for start, end, part, where in self.spec.oxygen_outages:
            if not start <= at_hours < end:
                continue
            if where:
                f = self.spec.facilities
                hospital = f["kind"] == "hospital"  # the shard's hospitals, in their order
                hit = np.isin(f["region"][hospital], where) | np.isin(f["country"][hospital], where)
                share[hit] = np.minimum(share[hit], part)
            else:
                share = np.minimum(share, part)
        return share

    def _update_oxygen(self, window: int) -> None:
        """Draw the window's oxygen; patients of hospitals that run short, or are supplied
        again, change hazard."""
        if not self.hospitals:
            return
        ward, icu, ventilated = self.spec.oxygen_lpm
        hs = self.hospitals
        on_vent = np.array([h.ventilators_in_use for h in hs], dtype=np.float64)
        in_icu = np.array([h.icu_occupied + h.intermediate_occupied for h in hs], dtype=np.float64)
        on_ward = np.array([h.ward_on_oxygen for h in hs], dtype=np.float64)
        # patients on a ventilator at its flow, the rest of the ICU and the ward's on oxygen
        demand = on_vent * ventilated + np.maximum(in_icu - on_vent, 0.0) * icu + on_ward * ward
        start = window * self.spec.window_hours
        end = min(start + self.spec.window_hours, self.spec.horizon_hours)
        short = self.oxygen.advance(demand, self._supply_share(start), end - start)
        now_short = {
            h.facility_id for h, s in zip(self.hospitals, short.tolist(), strict=True) if s
        }
        changed = now_short ^ self._no_oxygen
        if not changed:
            return
        self._no_oxygen = now_short
        for patient in list(self.agents_by_type.get(Patient, [])):
            if patient.facility in changed and patient.epoch and self.policy.on_oxygen(patient):
                self.set_risk(patient)
                self.schedule(patient.plan_time, patient.plan_kind, patient)

    def _update_ventilators(self, window: int) -> None:
        """Ventilators in service during the window, after failures, repairs and maintenance."""
        if not self.hospitals:
            return
        self.fleet.advance(window, self.spec.window_hours)
        available = self.fleet.in_service(window * self.spec.window_hours)
        available = available + self.surge_ventilators
        now = np.array([h.ventilators_available for h in self.hospitals], dtype=np.int64)
        for i in np.flatnonzero(available != now).tolist():
            self.hospitals[i].set_ventilators_available(int(available[i]))

    def _hospital(self, patient: Patient) -> Hospital:
        return cast(Hospital, self.facilities[patient.facility])

    def _clinic(self, patient: Patient) -> RuralClinic:
        return cast(RuralClinic, self.facilities[patient.facility])

    def _choose_destination(self, source: int, patient: Patient) -> tuple[int, float]:
        """The nearest hospital by travel time with room on the board for this patient.

        A minor case (need 0) goes to the nearest hospital in reach: it is seen in the
        emergency department and takes no bed, so it neither needs nor claims one. A patient
        who needs a bed goes to the nearest hospital whose board shows a free staffed bed of
        the kind (net of that hospital's own queue) and, for the ICU, a ventilator if they are
        ventilated and the tier ``min_tier_icu`` gives their condition.

        The board is as of the window start; a facility discounts the beds it has already
        claimed this window (its own record, so no other facility's decisions leak in).
        Hospitals are tried nearest first, ties in directory order; past the first few, the
        rest within reach are checked at once.
        """
        if patient.n_transfers >= self.spec.max_transfers:
            return -1, math.nan
        if patient.need == Need.NONE:
            near = self._nearest(source)
            if not near or near[0][1] > self.spec.max_transfer_minutes:
                return -1, math.nan
            return int(self.spec.hospitals.facility_id[near[0][0]]), near[0][1]
        icu = patient.need == Need.ICU
        column = 1 if icu else 0
        vent = icu and patient.ventilator
        tiers = self.spec.min_tier_icu
        tier = int(tiers[patient.condition]) if icu and len(tiers) else 0
        if (source, column, vent, tier) in self._no_room:
            return -1, math.nan
        found = self._search(source, column, vent, tier)
        if found[0] < 0:
            # the board stays as it is until the window ends and claims only take room away,
            # so every later search of this kind from this source would fail too
            self._no_room.add((source, column, vent, tier))
        return found

    def _search(self, source: int, column: int, vent: bool, tier: int) -> tuple[int, float]:
        near = self._nearest(source)
        free = self._board_free
        tiers = self.spec.hospitals.tier
        claimed = self._claimed.setdefault(source, {})
        limit = self.spec.max_transfer_minutes
        for h, m in near:
            if m > limit:
                return -1, math.nan
            if tiers[h] < tier:
                continue
            c = claimed.get(h)
            if free[h, column] - (c[column] if c else 0) <= 0:
                continue
            if vent and free[h, 2] - (c[2] if c else 0) <= 0:
                continue
            return self._claim(claimed, h, column, vent), m
        # none of the nearest had room: check the rest within reach at once
        farther, minutes = self._farther(source)
        if not len(farther):
            return -1, math.nan
        room = free[farther, column]
        vents = free[farther, 2] if vent else None
        if claimed:
            taken = np.zeros((len(free), 3), dtype=np.int64)
            for h, c in claimed.items():
                taken[h] = c
            room = room - taken[farther, column]
            if vents is not None:
                vents = vents - taken[farther, 2]
        ok = (room > 0) & (tiers[farther] >= tier)
        if vents is not None:
            ok &= vents > 0
        hit = int(np.argmax(ok))
        if not ok[hit]:
            return -1, math.nan
        return self._claim(claimed, int(farther[hit]), column, vent), float(minutes[hit])

    def _claim(self, claimed: dict[int, list[int]], h: int, column: int, vent: bool) -> int:
        """Note a bed (and ventilator) claimed at hospital ``h``; return its facility id."""
        c = claimed.setdefault(h, [0, 0, 0])
        c[column] += 1
        if vent:
            c[2] += 1
        return int(self.spec.hospitals.facility_id[h])

    def _minutes_from(self, source: int) -> np.ndarray:
        """Minutes from ``source`` to every hospital of the directory (NaN at itself)."""
        f = self.spec.facilities
        i = int(np.searchsorted(f["facility_id"], source))
        hs = self.spec.hospitals
        distance = haversine_km(f["lon"][i], f["lat"][i], hs.lon, hs.lat)
        remote = hs.remote | int(f["remote"][i])
        minutes = trip_minutes(distance, remote, self.spec.travel)
        road = self.spec.road_minutes.get(source)
        if road is not None:
            minutes[road[0]] = road[1]
        minutes[hs.facility_id == source] = np.nan
        return minutes

    def _nearest(self, source: int) -> list[tuple[int, float]]:
        """The ``NEAR_FIRST`` hospitals nearest to ``source`` as (directory row, minutes), in
        order of minutes and then directory row; kept for the rest of the run."""
        near = self._near.get(source)
        if near is None:
            minutes = self._minutes_from(source)
            candidates = np.flatnonzero(~np.isnan(minutes))
            if len(candidates) > NEAR_FIRST:
                part = np.argpartition(minutes[candidates], NEAR_FIRST - 1)[:NEAR_FIRST]
                cutoff = minutes[candidates][part].max()
                # keep every hospital tied at the cut-off so that ties break by row
                candidates = candidates[minutes[candidates] <= cutoff]
            ranked = candidates[np.lexsort((candidates, minutes[candidates]))][:NEAR_FIRST]
            near = self._near[source] = list(
                zip(ranked.tolist(), minutes[ranked].tolist(), strict=True)
            )
        return near

    def _farther(self, source: int) -> tuple[np.ndarray, np.ndarray]:
        """The hospitals within reach of ``source`` past the nearest few, in the same order, and
        their minutes; worked out the first time the nearest are all full, then kept.

        Only hospitals within ``max_transfer_minutes`` are kept, so a shard of a continent
        does not hold a row of every hospital for every source.
        """
        found = self._far.get(source)
        if found is None:
            minutes = self._minutes_from(source)
            within = np.flatnonzero(minutes <= self.spec.max_transfer_minutes)
            ranked = within[np.lexsort((within, minutes[within]))][len(self._nearest(source)) :]
            found = self._far[source] = (ranked.astype(np.int32), minutes[ranked])
        return found

    # -- results ------------------------------------------------------------------------------

    def _log_patient(self, p: Patient, outcome: str, end_time: float) -> None:
        self.patients_log.append(
            (
                p.patient_id,
                p.origin_place,
                p.first_facility,
                p.facility,
                p.condition,
                p.acuity,
                p.need,
                p.ventilator,
                p.onset_time,
                p.arrival_time,
                p.admit_time,
                p.icu_time,
                end_time,
                outcome,
                p.n_transfers,
                p.teleconsulted,
                p.escalated,
                p.hours_waited(self.now),
                p.icu_denied,
                p.readmitted,
                outcome == Outcome.DIED
                and p.need == Need.ICU
                and p.bed != Bed.ICU
                and p.bed != Bed.INTERMEDIATE,
                p.waiting or p.icu_denied,
            )
        )

    def release(self) -> None:
        """Let Python free this model once nobody else holds it (after the run).

        Mesa's ``Agent`` keeps a counter of ids per model in a class-level dictionary, which
        would otherwise hold every model of a process, with its patients and logs, for good.
        """
        mesa.Agent._ids.pop(self, None)

    def close(self) -> None:
        """Log every patient still here as ``in_system`` (end of the run)."""
        for patient in list(self.agents_by_type.get(Patient, [])):
            self._log_patient(patient, Outcome.IN_SYSTEM, math.nan)
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
        yield "facility_counters", self.facility_counters()
        yield "surge_actions", self.surge.table()

    def facility_counters(self) -> pa.Table:
        """Per-facility counts of what happened there."""
        rows = []
        for fac in self.facilities.values():
            is_hospital = isinstance(fac, Hospital)
            rows.append(
                {
                    "facility_id": fac.facility_id,
                    "arrivals": fac.arrivals,
                    "admissions": fac.admissions if is_hospital else 0,
                    "transfer_admissions": fac.transfer_admissions if is_hospital else 0,
                    "icu_admissions": fac.icu_admissions if is_hospital else 0,
                    "intermediate_admissions": fac.intermediate_admissions if is_hospital else 0,
                    "transfer_icu_admissions": fac.transfer_icu_admissions if is_hospital else 0,
                    "transfers_out": fac.transfers_out,
                    "transfers_in": fac.transfers_in if is_hospital else 0,
                    "deaths": fac.deaths,
                    "icu_readmissions": fac.icu_readmissions if is_hospital else 0,
                    "died_waiting": fac.died_waiting,
                    "icu_requests_withdrawn": fac.icu_requests_withdrawn if is_hospital else 0,
                    "teleconsults": 0 if is_hospital else fac.teleconsults,
                    "teleconsults_answered": fac.teleconsults_answered if is_hospital else 0,
                    "treated_locally": 0 if is_hospital else fac.treated_locally,
                    "post_waited_hours": 0.0 if is_hospital else fac.waited_hours,
                }
            )
        return (
            pa.Table.from_pylist(rows)
            if rows
            else pa.table({"facility_id": pa.array([], pa.int32())})
        )


# the block's columns in the order of Patient's arguments
ARRIVAL_FIELDS = (
    "patient_id",
    "place",
    "condition",
    "acuity",
    "need",
    "ventilator",
    "los_hours",
    "escalate_after_hours",
    "los_icu_after_hours",
    "death_clock",
    "u_tele",
    "onset",
    "arrival",
    "facility",
    "vent_on_escalation",
    "los_stepdown_hours",
    "readmit_after_hours",
)
