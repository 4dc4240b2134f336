"""The pathway of one region written the way a Mesa user would: every agent steps every tick.

Hospitals admit from a queue into staffed beds; patients arrive per tick from Poisson draws,
count down their stay each tick and leave; a ``DataCollector`` records occupancy every tick.
Same demand and beds as the twin's network for the region, 15-minute ticks.
"""

from __future__ import annotations

import time
from typing import Any

import mesa

TICKS_PER_DAY = 96


class PlainPatient(mesa.Agent):
    """A patient who waits, then stays a number of ticks."""

    def __init__(self, model: mesa.Model, hospital: PlainHospital, stay_ticks: int) -> None:
        super().__init__(model)
        self.hospital = hospital
        self.stay_ticks = stay_ticks
        self.admitted = False

    def step(self) -> None:
        if not self.admitted:
            return
        self.stay_ticks -= 1
        if self.stay_ticks <= 0:
            self.hospital.occupied -= 1
            self.remove()


class PlainHospital(mesa.Agent):
    """Beds and a first-come queue."""

    def __init__(self, model: mesa.Model, beds: int, arrivals_per_tick: float) -> None:
        super().__init__(model)
        self.beds = beds
        self.arrivals_per_tick = arrivals_per_tick
        self.occupied = 0
        self.queue: list[PlainPatient] = []

    def step(self) -> None:
        while self.queue and self.occupied < self.beds:
            patient = self.queue.pop(0)
            patient.admitted = True
            self.occupied += 1


class PlainModel(mesa.Model):
    """Time-stepped: arrivals, every agent steps, the collector records."""

    def __init__(
        self, beds: list[int], arrivals_per_day: list[float], mean_stay_days: float, seed: int = 0
    ) -> None:
        super().__init__(seed=seed)
        self.hospitals = [
            PlainHospital(self, b, a / TICKS_PER_DAY)
            for b, a in zip(beds, arrivals_per_day, strict=True)
        ]
        self.mean_stay_ticks = mean_stay_days * TICKS_PER_DAY
        self.episodes = 0
        # the same starting census as the twin: hospitals 70% full
        for hospital in self.hospitals:
            for _ in range(int(0.7 * hospital.beds)):
                patient = PlainPatient(
                    self, hospital, max(1, int(self.rng.exponential(self.mean_stay_ticks)))
                )
                patient.admitted = True
                hospital.occupied += 1
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "occupied": lambda m: sum(h.occupied for h in m.hospitals),
                "waiting": lambda m: sum(len(h.queue) for h in m.hospitals),
            }
        )

    def step(self) -> None:
        for hospital in self.hospitals:
            for _ in range(self.rng.poisson(hospital.arrivals_per_tick)):
                stay = max(1, int(self.rng.exponential(self.mean_stay_ticks)))
                hospital.queue.append(PlainPatient(self, hospital, stay))
                self.episodes += 1
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


def region_inputs(scenario: str = "chile", region: str | None = None) -> dict[str, Any]:
    """Beds and daily arrivals of the hospitals of one region of a built-in network."""
    from regional.network import build_network
    from regional.scenario import load_scenario

    network = build_network(load_scenario(scenario))
    f = network.facilities
    hospitals = f[f["kind"] == "hospital"]
    if region is None:  # the region with most hospitals after the capital's
        region = str(hospitals["region"].value_counts().index[min(1, len(hospitals) - 1)])
    chosen = hospitals[hospitals["region"] == region]
    return {
        "region": region,
        "beds": (chosen["ward_staffed"] + chosen["icu_staffed"]).astype(int).tolist(),
        "arrivals_per_day": chosen["expected_load"].astype(float).tolist(),
    }


def run(
    days: float = 30.0,
    mean_stay_days: float = 5.5,
    seed: int = 0,
    inputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the plain model; return episodes, ticks, CPU seconds and episodes per CPU-second."""
    inputs = inputs or region_inputs()
    model = PlainModel(inputs["beds"], inputs["arrivals_per_day"], mean_stay_days, seed)
    ticks = int(days * TICKS_PER_DAY)
    began = time.process_time()
    for _ in range(ticks):
        model.step()
    cpu = time.process_time() - began
    return {
        "region": inputs["region"],
        "hospitals": len(inputs["beds"]),
        "days": days,
        "ticks": ticks,
        "episodes": model.episodes,
        "cpu_seconds": round(cpu, 3),
        "episodes_per_cpu_second": round(model.episodes / cpu, 1) if cpu else None,
    }
