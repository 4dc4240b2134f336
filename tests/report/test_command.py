"""``regional report`` end to end: the page it writes and the inputs it refuses."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from regional.cli import main
from tests.report.conftest import facilities

pytestmark = pytest.mark.slow


def test_a_run_report_is_one_offline_file_in_the_language_asked(
    run_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pt.html"
    assert main(["report", str(run_dir), "--lang", "pt", "--out", str(out)]) == 0
    page = out.read_text()
    assert "Relatório da rede: small" in page
    assert "Resultados principais" in page and "Hospitais gargalo" in page
    assert re.search(r"\d,\d%", page)  # a decimal comma
    assert "Valparaíso" in page  # the small network's region CL-01, by its name
    # nothing to fetch: plotly.js is inlined in the head, and outside it no script, style
    # sheet or image has a source address
    head, _, rest = page.partition("</head>")
    assert len(head) > 3_000_000  # plotly.js
    assert not re.search(r"<(script|link|img)[^>]*(src|href)=", rest)
    assert "http" not in rest.replace("http://www.w3.org", "")


def test_the_default_report_sits_in_the_run_directory(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    assert main(["report", str(copy), "--lang", "en", "--key", "waiting"]) == 0
    assert "Network report" in (copy / "report.html").read_text()


def test_an_ensemble_report_has_intervals_and_ranking_probabilities(
    ensemble_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ens.html"
    assert main(["report", str(ensemble_dir), "--lang", "en", "--out", str(out)]) == 0
    page = out.read_text()
    assert "Ensemble of 3 replications" in page
    assert "95% CI:" in page and "Probability: hours with staffed ICU full" in page


def test_vs_compares_two_runs_of_the_same_network(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "vs.html"
    assert (
        main(["report", str(run_dir), "--vs", str(run_dir), "--lang", "en", "--out", str(out)]) == 0
    )
    page = out.read_text()
    assert "Comparison" in page and "<table id='comparison'>" in page


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], out: Path) -> str:
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*"))  # no half-written file
    return err


def test_bad_inputs_get_one_line_exit_2_and_nothing_written(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "neither a run directory" in _refused(["report", str(empty)], capsys, out)
    assert "not a directory" in _refused(["report", str(tmp_path / "nope")], capsys, out)
    assert "--lang fr: unknown language" in _refused(
        ["report", str(run_dir), "--lang", "fr"], capsys, out
    )
    assert "--key beds: unknown key result" in _refused(
        ["report", str(run_dir), "--key", "beds"], capsys, out
    )
    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    f = facilities(other)
    f["code"] = "X-" + f["code"].astype(str)
    f.to_parquet(other / "facilities.parquet")
    assert "ran on another network" in _refused(
        ["report", str(run_dir), "--vs", str(other)], capsys, out
    )
    assert "--vs" in _refused(["report", str(run_dir), "--vs", str(empty)], capsys, out)


def test_a_damaged_table_is_named(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "timeseries.parquet").write_bytes(b"not parquet")
    err = _refused(["report", str(broken)], capsys, tmp_path / "r.html")
    assert "timeseries.parquet: unreadable" in err


def test_the_map_counts_every_facility_of_the_run(run_dir: Path) -> None:
    from geodata.borders import region_borders
    from regional.report.figures import network_map
    from regional.report.i18n import Language
    from regional.report.load import read_source

    source = read_source(run_dir)
    points = pd.concat([source.facilities, source.places])[["region", "lon", "lat"]]
    fig, info = network_map(source, region_borders(points), "icu_hours_95", Language("es"))
    f = facilities(run_dir)
    assert info["hospitals"] == int((f["kind"] == "hospital").sum()) == 3
    assert info["coloured"] == int(((f["kind"] == "hospital") & (f["icu_staffed"] > 0)).sum())
    assert info["clinics"] == 1
    assert info["days"] == 3 and len(fig.frames) == 3
    # a day's hours at 95% of staffed ICU or more lie between 0 and 24, and sum to the run's
    daily = source.daily
    assert daily is not None
    assert daily["icu_hours_95"].between(0, 24).all()
    total = source.facilities.set_index("facility_id")["hours_at_95_icu"]
    assert daily.groupby("facility_id")["icu_hours_95"].sum().sum() == pytest.approx(total.sum())
