"""Staff fall ill with the epidemic: nurses off work follow the infections of their town."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from regional.demand import CENSUS_ID_BASE
from regional.runner import run_scenario
from tests.networks import make_facilities, make_places, network, scenario

RISK_RATIO, ISOLATION_DAYS = 3.4, 10


def _run(risk_ratio: float) -> tuple[Any, Any]:
    """Three towns in an epidemic wave; absence only from infection, flat rosters."""
    scn = scenario(
        days=20,
        epidemic={
            "reproduction_number": 3.0,
            "seeds": [{"place": "Place 0", "day": -10, "infected": 200}],
            "starts_days_before": 10,
            "hospitalisation_ratio": 0.05,
            "away_share": 0.2,
        },
        **{
            "capacity.absenteeism": 0.0,
            "staffing.absenteeism_noise_cv": 0.0,
            "staffing.absenteeism_respiratory_sensitivity": 0.0,
            "staffing.epidemic_infection_risk_ratio": risk_ratio,
            "staffing.epidemic_isolation_days": ISOLATION_DAYS,
            "staffing.night_share": 0.5,
            "staffing.weekend_share": 2 / 7,
        },
    )
    places = make_places([(-70.6, -33.4, 200_000), (-70.4, -33.3, 80_000), (-70.9, -33.6, 40_000)])
    rows = [{"place": i, "ward_beds": 60, "icu_beds": 8} for i in range(3)]
    net = network(scn, places, make_facilities(rows, places))
    return net, run_scenario(scn, network=net)


def _daily(result: Any, column: str) -> pd.DataFrame:
    ts = result.to_pandas("timeseries")
    ts["day"] = (ts["time"] - ts["time"].min()).dt.days
    return ts.groupby(["facility_id", "day"])[column].mean().unstack()


@pytest.mark.slow
def test_nurses_off_work_are_the_risk_ratio_times_their_towns_recent_infections() -> None:
    _, healthy = _run(0.0)
    net, ill = _run(RISK_RATIO)
    on_duty = _daily(ill, "nurses_on_duty") / _daily(healthy, "nurses_on_duty")
    # closed form: present share = 1 - risk ratio x the town's share infected in the last
    # ``ISOLATION_DAYS`` days (each hospital stands in its own town)
    people = net.places.drop_duplicates("place_id").set_index("place_id")["population"]
    infected = net.epidemic.pivot_table(
        index="place_id", columns="day", values="new_infections"
    ).div(people, axis=0)
    recent = infected.T.rolling(ISOLATION_DAYS, min_periods=1).sum().T
    expected = 1.0 - RISK_RATIO * recent.to_numpy()
    np.testing.assert_allclose(on_duty.to_numpy(), expected, atol=0.005)
    assert expected.min() < 0.8  # the wave takes more than a fifth of the nurses by its end
    # fewer nurses staff fewer beds, and patients wait longer for them
    assert (_daily(ill, "ward_staffed") <= _daily(healthy, "ward_staffed")).all().all()
    assert ill.summary["nurse_hours_short"] > healthy.summary["nurse_hours_short"]
    # staff absence draws nothing: the arriving episodes are the same
    key = ["patient_id", "onset_time", "condition"]
    a, b = healthy.to_pandas("patients"), ill.to_pandas("patients")
    a = a[a["patient_id"] < CENSUS_ID_BASE][key].sort_values("patient_id").reset_index(drop=True)
    b = b[b["patient_id"] < CENSUS_ID_BASE][key].sort_values("patient_id").reset_index(drop=True)
    assert a.equals(b)
