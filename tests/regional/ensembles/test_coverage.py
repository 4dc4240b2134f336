"""The ensemble's intervals are honest: over many small ensembles of a one-hospital loss
system (Poisson arrivals, exponential stays, a patient who finds every bed taken sent on at
once), the 90% interval of the mean share turned away covers Erlang B's value about 90% of
the time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from regional.ensembles import run_ensemble
from regional.ensembles.stats import interval
from regional.scenario import CONDITIONS
from tests.agents.test_queueing import HOURS_PER_YEAR, RATE_PER_1000_YEAR, erlang_b
from tests.networks import make_facilities, make_places, network, scenario

BEDS, LOAD = 5, 4.0  # bed-days a day offered to 5 beds, stays of a day
ENSEMBLES, REPLICATIONS = 40, 4


@pytest.mark.slow
def test_ninety_percent_intervals_cover_erlang_b_about_ninety_percent_of_the_time(
    tmp_path: Path,
) -> None:
    ward_only = {
        "share": 1.0,
        "p_icu": 0.0,
        "p_escalate": 0.0,
        "los_ward_days": 1.0,
        "p_death_ward": 0.0,
    }
    blocked = erlang_b(BEDS, LOAD)
    scn = scenario(
        **{
            "name": "loss",
            "days": 20,
            "window_hours": 120,
            "sample_hours": 24,
            "demand.admissions_per_1000_year": RATE_PER_1000_YEAR,
            "demand.los_distribution": "exponential",
            "demand.conditions": {c: ward_only for c in CONDITIONS},
            "care.transfer_after_hours_ward": 0.0,
            # start near the stationary mean of busy beds, LOAD x (1 - B), so that the share
            # turned away has no warm-up bias
            "capacity.initial_ward_occupancy": LOAD * (1 - blocked) / BEDS,
        }
    )
    population = round(LOAD / 24.0 * HOURS_PER_YEAR * 1000.0 / RATE_PER_1000_YEAR)
    places = make_places([(-70.0, -33.0, population), (-69.0, -33.0, 500)])
    facilities = make_facilities(
        [{"place": 0, "ward_beds": BEDS}, {"place": 1, "ward_beds": 40}], places
    )
    net = network(scn, places, facilities)
    # the second hospital takes whoever is sent on (40 beds: at most a few a day come)
    # one ensemble of all the runs; each run of REPLICATIONS in turn is one small ensemble
    result = run_ensemble(
        [scn], ENSEMBLES * REPLICATIONS, tmp_path / "out", networks={"loss": net}, charts=False
    )
    f = result.tables["facilities"]
    first = f[f["facility_id"] == 0].sort_values("replication")
    share = (first["transfers_out"] / first["arrivals"]).to_numpy()
    assert len(share) == ENSEMBLES * REPLICATIONS
    covered = 0
    for group in share.reshape(ENSEMBLES, REPLICATIONS):
        i = interval(group, 0.9)
        covered += i.low <= blocked <= i.high
    # 36 of 40 expected; 31 or fewer has a chance near 2% for honest intervals
    assert 32 <= covered <= 40, covered
    # and the runs agree with Erlang B on the whole
    assert np.mean(share) == pytest.approx(blocked, abs=0.02)
