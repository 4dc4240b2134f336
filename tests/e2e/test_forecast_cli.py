"""``regional forecast`` and ``regional backtest`` through the command line on a hand-made
network from files: a run, its histories, a forecast from its last census and a back-test;
and every bad input one line, exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from regional.cli import main
from regional.forecast.quantiles import HUB_COLUMNS

# every hospital has ICU beds: `regional history` counts a patient waiting for an ICU bed at
# the hospital it arrived at, and a census cannot hold ICU boarders at a hospital without an ICU
FACILITIES = (
    "id;name;lon;lat;beds;icu\n"
    "H1;Hospital del Salvador;-70.6275;-33.4378;70;6\n"
    "H2;Hospital Van Buren;-71.6197;-33.0336;45;4\n"
    "H3;Hospital Regional;-73.0503;-36.8186;30;2\n"
)
PLACES = (
    "id,name,lon,lat,population\n"
    "13101,Santiago,-70.6483,-33.4569,60000\n"
    "5101,Valparaíso,-71.6127,-33.0472,38000\n"
    "8101,Concepción,-73.0498,-36.8270,25000\n"
)
SCENARIO = """base: chile
name: handmade
start: 2025-05-05T00:00:00Z
geography: {countries: [CL]}
capacity: {start: steady, extra_beds: []}
data:
  facilities: {path: facilities.csv, delimiter: ";", columns: {ward_beds: beds, icu_beds: icu}}
  places: {path: places.csv}
"""


def _files(where: Path) -> Path:
    (where / "facilities.csv").write_text(FACILITIES, encoding="utf-8")
    (where / "places.csv").write_text(PLACES, encoding="utf-8")
    (where / "handmade.yaml").write_text(SCENARIO, encoding="utf-8")
    return where / "handmade.yaml"


def _census(where: Path, codes: dict[str, int]) -> Path:
    rows = [
        {"facility": code, "time": "2025-05-19T00:00:00Z", "ward_occupied": n, "icu_occupied": 0}
        for code, n in codes.items()
    ]
    path = where / "census.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_a_run_its_histories_a_forecast_and_a_backtest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _files(tmp_path)
    run, hist = tmp_path / "run", tmp_path / "hist"
    assert main(["run", str(scenario), "--days", "18", "--out", str(run), "--quiet"]) == 0
    assert main(["history", str(run), "--out", str(hist)]) == 0
    censuses = pd.read_csv(hist / "censuses.csv")
    last = censuses[censuses["time"] == "2025-05-19T00:00:00Z"]
    last.to_csv(tmp_path / "census.csv", index=False)
    fc = tmp_path / "fc"
    args = ["forecast", str(scenario), "--census", str(tmp_path / "census.csv"), "--days", "3"]
    args += ["--history", str(hist / "admissions.csv"), "--replications", "3", "--out", str(fc)]
    assert main(args) == 0, capsys.readouterr().err
    hub = pq.read_table(fc / "forecast.parquet").to_pandas()
    assert tuple(hub.columns) == HUB_COLUMNS
    assert set(hub["output_type"]) == {"quantile", "mean", "pmf"}
    assert set(hub["location"]) >= set(last["facility"])
    assert (fc / "forecast.gpkg").stat().st_size > 0
    assert sorted(p.name for p in (fc / "charts").iterdir())[0].startswith("fan_")
    import pyogrio

    layers = [name for name, _ in pyogrio.list_layers(fc / "forecast.gpkg")]
    assert layers == ["horizon_1", "horizon_3"]

    bt = tmp_path / "bt"
    args = ["backtest", str(scenario), "--censuses", str(hist / "censuses.csv")]
    args += ["--history", str(hist / "admissions.csv"), "--dates", "2025-05-19", "--days", "3"]
    assert main([*args, "--replications", "3", "--out", str(bt)]) == 0, capsys.readouterr().err
    scores = pd.read_csv(bt / "scores.csv")
    assert set(scores["model"]) == {"twin", "persistence", "seasonal_naive"}
    assert set(scores["horizon"]) == {1, 2, 3}
    assert (scores["wis"] >= 0).all()
    assert "| horizon | WIS twin |" in (bt / "scores.md").read_text()
    assert (bt / "coverage.png").stat().st_size > 1000
    assert (bt / "censuses" / "census-2025-05-19.csv").is_file()


@pytest.mark.parametrize(
    ("census", "extra", "expected"),
    [
        ({"H1": 10}, ["--days", "0"], "--days: expected at least 1 day, got 0"),
        ({"H1": 10}, ["--replications", "1"], "--replications: expected at least 2"),
        ({"CL-H00001": 10}, [], "the census and the scenario are of different networks"),
        ({"H1": 10, "H9": 2}, [], "facility 'H9' is not a hospital of the network"),
        ({"H1": 10}, ["--at", "yesterday"], "--at: expected a time such as"),
        ({"H1": 10}, ["--out", "file.txt/fc"], "cannot be made there (a file is in its path)"),
        ({"H1": 10}, ["--out", "."], "--out .: already exists"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    census: dict[str, int],
    extra: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = _files(tmp_path)
    (tmp_path / "file.txt").write_text("")
    path = _census(tmp_path, census)
    before = sorted(p.name for p in tmp_path.iterdir())
    args = ["forecast", str(scenario), "--census", str(path), "--replications", "2"]
    out = [] if "--out" in extra else ["--out", "fc"]
    assert main([*args, *out, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_backtest_without_enough_history_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _files(tmp_path)
    rows = [
        {
            "facility": "H1",
            "time": f"2025-05-{d:02d}T00:00:00Z",
            "ward_occupied": 9,
            "icu_occupied": 0,
        }
        for d in range(5, 12)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "censuses.csv", index=False)
    (tmp_path / "admissions.csv").write_text(
        "date,facility,need,admissions\n2025-05-05,H1,ward,3\n"
    )
    args = ["backtest", str(scenario), "--censuses", str(tmp_path / "censuses.csv")]
    args += ["--history", str(tmp_path / "admissions.csv"), "--out", str(tmp_path / "bt")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs two weeks before its first reference date" in err[0], err
    assert not (tmp_path / "bt").exists()
