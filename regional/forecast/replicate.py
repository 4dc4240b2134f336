"""Replications of a forecast run, each cut into daily samples per hospital.

A replication is ``regional.runner.run_scenario`` (serial backend) of the scenario that starts
from the census, with the seed ``regional.ensembles.replication_seed(seed, r)``: the same
replication gives the same numbers serially or as a Ray task, on any number of workers.

Of each run the forecast keeps, per hospital and day h = 0..days (h = 0 the census time):
the ward, ICU and intermediate beds occupied and the patients waiting at the instant
t0 + 24 h; whether every staffed ICU bed is taken then; and over the day before it (from
t0 + 24 (h - 1) h to t0 + 24 h) the admissions (as ``regional.history`` counts them: episodes
needing a bed, on their arrival, at the hospital of their first bed; not the census's own
patients, not transfers), the transfers in and out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from regional.network import Network
from regional.scenario import Scenario

INSTANT = ("ward_occupied", "icu_occupied", "intermediate_occupied", "waiting", "icu_full")
DAILY = ("admissions", "transfers_in", "transfers_out")
MEASURES = INSTANT + DAILY + ("icu_staffed",)


@dataclass
class Samples:
    """One replication's daily samples: each measure shaped (hospitals, days + 1)."""

    replication: int
    seed: int
    values: dict[str, np.ndarray]
    wall_seconds: float


def run_days(scenario: Scenario) -> Scenario:
    """The scenario run one window longer than its days, so the last day's instant is sampled."""
    return scenario.model_copy(update={"days": scenario.days + scenario.window_hours / 24.0})


def _hours(values: pa.ChunkedArray, start: dt.datetime) -> np.ndarray:
    t = values.cast(pa.timestamp("us", tz="UTC")).to_numpy(zero_copy_only=False)
    origin = np.datetime64(start.replace(tzinfo=None), "us")
    hours = (t.astype("datetime64[us]") - origin) / np.timedelta64(1, "h")
    return np.asarray(hours, dtype=np.float64)


