"""An epidemic over the scenario's places: a metapopulation SEIR coupled by mobility.

``mobility`` builds who meets whom across places (a gravity model over the nearest places);
``seir`` integrates the compartments day by day, deterministically or as a chain binomial
whose draws are a pure function of (seed, place id, day), so that the epidemic is the same at
any shard count and under any order of places; ``admissions`` turns new infections into the
hospital admissions they cause, through an infection-hospitalisation ratio and a delay.
"""

from regional.epidemic.admissions import admissions_from_infections
from regional.epidemic.mobility import gravity_coupling
from regional.epidemic.seir import Epidemic, EpidemicRules, simulate

__all__ = [
    "Epidemic",
    "EpidemicRules",
    "admissions_from_infections",
    "gravity_coupling",
    "simulate",
]
