"""Pictures of a run: two PNGs that a person can look at."""

from __future__ import annotations

from pathlib import Path

import pytest

import regional
from geodata.export import ExportError
from geodata.plot import plot_run
from tests.e2e.test_cli import regional as regional_cli

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_plot_writes_a_map_and_occupancy_curves(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    regional.run("chile", out=run_dir, days=2, seed=2)
    paths = plot_run(run_dir)
    assert [p.name for p in paths] == ["network_map.png", "occupancy.png"]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 50_000
    done = regional_cli("plot", str(run_dir), "--out", "pictures", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "pictures" / "occupancy.png").is_file()


def test_plot_of_an_incomplete_run_is_refused(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    with pytest.raises(ExportError, match=r"facilities\.parquet is missing"):
        plot_run(tmp_path / "half")
    done = regional_cli("plot", str(tmp_path / "half"), cwd=tmp_path)
    assert done.returncode == 2 and "is missing" in done.stderr
    assert not (tmp_path / "half" / "plots").exists()


@pytest.mark.slow
def test_plot_of_an_ensemble_draws_its_bands(tmp_path: Path) -> None:
    from regional.ensembles import run_ensemble
    from tests.regional.ensembles.small import small_pair

    scenarios, networks = small_pair(days=2)
    out = tmp_path / "ensemble"
    run_ensemble(scenarios, 2, out, networks=networks, charts=False)
    done = regional_cli("plot", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "plots" / "fan_base.png").read_bytes().startswith(PNG)
