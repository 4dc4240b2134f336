"""An epidemic over a network's places, as expected admissions per demand point and day."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from regional.epidemic.admissions import admissions_from_infections
from regional.epidemic.mobility import gravity_coupling
from regional.epidemic.seir import EpidemicRules, simulate
from regional.scenario import Scenario, ScenarioError


def _seed_row(places: pd.DataFrame, name: str, i: int) -> int:
    key = name.strip().casefold()
    ids = places["place_id"].astype(str).to_numpy()
    names = places["name"].astype(str).str.casefold().to_numpy()
    found = np.flatnonzero((ids == key) | (names == key))
    if not len(found):
        biggest = places.sort_values("population", ascending=False)["name"].head(3).tolist()
        raise ScenarioError(
            f"epidemic.seeds[{i}].place: no place named or numbered {name!r} in the network; "
            f"give a name such as {', '.join(map(repr, biggest))}"
        )
    # several places of one name: the most populous
    return int(found[np.argmax(places["population"].to_numpy()[found])])


def epidemic_admissions(
    scenario: Scenario, places: pd.DataFrame, points: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    """Expected epidemic admissions of each demand point on each day of the run (points x
    days), and the epidemic per place and day (new infections and admissions) for the results.

    ``places`` has ``place_id, name, lon, lat, population``; ``points`` has ``place_id`` and
    ``population`` (a place's people split over the facilities they first go to).
    """
    e = scenario.epidemic
    assert e is not None
    unique = places.drop_duplicates("place_id").reset_index(drop=True)
    lead = math.ceil(e.starts_days_before)
    run_days = math.ceil(scenario.days)
    seeds = tuple(
        (_seed_row(unique, seed.place, i), seed.day + lead, seed.infected)
        for i, seed in enumerate(e.seeds)
    )
    if any(day < 0 for _, day, _ in seeds):
        raise ScenarioError(
            "epidemic.seeds: a seed falls before the epidemic starts; raise "
            "epidemic.starts_days_before to cover it"
        )
    rules = EpidemicRules(
        reproduction_number=e.reproduction_number,
        latent_days=e.latent_days,
        infectious_days=e.infectious_days,
        seeds=seeds,
        changes=tuple((c.day + lead, c.reproduction_number) for c in e.changes),
        stochastic=e.stochastic,
        seed=int(scenario.seed),
    )
    population = unique["population"].to_numpy(dtype=np.float64)
    coupling = gravity_coupling(
        unique["lon"].to_numpy(),
        unique["lat"].to_numpy(),
        population,
        away_share=e.away_share,
        gamma=e.gravity_exponent,
        neighbours=e.neighbours,
    )
    epidemic = simulate(population, coupling, rules, lead + run_days, unique["place_id"].to_numpy())
    admitted = admissions_from_infections(
        epidemic.new_infections, e.hospitalisation_ratio, e.delay_days, e.delay_cv
    )[lead:]
    row_of = pd.Series(np.arange(len(unique)), index=unique["place_id"].to_numpy())
    rows = row_of.reindex(points["place_id"].to_numpy()).to_numpy()
    share = points["population"].to_numpy(dtype=np.float64) / np.maximum(population[rows], 1.0)
    per_point = admitted[:, rows].T * share[:, None]
    days = np.arange(run_days)
    table = pd.DataFrame(
        {
            "place_id": np.tile(unique["place_id"].to_numpy(), run_days),
            "day": np.repeat(days, len(unique)),
            "new_infections": epidemic.new_infections[lead:].ravel(),
            "infectious": epidemic.infectious[lead:].ravel(),
            "expected_admissions": admitted.ravel(),
        }
    )
    return per_point, table
