"""The starting census: the patients in bed when the run starts, from the network's own demand.

**Steady start.** A patient in bed is in one *segment* of a course: a ward stay (``W0``), the
ward part of a stay that escalates to the ICU (``W1``), an ICU stay without or with a
ventilator (``I0``, ``I1``), an ICU readmission (``I2``), a step-down ward stay after the ICU
(``S0``) or the part of one that ends in a readmission (``S1``). ``segment_hours`` gives, for
each condition, the bed-hours each segment kind takes per hospital-level episode (from the
course's probabilities and the means of the drawn stays, with death competing); a hospital's
*offered load* of a kind is its episodes an hour times those bed-hours (Little's law).

Where that load is carried (``census_loads``, ``overflow``): each hospital's unit is a queue
with impatient patients, Erlang A (M/M/c+M), fed by its own load and by what its neighbours
send it. A waiting patient looks for a bed elsewhere once ``care.transfer_after_hours_*``
have passed and finds one with the chance that a neighbour in reach has a bed free; an ICU
request ends at ``care.icu_wait_limit_hours``. The loads are the fixed point of these flows.
A loss system (Erlang B, Poisson truncated at the beds) would be the wrong law here: the
twin's patients wait and are sent on rather than turned away, so a hospital whose own load
its beds cannot carry runs full while its neighbours take the rest (Chile: the loss law
starts the ICUs at 73%, where the twin settles at 82%).

The number of patients in a hospital's ward (ICU) is drawn from the Erlang-A stationary law
of the load offered to it, beds busy being ``min(n, beds)``; nobody waits at the start. A
patient's segment kind and condition are drawn in proportion to their offered loads
(bed-days, not episodes).

**A stay seen at a random instant** (``seen_in_bed``). A segment of drawn length X, during which
death comes at a constant hazard h, is found in progress at age A with density proportional to
``f(x) exp(-h a)`` for ``0 <= a <= x``: the segment is length-biased, tilted by surviving to
age a. So X has density ``x f(x) w(x) / c`` with ``w(x) = (1 - exp(-h x)) / (h x)`` (drawn from
the length-biased law and kept with probability w), A given X has density proportional to
``exp(-h a)`` on ``[0, X]``, and the remaining stay is ``R = X - A``. With h = 0, R has the
equilibrium density ``P(S > r) / E[S]`` (mean ``E[S^2] / 2E[S]``); for exponential stays of mean
m, R is exponential of mean m and A exponential of rate ``1/m + h``. The death clock of the
patient is a fresh unit exponential: the hazard is constant, so survival so far says nothing
of what is left.

**Fixed start** keeps the scenario's ``capacity.initial_*`` occupancies and draws conditions by
their share of episodes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtri

from agents import Hospital, Patient
from agents.pathway import Bed, Need
from regional.demand import CENSUS_ID_BASE, HOURS_PER_YEAR, CourseTables, DemandModel

if TYPE_CHECKING:
    from geodata.travel import TravelRules
    from regional.network import Network
    from regional.shard import ShardModel

SEGMENTS = ("W0", "W1", "I0", "I1", "I2", "S0", "S1")
WARD_SEGMENTS = (0, 1, 5, 6)
ICU_SEGMENTS = (2, 3, 4)
_HERMITE = np.polynomial.hermite_e.hermegauss(60)
_LAGUERRE = np.polynomial.laguerre.laggauss(60)
_LEGENDRE = np.polynomial.legendre.leggauss(24)


@dataclass(frozen=True)
class StayShape:
    """The shape of drawn stays: lognormal with a coefficient of variation, or exponential."""

    cv: float | None  # None: exponential

    @classmethod
    def of(cls, demand: DemandModel) -> StayShape:
        """The shape of the demand model's stays."""
        d = demand.demand
        return cls(None if d.los_distribution == "exponential" else d.los_cv)

    def expect(self, g: Callable[[np.ndarray], np.ndarray], mean: float, part: bool) -> float:
        """E[g(X)] by quadrature, g a function of the segment's length in hours; X is a stay S
        of the given mean, or ``U S`` with U uniform on (0, 1) when ``part``."""
        if self.cv is None:
            nodes, weights = _LAGUERRE
            s = nodes * mean
        else:
            nodes, weights = _HERMITE
            weights = weights / weights.sum()
            sigma = np.sqrt(np.log1p(self.cv**2))
            s = mean * np.exp(sigma * nodes - sigma * sigma / 2.0)
        if part:
            un, uw = _LEGENDRE
            u = (un + 1.0) / 2.0
            x = s[:, None] * u[None, :]
            w = weights[:, None] * (uw / 2.0)[None, :]
        else:
            x, w = s, weights
        return float(np.sum(w * g(x)))

    def in_bed(self, mean: float, hazard: float, part: bool = False) -> float:
        """Mean hours in bed of a segment cut short by death at ``hazard`` an hour."""
        if mean <= 0:
            return 0.0
        if hazard <= 0:
            return mean / 2.0 if part else mean
        return self.expect(lambda x: -np.expm1(-hazard * x) / hazard, mean, part)

    def survives(self, mean: float, hazard: float, part: bool = False) -> float:
        """Probability that the segment ends before death does."""
        if hazard <= 0 or mean <= 0:
            return 1.0
        return self.expect(lambda x: np.exp(-hazard * x), mean, part)

    def length_biased(self, u: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """Stays drawn from the length-biased law of stays of the given means."""
        u = np.clip(u, 1e-12, 1 - 1e-12)
        if self.cv is None:  # x f(x) / m of an exponential: a gamma of shape 2
            return np.asarray(mean * _gamma2_quantile(u))
        sigma2 = np.log1p(self.cv**2)
        mu = np.log(mean) - sigma2 / 2.0 + sigma2  # x f(x) / m of a lognormal: mu + sigma^2
        return np.asarray(np.exp(mu + np.sqrt(sigma2) * ndtri(u)))


def _gamma2_quantile(u: np.ndarray) -> np.ndarray:
    """Quantiles of a gamma of shape 2 and scale 1 (solves 1 - (1 + x) e^-x = u by Newton)."""
    x = -np.log1p(-u) + 1.0
    for _ in range(50):
        f = 1.0 - (1.0 + x) * np.exp(-x) - u
        x = np.maximum(x - f / (x * np.exp(-x) + 1e-300), 1e-12)
    return x


def seen_in_bed(
    rng: np.random.Generator,
    shape: StayShape,
    mean: np.ndarray,
    hazard: np.ndarray,
    part: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The age and the remaining hours of segments found in progress at a random instant
    (see the module doc): segments are stays of mean ``mean``, or a uniform part of one where
    ``part``, cut short by death at ``hazard`` an hour. Draws from ``rng`` until every segment
    is kept."""
    n = len(mean)
    length = np.empty(n)
    todo = np.arange(n)
    while len(todo):
        u = rng.random((len(todo), 3))
        x = shape.length_biased(u[:, 0], mean[todo])
        # a uniform part U S of a stay, length-biased: S length-biased and U of density 2u
        x = np.where(part[todo], np.sqrt(u[:, 1]) * x, x)
        h = hazard[todo]
        hx = h * x
        keep = np.where(hx > 1e-12, -np.expm1(-hx) / np.maximum(hx, 1e-300), 1.0)
        kept = u[:, 2] < keep
        length[todo[kept]] = x[kept]
        todo = todo[~kept]
    w = rng.random(n)
    hx = hazard * length
    age = np.where(
        hx > 1e-12,
        -np.log1p(w * np.expm1(-hx)) / np.maximum(hazard, 1e-300),
        w * length,
    )
    age = np.clip(age, 0.0, length)
    return age, length - age


def segment_hours(courses: CourseTables, shape: StayShape) -> tuple[np.ndarray, np.ndarray]:
    """Bed-hours of each segment kind per hospital-level episode, and the segments begun per
    episode, by condition (each conditions x ``SEGMENTS``)."""
    c = courses
    hours = np.zeros((len(c.names), len(SEGMENTS)))
    entries = np.zeros_like(hours)
    for k in range(len(c.names)):
        p_icu, p_vent, p_esc, p_readmit = (
            c.p_icu[k],
            c.p_ventilator[k],
            c.p_escalate[k],
            c.p_icu_readmission[k],
        )
        ward, h_ward = c.stay_ward_hours[k], c.hazard_ward[k]
        icu, h_icu = c.stay_icu_hours[k], c.hazard_icu[k]
        vent, h_vent = c.stay_ventilated_hours[k], c.hazard_ventilated[k]
        step, h_step = c.stay_stepdown_hours[k], c.hazard_stepdown[k]
        escalated = (1 - p_icu) * p_esc * shape.survives(ward, h_ward, part=True)
        to_icu = p_icu + escalated
        entries[k, :4] = [
            (1 - p_icu) * (1 - p_esc),
            (1 - p_icu) * p_esc,
            to_icu * (1 - p_vent),
            to_icu * p_vent,
        ]
        hours[k, 0] = entries[k, 0] * shape.in_bed(ward, h_ward)
        hours[k, 1] = entries[k, 1] * shape.in_bed(ward, h_ward, part=True)
        hours[k, 2] = entries[k, 2] * shape.in_bed(icu, h_icu)
        hours[k, 3] = entries[k, 3] * shape.in_bed(vent, h_vent)
        if step > 0:
            stepping = to_icu * (
                (1 - p_vent) * shape.survives(icu, h_icu) + p_vent * shape.survives(vent, h_vent)
            )
            readmitted = stepping * p_readmit * shape.survives(step, h_step, part=True)
            entries[k, 4:] = [readmitted, stepping * (1 - p_readmit), stepping * p_readmit]
            hours[k, 4] = readmitted * shape.in_bed(icu, h_icu)
            hours[k, 5] = entries[k, 5] * shape.in_bed(step, h_step)
            hours[k, 6] = entries[k, 6] * shape.in_bed(step, h_step, part=True)
    return hours, entries


def census_loads(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Offered load (mean patients in bed) of each facility by condition and segment kind,
    at the clock's hour 0 (facilities x conditions x ``SEGMENTS``; zero at clinics), and the
    patience of each hospital's waiting patients (``waiting_patience``; facilities x (ward,
    ICU)).

    Each demand point's hospital-level episodes an hour (its people, its rate, the conditions'
    weights at hour 0 with season and surges) go to its first facility. A clinic sends them on
    to the nearest hospital (the ward-level cases its hub keeps, less the decision errors,
    stay); ICU segments, and the step-down after them, of a hospital without ICU beds go to
    the nearest hospital with some.
    """
    from geodata.travel import nearest_by_travel
    from regional.network import demand_model

    scenario = network.scenario
    model = demand_model(scenario)
    courses = model.courses
    per_episode, entries = segment_hours(courses, StayShape.of(model))
    d = network.demand
    f = network.facilities
    n_f = len(f)
    rate = (
        d["population"].to_numpy(dtype=np.float64)
        * d["hospital_rate_per_1000_year"].to_numpy(dtype=np.float64)
        / 1000.0
        / HOURS_PER_YEAR
        * model.region_factor(d["region"].to_numpy())
    )
    lat = d["lat"].to_numpy(dtype=np.float64)
    peak = model.season_peak_day(lat)
    surges = bool(scenario.demand.surges)
    region = d["region"].astype(str).to_numpy() if surges else np.full(len(d), "")
    country = d["country"].astype(str).to_numpy() if surges else np.full(len(d), "")
    weights = np.empty((len(d), len(courses.names)))
    keys: dict[tuple[float, str, str], np.ndarray] = {}
    for i in range(len(d)):
        key = (float(peak[i]), str(region[i]), str(country[i]))
        w = keys.get(key)
        if w is None:
            w = keys[key] = (
                model.condition_weights(np.array([0.0]), float(lat[i]), key[1], key[2])[0]
                / courses.share.sum()
            )
        weights[i] = w
    by_facility = np.zeros((n_f, len(courses.names)))
    np.add.at(by_facility, d["facility_id"].to_numpy(), rate[:, None] * weights)
    load = by_facility[:, :, None] * per_episode[None, :, :]

    kind = f["kind"].to_numpy()
    hospital = kind == "hospital"
    lon, flat, remote = f["lon"].to_numpy(), f["lat"].to_numpy(), f["remote"].to_numpy()
    out = np.zeros_like(load)
    out[hospital] = load[hospital]
    clinic = np.flatnonzero(~hospital)
    if len(clinic) and hospital.any():
        tele = scenario.telemedicine
        linked = f["linked"].to_numpy()[clinic]
        kept = tele.resolve_share_ward * (1.0 - tele.decision_error_share)
        ward_on = np.where(linked, 1.0 - kept, 1.0)
        near, _ = nearest_by_travel(
            lon[clinic], flat[clinic], remote[clinic],
            lon[hospital], flat[hospital], remote[hospital], network.travel,
        )  # fmt: skip
        target = np.flatnonzero(hospital)[near]
        part = load[clinic].copy()
        part[:, :, list(WARD_SEGMENTS[:2])] *= ward_on[:, None, None]
        np.add.at(out, target, part)
    rows = np.flatnonzero(hospital)
    care = scenario.care
    limit = care.max_transfer_hours * 60.0
    patience = np.zeros((n_f, 2))
    mix = by_facility.sum(axis=0)
    for unit, segments, beds, search, wait_limit in (
        # an ICU stay's patient steps down where it was: the step-down moves with it
        # critical care: the ICU and intermediate care take ICU-level patients together
        (1, (2, 3, 4, 5, 6), f["icu_staffed"].to_numpy() + f["intermediate_staffed"].to_numpy(),
         care.transfer_after_hours_icu,
         care.icu_wait_limit_hours),
        (0, (0, 1, 5, 6), f["ward_staffed"].to_numpy(), care.transfer_after_hours_ward, None),
    ):  # fmt: skip
        in_unit = ICU_SEGMENTS if unit == 1 else WARD_SEGMENTS
        stay_hours = float(
            (mix @ per_episode[:, list(in_unit)]).sum()
            / max((mix @ entries[:, list(in_unit)]).sum(), 1e-300)
        )
        cells = out[rows][:, :, list(segments)]
        own = out[rows][:, :, list(in_unit)].sum(axis=(1, 2))
        carried, to, moved, r = overflow(
            own, beds[rows], lon[rows], flat[rows], remote[rows], network.travel, limit,
            stay_hours / search, stay_hours / wait_limit if wait_limit else 0.0,
        )  # fmt: skip
        patience[rows, unit] = r
        # offered to each: its own patients and those sent on to it, who may move on again
        offered = cells.copy()
        for _ in range(100):
            sent = cells.copy()
            for m in range(to.shape[1]):
                np.add.at(sent, to[:, m], offered * moved[:, m, None, None])
            done = np.allclose(sent, offered, rtol=1e-6, atol=1e-9)
            offered = sent
            if done:
                break
        # a step-down follows an ICU stay where it was carried, not where it was sought
        offered[:, :, len(in_unit) :] *= carried[:, None, None]
        for j, segment in enumerate(segments):
            out[rows, :, segment] = offered[:, :, j]
    return out, patience


def overflow(
    own: np.ndarray,
    beds: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    remote: np.ndarray,
    travel: TravelRules,
    limit_minutes: float,
    search_rate: float,
    give_up_rate: float,
    neighbours: int = 16,
    rounds: int = 60,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where the load each hospital's own patients offer a unit is carried, and the patience
    of its waiting patients.

    Each hospital is a queue with impatient customers (Erlang A, ``erlang_a``) fed by its own
    load and what its neighbours send it. A patient waiting for a bed looks for one elsewhere
    at ``search_rate`` (per mean stay: the stay over the hours before a transfer is sought)
    and finds one with the chance that a neighbour in reach (within ``limit_minutes``,
    nearest first) has a bed free; the request ends at ``give_up_rate`` (the ICU wait limit).
    Those who find a bed go to the first neighbour that has one; only a hospital's own load
    goes on (a patient sent on for want of a bed is not sent on again). The fixed point of
    the loads is found by damped iteration.

    Returns:
        The share of the load offered to each hospital that it carries (in its beds), its
        ``neighbours`` nearest (rows of the inputs), the share of the patients arriving there
        who move on to each, and the patience (per mean stay) of its waiting patients.
    """
    from scipy.spatial import cKDTree

    from geodata.travel import haversine_km, trip_minutes, unit_vectors

    n = len(own)
    open_ = np.flatnonzero(beds > 0)  # only hospitals with beds of the unit take anyone
    if len(open_) == 0:
        return np.ones(n), np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0)), np.zeros(n)
    k = min(neighbours + 1, len(open_))
    _, near = cKDTree(unit_vectors(lon[open_], lat[open_])).query(unit_vectors(lon, lat), k=k)
    idx = open_[np.asarray(near, dtype=np.int64).reshape(n, k)]
    minutes = trip_minutes(
        haversine_km(lon[:, None], lat[:, None], lon[idx], lat[idx]),
        remote[:, None] | remote[idx],
        travel,
    )
    minutes[idx == np.arange(n)[:, None]] = np.inf  # not to itself
    order = np.lexsort((idx, minutes), axis=-1)
    rows = np.arange(n)[:, None]
    idx, minutes = idx[rows, order], minutes[rows, order]
    reach = (minutes <= limit_minutes) & (beds[idx] > 0)
    offered = own.astype(np.float64).copy()
    full = (beds <= 0).astype(np.float64)
    for _ in range(rounds):
        # the chance each neighbour in turn is the first with a bed free
        left = np.ones(n)
        first = np.zeros(idx.shape)
        for m in range(idx.shape[1]):
            first[:, m] = np.where(reach[:, m], left * (1.0 - full[idx[:, m]]), 0.0)
            left = left - first[:, m]
        found = 1.0 - left
        patience = search_rate * found + give_up_rate
        busy, queued, full = erlang_a(offered, beds, patience)
        # the share of the patients arriving who wait and then move on (own ones only move)
        moving = np.divide(
            search_rate * found * queued, offered, out=np.zeros(n), where=offered > 0
        )
        moved = first / np.maximum(found, 1e-300)[:, None] * moving[:, None]
        # offered to a unit: its own patients and those sent here, who may move on again
        new = own + np.bincount(idx.ravel(), (moved * offered[:, None]).ravel(), minlength=n)
        done = np.allclose(new, offered, rtol=1e-5, atol=1e-6)
        offered = 0.5 * (offered + new)  # damped: the fixed point may oscillate
        if done:
            break
    busy, _, _ = erlang_a(offered, beds, patience)
    carried = np.divide(busy, offered, out=np.zeros(n), where=offered > 0)
    return carried, idx, moved, patience


QUEUE_CAP = 128  # waiting patients the stationary law is cut at when nothing bounds the line


def erlang_a(
    load: np.ndarray, beds: np.ndarray, patience: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean beds busy, mean patients waiting and the chance an arrival waits, of queues with
    impatient customers (Erlang A, M/M/c+M) of ``load`` Erlangs on ``beds`` whose waiting
    patients leave at ``patience`` per mean stay (``erlang_a_distribution``), in groups of
    units of like size (the law of each is as long as its beds and waiting line)."""
    beds = np.asarray(beds, dtype=np.int64)
    busy, queued, waits = np.zeros(len(beds)), np.zeros(len(beds)), np.ones(len(beds))
    order = np.argsort(beds, kind="stable")
    for group in np.array_split(order, max(1, min(16, len(order) // 16))):
        if not len(group):
            continue
        p = erlang_a_distribution(load[group], beds[group], patience[group])
        n = np.arange(p.shape[1])[None, :]
        c = beds[group][:, None]
        busy[group] = (np.minimum(n, c) * p).sum(axis=1)
        queued[group] = (np.maximum(n - c, 0) * p).sum(axis=1)
        waits[group] = np.where(n >= c, p, 0.0).sum(axis=1)
    return busy, queued, waits


def erlang_a_distribution(load: np.ndarray, beds: np.ndarray, patience: np.ndarray) -> np.ndarray:
    """The stationary law of the patients at each unit (in bed or waiting), Erlang A, one row
    a unit: P(n) / P(n - 1) = a / (min(n, c) + (n - c)+ r) for a load a on c beds with
    patience r per mean stay, cut at ``QUEUE_CAP`` waiting (where r = 0 and the beds cannot
    carry the load, the line would grow without end; the beds are then full)."""
    a = np.maximum(np.atleast_1d(np.asarray(load, dtype=np.float64)), 1e-12)[:, None]
    c = np.atleast_1d(np.asarray(beds, dtype=np.int64))[:, None]
    r = np.atleast_1d(np.asarray(patience, dtype=np.float64))[:, None]
    top = int(c.max(initial=0)) + QUEUE_CAP
    n = np.arange(1, top + 1)[None, :]
    served = np.minimum(n, c) + np.maximum(n - c, 0) * r
    step = np.log(a) - np.log(np.maximum(served, 1e-300))
    step = np.where(served > 0, step, -np.inf)  # no beds and no patience: nobody comes
    log_p = np.concatenate([np.zeros((len(a), 1)), np.cumsum(step, axis=1)], axis=1)
    log_p -= log_p.max(axis=1, keepdims=True)
    p = np.exp(log_p)
    return np.asarray(p / p.sum(axis=1, keepdims=True))


def beds_taken(u: float, load: float, beds: int, patience: float) -> int:
    """Beds busy at a random instant at a unit of ``load`` Erlangs (Erlang A), from one
    uniform, by inversion."""
    if beds <= 0 or load <= 0:
        return 0
    cdf = np.cumsum(
        erlang_a_distribution(np.array([load]), np.array([beds]), np.array([patience]))[0]
    )
    return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), beds))


def admit_census(model: ShardModel) -> None:
    """Put the starting census into every hospital of a shard (``capacity.start``)."""
    steady = model.spec.census_start == "steady"
    loads = model.spec.census_load
    rows = {int(fid): i for i, fid in enumerate(model.spec.facilities["facility_id"].tolist())}
    stays = _segment_stays(model.demand.courses)
    given = model.spec.census_given
    given_ids = given["facility_id"] if given else np.zeros(0, dtype=np.int64)
    for hospital in model.hospitals:
        rng = model.demand.census_stream(hospital.facility_id)
        drawn: Iterable[tuple[Patient, int, float]]
        mine = given_ids == hospital.facility_id
        if mine.any():
            from regional.snapshot.start import given_patients

            drawn, waiting = given_patients(
                model, hospital, {c: v[mine] for c, v in given.items()}, rng
            )
            for patient, bed, age in drawn:
                _admit(model, hospital, patient, bed, age)
            for patient in waiting:
                _board(model, hospital, patient)
            continue
        if steady:
            row = rows[hospital.facility_id]
            drawn = _steady_patients(
                model, hospital, rng, loads[row], model.spec.census_patience[row], stays
            )
        else:
            drawn = _fixed_patients(model, hospital, rng)
        for patient, bed, age in drawn:
            _admit(model, hospital, patient, bed, age)


def _board(model: ShardModel, hospital: Hospital, patient: Patient) -> None:
    """A census patient waiting for a bed asks for one now (admitted if one is free)."""
    model.census_patients += 1
    if patient.need == Need.ICU:
        hospital.request_icu(patient)
    else:
        hospital.request_ward(patient)


def _admit(model: ShardModel, hospital: Hospital, patient: Patient, bed: int, age: float) -> None:
    """Admit a census patient as if it had been in its bed (``agents.pathway.Bed``) for ``age``
    hours."""
    patient.admit_time = -age
    if bed == Bed.ICU:
        patient.icu_time = -age
        hospital.admit_icu(patient)
    elif bed == Bed.INTERMEDIATE:
        hospital.admit_intermediate(patient)
    else:
        hospital.admit_ward(patient)
    patient.bed_since = -age
    model.census_patients += 1


def _census_patient(
    model: ShardModel, hospital: Hospital, k: int, condition: int, age: float, **course: Any
) -> Patient:
    """A patient of the census: admitted ``age`` hours before hour 0, uncounted."""
    fid = hospital.facility_id
    return Patient(
        model,
        CENSUS_ID_BASE | (fid << 20) | k,
        model.place_of(fid),
        condition,
        course.get("acuity", 3),
        course["need"],
        course.get("ventilator", False),
        course["los_hours"],
        course.get("escalate_after_hours", math.nan),
        course.get("los_icu_after_hours", 0.0),
        course["death_clock"],
        1.0,
        -age,
        -age,
        fid,
        course.get("vent_on_escalation", False),
        course.get("los_stepdown_hours", 0.0),
        course.get("readmit_after_hours", math.nan),
    )


def _steady_patients(
    model: ShardModel,
    hospital: Hospital,
    rng: np.random.Generator,
    load: np.ndarray,
    patience: np.ndarray,
    stays: tuple[np.ndarray, np.ndarray],
) -> Iterator[tuple[Patient, int, float]]:
    """The census of one hospital in the stationary state of its offered load."""
    shape = StayShape.of(model.demand)
    mean_of, hazard_of = stays
    u_counts = rng.random(2)
    first = 0
    for unit, (segments, beds) in enumerate(
        (
            (WARD_SEGMENTS, hospital.ward_staffed),
            (ICU_SEGMENTS, hospital.icu_staffed + hospital.intermediate_staffed),
        )
    ):
        part = load[:, list(segments)]  # conditions x segments of the unit
        total = float(part.sum())
        n = beds_taken(float(u_counts[unit]), total, beds, float(patience[unit]))
        if n == 0:
            continue
        cells = np.minimum(
            np.searchsorted(np.cumsum(part.ravel()) / total, rng.random(n), side="right"),
            part.size - 1,
        )
        condition, segment = np.divmod(cells, len(segments))
        segment = np.asarray(segments)[segment]
        age, left = seen_in_bed(
            rng,
            shape,
            mean_of[condition, segment],
            hazard_of[condition, segment],
            (segment == 1) | (segment == 6),
        )
        age = np.maximum(age, 1e-6)  # in bed before hour 0
        fields = _course_fields(model, hospital, condition, segment, age, left, rng, first)
        readmitted = (segment == 4).tolist()
        stepdown = (segment >= 5).tolist()
        ages = age.tolist()
        middle_free = hospital.intermediate_staffed if unit == 1 else 0
        for i, row in enumerate(zip(*fields, strict=True)):
            patient = Patient(model, *row)
            if readmitted[i]:
                patient.readmitted = True
            if stepdown[i]:
                patient.stepdown = True
            bed = Bed.WARD
            if unit == 1:
                # those who need no ventilator in intermediate care while it has room
                bed = Bed.ICU
                if not patient.ventilator and middle_free > 0:
                    bed, middle_free = Bed.INTERMEDIATE, middle_free - 1
            yield patient, bed, ages[i]
        first += n


def _course_fields(
    model: ShardModel,
    hospital: Hospital,
    condition: np.ndarray,
    segment: np.ndarray,
    age: np.ndarray,
    left: np.ndarray,
    rng: np.random.Generator,
    first: int,
) -> list[list[Any]]:
    """Patient's arguments, column by column, of census patients in segments with ``left``
    hours to go; the rest of the course (the ICU stay of an escalation or a readmission, the
    step-down and when a readmission comes) is drawn as at onset. Kind 1 escalates and kind 6
    is readmitted when the segment ends; kind 3 is ventilated while a ventilator is free;
    kind 4, a readmission, has no ventilator and no second step-down."""
    demand = model.demand
    c = demand.courses
    n = len(condition)
    u = rng.random((n, 7))
    vent_need = u[:, 1] < c.p_ventilator[condition]
    icu_mean = np.where(vent_need, c.stay_ventilated_hours[condition], c.stay_icu_hours[condition])
    icu_stay = demand.los_quantile(u[:, 2], np.maximum(icu_mean, 1e-9))
    step_mean = c.stay_stepdown_hours[condition]
    stepdown = np.where(
        step_mean > 0, demand.los_quantile(u[:, 3], np.maximum(step_mean, 1e-9)), 0.0
    )
    readmit = np.where(
        (stepdown > 0) & (u[:, 4] < c.p_icu_readmission[condition]), u[:, 5] * stepdown, np.nan
    )
    icu_stay_of = np.isin(segment, (2, 3))  # an ICU stay with its step-down still to come
    ventilated = segment == 3
    # a ventilator for each in turn while the hospital has one in service
    ventilated &= np.cumsum(ventilated) <= hospital.ventilators_available
    ward_acuity = np.where(u[:, 6] < 0.3, 2, 3)
    acuity = np.select([segment <= 1, ventilated, segment <= 4], [ward_acuity, 1, 2], 2)
    fid = hospital.facility_id
    nan = np.full(n, np.nan)
    return [
        (CENSUS_ID_BASE | (fid << 20) | (first + np.arange(n))).tolist(),
        [model.place_of(fid)] * n,
        condition.tolist(),
        acuity.tolist(),
        np.where(np.isin(segment, (2, 3, 4)), Need.ICU, Need.WARD).tolist(),
        ventilated.tolist(),
        left.tolist(),
        np.where((segment == 1) | (segment == 6), left, nan).tolist(),  # escalate after
        np.where(np.isin(segment, (1, 5, 6)), icu_stay, 0.0).tolist(),  # ICU stay after
        (-np.log1p(-u[:, 0])).tolist(),  # death clock: the hazard is constant
        [1.0] * n,
        (-age).tolist(),  # onset
        (-age).tolist(),  # arrival
        [fid] * n,
        ((segment == 1) & vent_need).tolist(),
        np.where((segment == 1) | icu_stay_of, stepdown, 0.0).tolist(),
        np.where((segment == 1) | icu_stay_of, readmit, nan).tolist(),
    ]


def _segment_stays(courses: CourseTables) -> tuple[np.ndarray, np.ndarray]:
    """The mean of the drawn stay and the hazard of death of each condition and segment kind
    (conditions x ``SEGMENTS``)."""
    c = courses
    ward = np.stack([c.stay_ward_hours, c.hazard_ward], axis=1)
    icu = np.stack([c.stay_icu_hours, c.hazard_icu], axis=1)
    vent = np.stack([c.stay_ventilated_hours, c.hazard_ventilated], axis=1)
    step = np.stack([c.stay_stepdown_hours, c.hazard_stepdown], axis=1)
    table = np.stack([ward, ward, icu, vent, icu, step, step], axis=1)
    return np.maximum(table[:, :, 0], 1e-9), table[:, :, 1]


def _fixed_patients(
    model: ShardModel, hospital: Hospital, rng: np.random.Generator
) -> list[tuple[Patient, int, float]]:
    """The census at the scenario's fixed occupancies, conditions by their share of episodes,
    stays as seen at a random instant without death."""
    spec, demand = model.spec, model.demand
    courses = demand.courses
    share = courses.share / courses.share.sum()
    n_ward = round(spec.initial_ward_occupancy * hospital.ward_staffed)
    n_icu = round(spec.initial_icu_occupancy * hospital.icu_staffed)
    n_middle = round(spec.initial_icu_occupancy * hospital.intermediate_staffed)
    n = n_ward + n_icu + n_middle
    if n == 0:
        return []
    u = rng.random((n, 6))
    condition = np.minimum(np.searchsorted(np.cumsum(share), u[:, 0], side="right"), len(share) - 1)
    critical = np.arange(n) >= n_ward
    middle = np.arange(n) >= n_ward + n_icu  # intermediate care: no ventilator
    icu = critical & ~middle
    ventilator = icu & (u[:, 1] < courses.p_ventilator[condition])
    mean = np.where(
        critical,
        np.where(
            ventilator, courses.stay_ventilated_hours[condition], courses.stay_icu_hours[condition]
        ),
        courses.stay_ward_hours[condition],
    )
    remaining = demand.residual_stay(u[:, 2], u[:, 3], mean)
    # the time in bed so far: the other part of the length-biased stay (exponential: its own)
    if demand.demand.los_distribution == "exponential":
        age = -np.log(np.clip(u[:, 2], 1e-12, 1.0)) * mean
    else:
        age = remaining * (1.0 - u[:, 2]) / np.maximum(u[:, 2], 1e-12)
    age = np.maximum(age, 1e-6)
    stepdown_mean = np.maximum(courses.stay_stepdown_hours[condition], 1e-9)
    stepdown = np.where(
        critical & (courses.stay_stepdown_hours[condition] > 0),
        demand.los_quantile(u[:, 5], stepdown_mean),
        0.0,
    )
    death_clock = -np.log1p(-u[:, 4])
    out = []
    in_use = hospital.ventilators_in_use
    for k in range(n):
        # a census patient is ventilated only while the hospital has a ventilator free
        ventilated = bool(ventilator[k]) and in_use < hospital.ventilators
        in_use += ventilated
        patient = _census_patient(
            model,
            hospital,
            k,
            int(condition[k]),
            float(age[k]),
            need=Need.ICU if critical[k] else Need.WARD,
            acuity=1 if ventilated else (2 if critical[k] else 3),
            ventilator=ventilated,
            los_hours=float(remaining[k]),
            death_clock=float(death_clock[k]),
            los_stepdown_hours=float(stepdown[k]),
        )
        bed = Bed.INTERMEDIATE if middle[k] else (Bed.ICU if icu[k] else Bed.WARD)
        out.append((patient, bed, float(age[k])))
    return out
