"""End-to-end runs through the command line, good and bad."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]


def regional(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m regional`` from this checkout, in ``env`` (default: this process's)."""
    env = {**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "regional", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_default_scenario_runs_end_to_end(tmp_path: Path) -> None:
    done = regional("run", "--days", "3", "--seed", "11", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("chile-")
    assert f"Run directory: {Path('runs') / runs[0].name}" in done.stdout
    out = runs[0]
    manifest = json.loads((out / "manifest.json").read_text())
    for key in (
        "scenario",
        "seed",
        "shards",
        "workers",
        "versions",
        "wall_seconds",
        "cpu_seconds",
        "episodes",
        "episodes_per_cpu_second",
    ):
        assert key in manifest
    assert manifest["seed"] == 11
    summary = json.loads((out / "summary.json").read_text())
    assert summary["patients"] > 1000
    columns = {
        "facilities": {
            "facility_id",
            "name",
            "kind",
            "lon",
            "lat",
            "region",
            "ward_beds",
            "icu_beds",
            "ventilators",
        },
        "timeseries": {
            "facility_id",
            "time",
            "ward_beds",
            "ward_occupied",
            "icu_beds",
            "icu_occupied",
            "ventilators",
            "ventilators_in_use",
            "waiting",
        },
        "patients": {
            "patient_id",
            "origin_place",
            "first_facility",
            "final_facility",
            "condition",
            "acuity",
            "onset_time",
            "arrival_time",
            "end_time",
            "outcome",
            "n_transfers",
            "teleconsulted",
        },
        "transfers": {
            "patient_id",
            "from_facility",
            "to_facility",
            "depart_time",
            "arrive_time",
            "reason",
        },
        "referrals": {"patient_id", "clinic", "hub", "request_time", "answer_time", "decision"},
    }
    for name, expected in columns.items():
        schema = pq.read_schema(out / f"{name}.parquet")
        assert expected <= set(schema.names), f"{name}: {expected - set(schema.names)}"
    assert (
        str(pq.read_schema(out / "patients.parquet").field("end_time").type)
        == "timestamp[ms, tz=UTC]"
    )


def test_scenarios_lists_builtins(tmp_path: Path) -> None:
    done = regional("scenarios", cwd=tmp_path)
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == ["brazil", "chile", "latam", "manaus", "mexico"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "atlantis"], "not a built-in scenario or a file"),
        (["run", "missing.yaml"], "file not found"),
        (["run", "--days", "zero"], "expected a number of days"),
        (["run", "--days", "-1"], "expected more than 0 days"),
        (["run", "--shards", "0"], "expected a number of at least 1"),
        (["run", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["run", "--set", "capacity.absentism=0.2"], "unknown key; valid keys here"),
        (["run", "--set", "capacity.absenteeism=2"], "capacity.absenteeism"),
        (["run", "--set", "staffing.night_share=1.5"], "staffing.night_share"),
        (["run", "--set", "staffing.weekend_share=-0.1"], "staffing.weekend_share"),
        (["run", "--set", "staffing.staff_per_post=-5"], "staffing.staff_per_post"),
        (
            ["run", "--set", "capacity.crisis_icu_patients_per_nurse=1.5"],
            "capacity.crisis_icu_patients_per_nurse: below contingency_icu_patients_per_nurse",
        ),
        (
            ["run", "--set", "capacity.contingency_ward_patients_per_nurse=5"],
            "capacity.contingency_ward_patients_per_nurse: below ward_patients_per_nurse",
        ),
        (["run", "--set", "noequals"], "expected KEY=VALUE"),
        (["explode"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_run_directory(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    done = regional(*args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("base: chile\ndays: [\n", "fix the YAML syntax"),
        ("", "the file is empty"),
        ("base: chile\ncapacity:\n  beds: 3\n", "capacity.beds: unknown key"),
        ("base: chile\nshards: many\n", "shards: Input should be a valid integer"),
    ],
)
def test_bad_scenario_files(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "s.yaml").write_text(text)
    done = regional("run", "s.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert expected in done.stderr and "s.yaml" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_existing_out_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = regional("run", "--days", "1", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2
    assert "already exists" in done.stderr
    assert (out / "keep.txt").read_text() == "mine"


@pytest.mark.slow
def test_same_seed_same_tables_across_processes(tmp_path: Path) -> None:
    # different hash seeds: nothing may depend on the order of sets or string hashes
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
        out = tmp_path / f"run-{hash_seed}"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "regional",
                "run",
                "chile",
                "--days",
                "2",
                "--seed",
                "8",
                "--shards",
                "3",
                "--quiet",
                "--out",
                str(out),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        outs.append(out)
    for name in ("patients", "transfers", "referrals", "timeseries", "facilities", "places"):
        assert pq.read_table(outs[0] / f"{name}.parquet").equals(
            pq.read_table(outs[1] / f"{name}.parquet")
        ), name
