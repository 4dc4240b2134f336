"""``regional validate`` through the command line: its files, its table, its mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from regional.cli import main
from regional.validation.targets import targets_for


def test_an_unknown_country_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v"
    assert main(["validate", "AR", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown country 'AR'" in err[0] and "CL, BR, MX" in err[0]
    assert not out.exists()


def test_an_existing_out_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "CL", "--out", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_a_built_in_without_targets_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "latam"]) == 2
    assert "without published targets" in capsys.readouterr().err


@pytest.mark.slow
def test_chile_writes_every_target_with_its_verdict(tmp_path: Path) -> None:
    out = tmp_path / "validation"
    page = tmp_path / "docs" / "validation.md"
    argv = ["validate", "chile", "--warmup-days", "1", "--measured-days", "1"]
    assert main([*argv, "--out", str(out), "--markdown", str(page)]) == 0
    frame = pd.read_csv(out / "validation.csv")
    assert list(frame["key"]) == [t.key for t in targets_for("CL")]
    assert set(frame["verdict"]) <= {"within band", "outside band", "context", "not simulated"}
    # inputs come back as set: the run carries the national bed rate through
    beds = frame.set_index("key").loc["beds_per_1000"]
    assert beds["twin"] == pytest.approx(beds["published"], rel=0.02)
    meta = json.loads((out / "validation.json").read_text())
    assert [r["season"] for r in meta["countries"][0]["runs"]] == ["mean", "peak"]
    text = page.read_text()
    assert "regional validate chile --warmup-days 1 --measured-days 1" in text
    assert text.count("\n| ") == len(frame) + 1  # a header and one row per target


def test_an_output_folder_that_cannot_be_written_is_said_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["validate", "CL", "--markdown", str(blocker / "docs" / "v.md")]) == 2
    err = capsys.readouterr().err
    assert "--markdown: cannot write in" in err and "running" not in err


def test_a_bad_setting_is_said_before_any_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "CL", "BR", "--set", "capacity.nope=1"]) == 2
    err = capsys.readouterr().err
    assert "capacity.nope" in err and "running" not in err


def test_a_scenario_file_of_another_country_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ar.yaml"
    path.write_text("base: chile\ngeography: {countries: [AR]}\n")
    assert main(["validate", str(path)]) == 2
    assert "geography.countries is ['AR']" in capsys.readouterr().err
