"""``regional ensemble`` through the command line: a paired comparison end to end, and every
bad input one line, exit 2 and nothing written (resuming: tests/regional/ensembles)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.test_cli import regional

WHAT_IF = """base: chile
name: chile-more-icu
capacity:
  extra_beds:
    - {facility: CL-H00003, icu_beds: 20, ventilators: 20}
"""
OTHER_NETWORK = """base: chile
name: chile-towns
geography:
  min_place_population: 200000
"""


@pytest.mark.slow
def test_a_paired_comparison_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "more-icu.yaml").write_text(WHAT_IF)
    args = ["ensemble", "chile", "--vs", "more-icu.yaml", "--days", "0.25", "--out", "ens"]
    done = regional(*args, "--replications", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Paired differences from chile" in done.stdout
    assert "Ensemble folder: ens" in done.stdout
    out = tmp_path / "ens"
    manifest = json.loads((out / "ensemble.json").read_text())
    assert manifest["scenarios"] == ["chile", "chile-more-icu"]
    assert manifest["replications"] == 2
    for chart in ("fan_chile.png", "fan_chile-more-icu.png", "comparison.png", "bottlenecks.png"):
        assert (out / "charts" / chart).stat().st_size > 1000
    key = pd.read_parquet(out / "key_results", partitioning=None)
    assert len(key) == 4
    # the what-if leaves the arriving episodes alone
    by = key.set_index(["scenario", "replication"])["patients"]
    assert by["chile"].tolist() == by["chile-more-icu"].tolist()
    # a second call with the same --out refuses to overwrite it
    again = regional(*args, "--replications", "3", cwd=tmp_path)
    assert again.returncode == 2 and "add --resume to finish" in again.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--replications", "0"], "--replications: expected at least 1 replication, got 0"),
        (["--replications", "2", "--vs", "nosuch"], "--vs nosuch: not a built-in scenario"),
        (["--replications", "2", "--precision", "1.5"], "--precision: expected a share"),
        (["--replications", "2", "--precision", "0"], "--precision: expected a share"),
        (["--replications", "2", "--precision", "tight"], "expected a share such as 0.05"),
        (
            ["--replications", "5", "--precision", "0.1", "--max-replications", "2"],
            "--max-replications: 2 is fewer than --replications 5",
        ),
        (["--replications", "2", "--resume"], "--resume needs the --out"),
        (["--replications", "2", "--vs", "chile"], "'chile' is given twice"),
        (["--replications", "2", "--vs", "chile.yaml"], "its days (3.0) differs"),
        ([], "the following arguments are required: --replications"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    (tmp_path / "chile.yaml").write_text("base: chile\nname: chile-3d\ndays: 3\n")
    done = regional("ensemble", "chile", *args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_scenarios_on_different_networks_are_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    (tmp_path / "towns.yaml").write_text(OTHER_NETWORK)
    done = regional(
        "ensemble",
        "chile",
        "--vs",
        "towns.yaml",
        "--replications",
        "2",
        "--days",
        "1",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "'chile-towns': its network has" in lines[0]
    assert "a paired comparison needs the same network" in lines[0]
    assert not (tmp_path / "runs").exists()
