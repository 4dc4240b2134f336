"""A forecast ensemble: replications from the census, per hospital and per region."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regional.ensembles.plan import replication_seed
from regional.forecast.replicate import INSTANT, MEASURES, Samples, run_replications
from regional.network import Network
from regional.scenario import Scenario


@dataclass
class Ensemble:
    """Samples of every replication: each measure shaped (replications, locations, days + 1),
    the locations the hospitals (by facility code) then the regions."""

    locations: pd.DataFrame  # location, level, name, region, lon, lat
    samples: dict[str, np.ndarray]
    seeds: list[int]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def days(self) -> int:
        """The forecast's horizons."""
        return int(next(iter(self.samples.values())).shape[2] - 1)


def locations_of(network: Network) -> tuple[pd.DataFrame, np.ndarray]:
    """The hospitals and regions a forecast is made for, and each hospital's region's row."""
    f = network.facilities
    h = f[f["kind"] == "hospital"]
    regions = sorted(h["region"].astype(str).unique())
    hospitals = pd.DataFrame(
        {
            "location": h["code"].astype(str).to_numpy(),
            "level": "facility",
            "name": h["name"].astype(str).to_numpy(),
            "region": h["region"].astype(str).to_numpy(),
            "lon": h["lon"].to_numpy(dtype=np.float64),
            "lat": h["lat"].to_numpy(dtype=np.float64),
        }
    )
    centre = hospitals.groupby("region")[["lon", "lat"]].mean()
    region_rows = pd.DataFrame(
        {
            "location": regions,
            "level": "region",
            "name": regions,
            "region": regions,
            "lon": centre.loc[regions, "lon"].to_numpy(),
            "lat": centre.loc[regions, "lat"].to_numpy(),
        }
    )
    index = {r: i for i, r in enumerate(regions)}
    of = np.array([index[r] for r in hospitals["region"]], dtype=np.int64)
    return pd.concat([hospitals, region_rows], ignore_index=True), of


def stack(
    replications: list[Samples], region_of: np.ndarray, regions: int
) -> dict[str, np.ndarray]:
    """The replications' samples as arrays (replications, hospitals + regions, days + 1)."""
    out = {}
    for name in MEASURES:
        x = np.stack([s.values[name] for s in replications])  # (R, hospitals, days + 1)
        by_region = np.zeros((x.shape[0], regions, x.shape[2]))
        for k in range(regions):
            by_region[:, k] = x[:, region_of == k].sum(axis=1)
        out[name] = np.concatenate([x, by_region], axis=1)
    staffed = out["icu_staffed"][:, len(region_of) :]
    occupied = out["icu_occupied"][:, len(region_of) :]
    out["icu_full"][:, len(region_of) :] = (staffed > 0) & (occupied >= staffed)
    return out


def simulate(
    scenario: Scenario,
    network: Network,
    days: int,
    replications: int,
    seed: int,
    workers: int = 1,
    address: str | None = None,
    done: Callable[[Samples], None] | None = None,
) -> Ensemble:
    """Run the replications of a scenario that starts from a census and stack them."""
    began = time.perf_counter()
    locations, region_of = locations_of(network)
    seeds = [replication_seed(seed, r) for r in range(replications)]
    runs = run_replications(scenario, network, days, seeds, workers, address, done)
    samples = stack(runs, region_of, int((locations["level"] == "region").sum()))
    timings = {
        "replications_seconds": round(time.perf_counter() - began, 3),
        "replication_wall_seconds_mean": round(float(np.mean([s.wall_seconds for s in runs])), 3),
    }
    return Ensemble(locations, samples, seeds, timings)


__all__ = ["INSTANT", "Ensemble", "locations_of", "simulate", "stack"]
