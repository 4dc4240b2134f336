"""Ensembles on Ray: the same dataset as serially, with each network put in the object store
once and a failing replication reported by name."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from regional.ensembles import dataset, run_ensemble
from tests.regional.ensembles.small import small_pair


@pytest.mark.slow
def test_ray_tasks_give_the_serial_dataset(tmp_path: Path, ray_local: None) -> None:
    scenarios, networks = small_pair(days=2)
    serial = run_ensemble(scenarios, 3, tmp_path / "serial", networks=networks, charts=False)
    on_ray = run_ensemble(
        scenarios, 3, tmp_path / "ray", workers=2, networks=networks, charts=False
    )
    for name in dataset.TABLES:
        pd.testing.assert_frame_equal(serial.tables[name], on_ray.tables[name])
    pd.testing.assert_frame_equal(serial.summary, on_ray.summary)
    pd.testing.assert_frame_equal(serial.comparison, on_ray.comparison)
    manifest = json.loads((tmp_path / "ray" / "ensemble.json").read_text())
    assert manifest["backend"] == "ray" and manifest["workers"] == 2
    assert manifest["seeds"] == serial.manifest["seeds"]


@pytest.mark.slow
def test_a_replication_failing_on_ray_is_reported_by_name(tmp_path: Path, ray_local: None) -> None:
    scenarios, networks = small_pair(days=1)
    # a network that lost a column fails in the task, twice, not before
    what_if = networks["more-icu"]
    networks["more-icu"] = dataclasses.replace(
        what_if, facilities=what_if.facilities.drop(columns=["tier"])
    )
    result = run_ensemble(
        scenarios,
        1,
        tmp_path / "out",
        workers=2,
        networks=networks,
        charts=False,
    )
    assert [f.cell.label for f in result.failures] == ["more-icu r0"]
    assert result.failures[0].error == "KeyError: 'tier'"
    assert result.tables["key_results"]["scenario"].tolist() == ["base"]
