"""A small run and a small ensemble (the ensembles' test network) for the report's tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regional.ensembles import run_ensemble
from regional.runner import run_scenario
from tests.regional.ensembles.small import small_network, small_pair, small_scenario


@pytest.fixture(scope="package")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-day run of the small network: two ICU hospitals, a ward-only one, a rural post."""
    scn = small_scenario("small", days=3)
    out = tmp_path_factory.mktemp("run") / "small"
    return run_scenario(scn, network=small_network(scn)).write(out)


@pytest.fixture(scope="package")
def ensemble_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three replications of the small network's base and its more-ICU what-if."""
    scenarios, networks = small_pair(days=3)
    out = tmp_path_factory.mktemp("ensemble") / "out"
    run_ensemble(scenarios, 3, out, networks=networks, charts=False)
    return out


def facilities(run: Path) -> pd.DataFrame:
    return pd.read_parquet(run / "facilities.parquet")
