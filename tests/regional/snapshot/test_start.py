"""A run from a real census: its patients where the census puts them, their stays conditional on
the time already spent, the same run from CSV and from FHIR, and mistakes named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from regional.cli import main
from regional.demand import CENSUS_ID_BASE, DemandModel
from regional.runner import run_scenario
from regional.scenario import Demand, ScenarioError, load_scenario
from regional.snapshot import read_census
from regional.snapshot.fhir import write_bundle
from regional.snapshot.start import remaining_after
from tests.networks import make_facilities, make_places, network, scenario

START = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def test_exponential_stays_left_do_not_depend_on_the_time_spent() -> None:
    demand = DemandModel(Demand(los_distribution="exponential"), START, 1)
    u = np.random.default_rng(0).random(200_000)
    for elapsed in (0.0, 24.0, 240.0):
        left = remaining_after(demand, u, np.full(len(u), elapsed), 48.0)
        assert left.mean() == pytest.approx(48.0, rel=0.01)


def test_lognormal_stays_left_follow_the_conditional_law() -> None:
    demand = DemandModel(Demand(los_distribution="lognormal", los_cv=0.9), START, 1)
    mean, elapsed = 100.0, 150.0
    sigma = np.sqrt(np.log1p(0.9**2))
    law = stats.lognorm(s=sigma, scale=mean / np.sqrt(1 + 0.9**2))
    # E[T - e | T > e] = integral of the survival beyond e over the survival at e
    expected = integrate.quad(law.sf, elapsed, np.inf)[0] / law.sf(elapsed)
    u = np.random.default_rng(1).random(400_000)
    left = remaining_after(demand, u, np.full(len(u), elapsed), mean)
    assert left.mean() == pytest.approx(expected, rel=0.02)


def _network(census_path: Path | None):  # type: ignore[no-untyped-def]
    extra = {"census": {"path": str(census_path)}} if census_path else {}
    scn = scenario(days=3, **extra)
    places = make_places([(-70.6, -33.4, 100_000), (-71.0, -33.0, 50_000)])
    rows = [{"place": 0, "ward_beds": 40, "icu_beds": 6}, {"place": 1, "ward_beds": 30}]
    return scn, network(scn, places, make_facilities(rows, places))


def _census_csv(tmp_path: Path) -> Path:
    rows = [("w", "ward", "2025-05-29T00:00:00Z", "", "false", "")] * 20
    rows += [("i", "icu", "2025-05-31T00:00:00Z", "respiratory", "true", "")] * 4
    rows += [("q", "icu", "2025-05-31T20:00:00Z", "cardiac", "false", "2025-05-31T20:00:00Z")]
    frame = pd.DataFrame(
        [
            {
                "patient": f"{p}{k}",
                "facility": "T-000",
                "bed_type": b,
                "admitted_at": a,
                "condition": c,
                "ventilated": v,
                "waiting_since": w,
            }
            for k, (p, b, a, c, v, w) in enumerate(rows)
        ]
    )
    path = tmp_path / "census.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_a_run_starts_from_the_census_and_the_same_from_its_fhir_bundle(tmp_path: Path) -> None:
    csv = _census_csv(tmp_path)
    scn, net = _network(csv)
    from_csv = run_scenario(scn, network=net)
    ts = from_csv.to_pandas("timeseries")
    first = ts[(ts["facility_id"] == 0)].iloc[0]
    assert first["ward_occupied"] == 20 and first["icu_occupied"] == 5  # the boarder got a bed
    patients = from_csv.to_pandas("patients")
    census = patients[patients["patient_id"] >= CENSUS_ID_BASE]
    assert (census["first_facility"] == 0).sum() == 25
    assert net.filled["census"].startswith("25 patients of 1 hospitals from census.csv")

    bundle = write_bundle(read_census(csv, scn.start), scn.start, tmp_path / "census.json")
    scn_f, net_f = _network(bundle)
    from_fhir = run_scenario(scn_f, network=net_f)
    for name in ("patients", "transfers", "timeseries"):
        assert from_csv.tables[name].equals(from_fhir.tables[name]), name


def test_an_icu_boarder_at_a_hospital_without_an_icu_waits_there(tmp_path: Path) -> None:
    # a census history of the twin holds ICU patients waiting at hospitals with no ICU; a
    # patient in an ICU bed there is a mistake, one waiting for it is not
    path = tmp_path / "c.csv"
    path.write_text(
        "facility,time,ward_occupied,icu_occupied,waiting_ward,waiting_icu\n"
        "T-001,2025-05-31T20:00:00Z,10,0,0,2\n"
    )
    scn, net = _network(path)
    waiting = run_scenario(scn, network=net).to_pandas("timeseries")
    first = waiting[waiting["facility_id"] == 1].iloc[0]
    assert first["ward_occupied"] == 10 and first["icu_occupied"] == 0
    assert first["waiting"] >= 2  # the two boarders wait there at the start
    path.write_text(
        "facility,time,ward_occupied,icu_occupied,waiting_ward,waiting_icu\n"
        "T-001,2025-05-31T20:00:00Z,10,1,0,0\n"
    )
    with pytest.raises(ScenarioError, match="which has no icu beds"):
        _network(path)


def test_a_facility_the_network_lacks_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("patient,facility,bed_type,admitted_at\np1,NOWHERE,ward,2025-05-31T00:00:00Z\n")
    with pytest.raises(ScenarioError, match="facility 'NOWHERE' is not a hospital"):
        _network(path)


def test_a_census_with_a_warm_up_is_refused() -> None:
    with pytest.raises(ScenarioError, match="set warmup_days to 0"):
        load_scenario("chile", warmup_days=2, census={"path": "x.csv"})


def test_a_bad_census_row_ends_the_run_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "c.csv").write_text(
        "patient,facility,bed_type,admitted_at\np1,CL-H00001,uci,2025-05-31T00:00:00Z\n"
    )
    (tmp_path / "s.yaml").write_text("base: chile\nname: x\ndays: 1\ncensus: {path: c.csv}\n")
    out = tmp_path / "run"
    assert main(["run", str(tmp_path / "s.yaml"), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "c.csv: row 2, column 'bed_type'" in err[0]
    assert not out.exists()