def daily_samples(
    scenario: Scenario, network: Network, days: int, hospitals: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """Run the scenario once with ``seed`` and cut it into days (see the module doc)."""
    from regional.ensembles.execute import seeded
    from regional.runner import run_scenario

    scn, net = seeded(network, scenario, seed)
    result = run_scenario(scn, network=net)
    n, width = len(hospitals), days + 1
    row = np.full(int(network.facilities["facility_id"].max()) + 1, -1, dtype=np.int64)
    row[hospitals] = np.arange(n)
    out = {name: np.zeros((n, width), dtype=np.float64) for name in MEASURES}

    ts = result.tables["timeseries"]
    hours = _hours(ts.column("time"), scn.start)
    fid = ts.column("facility_id").to_numpy()
    day = np.rint(hours / 24.0).astype(np.int64)
    keep = (np.abs(hours - 24.0 * day) < 1e-6) & (day >= 0) & (day < width) & (row[fid] >= 0)
    r, d = row[fid[keep]], day[keep]
    for name in ("ward_occupied", "icu_occupied", "intermediate_occupied", "waiting"):
        out[name][r, d] = ts.column(name).to_numpy()[keep]
    out["icu_staffed"][r, d] = ts.column("icu_staffed").to_numpy()[keep]
    staffed = out["icu_staffed"]
    out["icu_full"] = ((staffed > 0) & (out["icu_occupied"] >= staffed)).astype(np.float64)

    # admissions as regional.history counts them: an episode needing a bed, on its arrival, at
    # the hospital of its first bed (or, never bedded, where it arrived); not the census's
    # patients (carried over), not transfers or escalations
    patients = result.tables["patients"]
    fresh = patients.filter(
        pc.and_(pc.invert(patients.column("carried_over")), pc.greater(patients.column("need"), 0))
    )
    stays = result.tables["stays"].select(["patient_id", "facility_id", "start_time"])
    first = stays.sort_by([("patient_id", "ascending"), ("start_time", "ascending")])
    pid = first.column("patient_id").to_numpy()
    lead = np.r_[True, pid[1:] != pid[:-1]] if len(pid) else np.zeros(0, dtype=bool)
    beds = first.column("facility_id").to_numpy()[lead]
    bedded = dict(zip(pid[lead].tolist(), beds.tolist(), strict=True))
    arrived = fresh.column("first_facility").to_numpy()
    where = np.array(
        [
            bedded.get(p, a)
            for p, a in zip(fresh.column("patient_id").to_pylist(), arrived, strict=True)
        ],
        dtype=np.int64,
    )
    at = _hours(fresh.column("arrival_time"), scn.start)
    _count_days(out["admissions"], row, where, at, width, np.ones(len(at), dtype=bool))

    transfers = result.tables["transfers"]
    for name, facility, when in (
        ("transfers_out", "from_facility", "depart_time"),
        ("transfers_in", "to_facility", "arrive_time"),
    ):
        where = transfers.column(facility).to_numpy(zero_copy_only=False)
        at = _hours(transfers.column(when), scn.start)
        _count_days(out[name], row, where, at, width, np.ones(len(at), dtype=bool))
    return out


def _count_days(
    into: np.ndarray,
    row: np.ndarray,
    facility: np.ndarray,
    hours: np.ndarray,
    width: int,
    mask: np.ndarray,
) -> None:
    """Add events at ``hours`` to day ceil(hours / 24) of their facility's row (day 0: none)."""
    ok = mask & ~np.isnan(hours) & (hours > 0)
    facility = facility[ok].astype(np.int64)
    day = np.ceil(hours[ok] / 24.0 - 1e-9).astype(np.int64)
    inside = (day >= 1) & (day < width) & (facility < len(row))
    facility, day = facility[inside], day[inside]
    r = row[facility]
    np.add.at(into, (r[r >= 0], day[r >= 0]), 1.0)


def _one(
    scenario: Scenario, network: Network, days: int, hospitals: np.ndarray, r: int, seed: int
) -> Samples:
    began = time.perf_counter()
    values = daily_samples(scenario, network, days, hospitals, seed)
    return Samples(r, seed, values, round(time.perf_counter() - began, 3))


def run_replications(
    scenario: Scenario,
    network: Network,
    days: int,
    seeds: Sequence[int],
    workers: int = 1,
    address: str | None = None,
    done: Callable[[Samples], None] | None = None,
) -> list[Samples]:
    """Every replication's samples, in replication order, serially or as Ray tasks."""
    scenario = run_days(scenario)
    network = dataclasses.replace(network, scenario=scenario)
    hospitals = network.facilities.loc[
        network.facilities["kind"] == "hospital", "facility_id"
    ].to_numpy(dtype=np.int64)
    if workers <= 1 and address is None:
        out = []
        for r, seed in enumerate(seeds):
            out.append(_one(scenario, network, days, hospitals, r, seed))
            if done is not None:
                done(out[-1])
        return out
    return _on_ray(scenario, network, days, hospitals, seeds, workers, address, done)


def _on_ray(
    scenario: Scenario,
    network: Network,
    days: int,
    hospitals: np.ndarray,
    seeds: Sequence[int],
    workers: int,
    address: str | None,
    done: Callable[[Samples], None] | None,
) -> list[Samples]:
    import ray

    from cluster.backend import RayBackend

    session = RayBackend(workers=workers, address=address)
    session.connect()
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(_one)
        net = ray.put(network)
        refs = [
            task.remote(scenario, net, days, hospitals, r, seed) for r, seed in enumerate(seeds)
        ]
        out: dict[int, Samples] = {}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                samples = ray.get(ref)
                out[samples.replication] = samples
                if done is not None:
                    done(samples)
        return [out[r] for r in range(len(seeds))]
    finally:
        session.shutdown()
