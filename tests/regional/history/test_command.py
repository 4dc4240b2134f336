"""``regional history`` and ``regional calibrate`` end to end: their folders whole, a run that
takes the overlay, and bad input refused with exit 2 and nothing written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from regional.cli import main
from regional.history import read_admissions
from regional.history.from_run import admissions_from_run
from regional.runner import run_scenario
from regional.snapshot import read_census
from tests.networks import make_facilities, make_places, network, scenario

REGION = ["--set", "geography.regions=[CL-02]"]  # Chile's smallest region: one hospital


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scn = scenario(days=8, **{"demand.admissions_per_1000_year": 300})
    places = make_places([(-70.6, -33.4, 60_000), (-71.0, -33.0, 30_000)])
    rows = [{"place": 0, "ward_beds": 40, "icu_beds": 4, "intermediate_beds": 2}, {"place": 1}]
    run = run_scenario(scn, network=network(scn, places, make_facilities(rows, places)))
    return run.write(tmp_path_factory.mktemp("run") / "run")


def test_history_writes_admissions_and_censuses_of_a_run(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "history"
    assert main(["history", str(run_dir), "--out", str(out), "--every-hours", "12"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["admissions.csv", "censuses.csv"]
    admissions = read_admissions(out / "admissions.csv")
    expected = admissions_from_run(run_dir)
    assert admissions["admissions"].sum() == expected["admissions"].sum() > 0
    assert admissions["date"].nunique() == 8
    censuses = pd.read_csv(out / "censuses.csv")
    assert censuses["time"].nunique() == 16  # every 12 hours of 8 days
    # the census reader takes the latest row of each hospital: the run's occupancy then
    last = dt.datetime.fromisoformat(censuses["time"].max().replace("Z", "+00:00"))
    census = read_census(out / "censuses.csv", last, "facilities")
    series = pd.read_parquet(run_dir / "timeseries.parquet")
    at = series[series["time"] == pd.Timestamp(last)].set_index("facility_id")
    in_beds = census[census["waiting_hours"].isna()]
    assert (in_beds["bed_type"] == "ward").sum() == at["ward_occupied"].sum()
    assert (in_beds["bed_type"] == "icu").sum() == at["icu_occupied"].sum()


def test_history_reports_an_undercount(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "noisy"
    assert main(["history", str(run_dir), "--out", str(out), "--report-share", "0.5"]) == 0
    reported = read_admissions(out / "admissions.csv")["admissions"].sum()
    true = admissions_from_run(run_dir)["admissions"].sum()
    assert abs(reported - 0.5 * true) <= 4 * np.sqrt(0.25 * true)


def test_history_of_no_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["history", str(tmp_path), "--out", str(out)]) == 2
    assert "is missing; this is not a complete run directory" in capsys.readouterr().err
    assert not out.exists()
    assert main(["history", str(tmp_path), "--out", str(out), "--report-share", "2"]) == 2


def _history(path: Path, days: int, facility: str = "CL-H00001") -> Path:
    """Poisson admissions at 30 a day, 40% more on Mondays, from 2025-04-01."""
    rng = np.random.default_rng(5)
    dates = pd.date_range("2025-04-01", periods=days, freq="D")
    rows = []
    for day in dates:
        mean = 30.0 * (1.4 if day.day_of_week == 0 else 1.0)
        rows.append((day.strftime("%Y-%m-%d"), facility, "ward", int(rng.poisson(mean))))
        rows.append((day.strftime("%Y-%m-%d"), facility, "icu", int(rng.poisson(2.0))))
    pd.DataFrame(rows, columns=["date", "facility", "need", "admissions"]).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_calibrate_writes_its_folder_and_run_takes_the_overlay(tmp_path: Path) -> None:
    history = _history(tmp_path / "admissions.csv", 42)
    out = tmp_path / "fit"
    argv = ["calibrate", "chile", *REGION, "--history", str(history), "--out", str(out)]
    assert main([*argv, "--until", "2025-05-10"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "fit.csv",
        "fit.md",
        "overlay.yaml",
        "residuals.png",
    ]
    overlay = yaml.safe_load((out / "overlay.yaml").read_text())["demand"]
    assert set(overlay) == {"region_factors", "weekly_profile", "trend_per_week"}
    assert overlay["weekly_profile"][0] == max(overlay["weekly_profile"])  # Mondays
    assert (out / "residuals.png").read_bytes()[:4] == b"\x89PNG"
    table = pd.read_csv(out / "fit.csv")
    assert {"level[CL-02]", "trend", "region_factor[CL-02]"} <= set(table["term"])
    assert "deviance" in (out / "fit.md").read_text()
    run = tmp_path / "run"
    flags = ["--overlay", str(out / "overlay.yaml"), "--days", "1", "--quiet", "--out", str(run)]
    assert main(["run", "chile", *REGION, *flags]) == 0
    used = json.loads((run / "manifest.json").read_text())["scenario"]["demand"]
    assert used["region_factors"] == overlay["region_factors"]
    assert used["trend_per_week"] == overlay["trend_per_week"]


@pytest.mark.slow
def test_calibrate_refuses_bad_input_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fit"
    base = ["calibrate", "chile", *REGION, "--out", str(out)]
    cases = [
        (_history(tmp_path / "other.csv", 30, "CL-H09999"), [], "'CL-H09999' is not a facility"),
        (_history(tmp_path / "short.csv", 10), [], "the fit needs at least 14"),
        (_history(tmp_path / "ok.csv", 30), ["--until", "2025-13-01"], "expected a date"),
        (tmp_path / "none.csv", [], "no such file"),
    ]
    for history, extra, message in cases:
        assert main([*base, "--history", str(history), *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
        assert not out.exists()
        assert not list(tmp_path.glob(".fit.*"))


def test_a_bad_overlay_is_named_with_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("demand: {trend_per_wek: 0.01}\n")
    out = tmp_path / "run"
    assert main(["run", "chile", "--overlay", str(overlay), "--days", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{overlay}: demand.trend_per_wek: unknown key" in err
    overlay.write_text("demand: {region_factors: {CL-02: -1}}\n")
    assert main(["run", "chile", "--overlay", str(overlay), "--days", "1", "--out", str(out)]) == 2
    assert f"{overlay}: demand.region_factors" in capsys.readouterr().err
    overlay.write_text("base: chile\n")
    assert main(["run", "chile", "--overlay", str(overlay), "--days", "1", "--out", str(out)]) == 2
    assert "an overlay changes a scenario and names no base" in capsys.readouterr().err
    assert not out.exists()


def test_ensemble_takes_overlays_in_order(tmp_path: Path) -> None:
    from regional.cli import build_parser
    from regional.ensembles.command import load_scenarios

    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("demand: {trend_per_week: 0.02, weekly_profile: [2, 1, 1, 1, 1, 1, 1]}\n")
    second.write_text("demand: {trend_per_week: 0.01}\n")
    argv = ["ensemble", "chile", "--replications", "2", "--overlay", str(first)]
    args = build_parser().parse_args([*argv, "--overlay", str(second), "--set", "days=3"])
    (loaded,) = load_scenarios(args)
    assert loaded.demand.trend_per_week == 0.01  # the later overlay wins
    assert loaded.demand.weekly_profile[0] == 2  # and keeps what it does not name
    assert loaded.days == 3  # --set applies after the overlays
