"""An epidemic's admissions as episodes: their own stream, their own course, any shard count."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from regional.cli import main
from regional.demand import EPIDEMIC_SEQ, DemandModel
from regional.runner import run_scenario
from regional.scenario import Demand, ScenarioError, load_scenario
from tests.networks import make_facilities, make_places, network, scenario
from tests.regional.test_demand import START, _places


def _model(with_epidemic: bool) -> DemandModel:
    if not with_epidemic:
        return DemandModel(Demand(), START, 5)
    return DemandModel(Demand(conditions={"epidemic": {"p_icu": 0.5}}), START, 5)


def test_an_epidemic_adds_episodes_and_leaves_every_other_one_as_it_was() -> None:
    places = _places(4)
    rate = np.zeros((4, 14))
    rate[1, :] = 30.0  # 30 expected admissions a day in the second place
    with_it = dataclasses.replace(places, epidemic_per_day=rate)
    base = _model(False).generate_block(places, 0)
    both = _model(True).generate_block(with_it, 0)
    ordinary = (both["patient_id"] & (EPIDEMIC_SEQ * 2 - 1)) < EPIDEMIC_SEQ
    for name, values in base.items():
        np.testing.assert_array_equal(both[name][ordinary], values, err_msg=name)
    extra = {k: v[~ordinary] for k, v in both.items()}
    # a week at 30 a day: Poisson(210)
    assert abs(len(extra["patient_id"]) - 210) < 4 * np.sqrt(210)
    assert set((extra["patient_id"] >> 32).tolist()) == {1}
    assert (extra["need"] > 0).all()  # every one needs a bed
    assert abs((extra["need"] == 2).mean() - 0.5) < 0.12


def _epidemic_network(shards: int):  # type: ignore[no-untyped-def]
    scn = scenario(
        days=20,
        shards=shards,
        epidemic={
            "reproduction_number": 3.0,
            "seeds": [{"place": "Place 0", "day": -10, "infected": 200}],
            "starts_days_before": 10,
            "hospitalisation_ratio": 0.05,
            "away_share": 0.2,
        },
    )
    places = make_places([(-70.6, -33.4, 200_000), (-70.4, -33.3, 80_000), (-70.9, -33.6, 40_000)])
    rows = [{"place": i, "ward_beds": 60, "icu_beds": 8} for i in range(3)]
    return scn, network(scn, places, make_facilities(rows, places))


@pytest.mark.slow
def test_the_epidemic_is_the_same_at_one_and_three_shards() -> None:
    one_scn, one_net = _epidemic_network(1)
    one = run_scenario(one_scn, network=one_net)
    three_scn, three_net = _epidemic_network(3)
    three = run_scenario(three_scn, network=three_net)
    patients = one.to_pandas("patients")
    assert (patients["condition"] == "epidemic").sum() > 100
    for name in ("patients", "transfers", "timeseries"):
        assert one.tables[name].equals(three.tables[name]), name
    assert one.reports["epidemic"].equals(three.reports["epidemic"])


def test_a_seed_in_no_place_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("base: chile\nname: x\ndays: 2\nepidemic:\n  seeds: [{place: Atlantis}]\n")
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "epidemic.seeds[0].place: no place named" in err[0]
    assert not out.exists()


def test_a_seed_before_the_epidemic_starts_is_refused() -> None:
    scn = scenario(epidemic={"seeds": [{"place": "Place 0", "day": -3}]})
    places = make_places([(-70.6, -33.4, 10_000)])
    with pytest.raises(ScenarioError, match="starts_days_before"):
        network(scn, places, make_facilities([{"place": 0, "ward_beds": 10}], places))


def test_the_epidemic_condition_takes_only_the_epidemic() -> None:
    scn = load_scenario("chile", days=1)
    assert "epidemic" not in scn.demand.conditions
    with_it = load_scenario({"base": "chile", "epidemic": {"seeds": [{"place": "Santiago"}]}})
    assert with_it.demand.conditions["epidemic"].share == 0
    assert with_it.demand.conditions["epidemic"].p_icu == pytest.approx(0.361)
