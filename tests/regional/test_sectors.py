"""Health-system sectors: their shares add up, a scenario's sectors hold their own beds and
their own people's admissions, and a sector a country lacks is one clear line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from geodata.sectors import COUNTRY_SECTORS, sector_mix
from regional.network import build_network, facility_rules, sectors_of
from regional.scenario import ScenarioError, load_scenario
from tests.e2e.test_cli import regional


@pytest.mark.parametrize("country", sorted(COUNTRY_SECTORS))
def test_a_country_s_sectors_make_its_whole_system(country: str) -> None:
    whole = sector_mix(country, COUNTRY_SECTORS[country])
    assert whole.bed_share == pytest.approx(1.0, abs=1e-3)
    assert whole.icu_share == pytest.approx(1.0, abs=1e-3)
    assert whole.population_share == pytest.approx(1.0, abs=1e-3)
    for sector in COUNTRY_SECTORS[country].values():
        assert sector.source


def test_brazil_sus_is_the_published_sus() -> None:
    sus = sector_mix("BR", ["sus"])
    # not held out (the sector's rate was derived from it): per 1,000 of all Brazilians the
    # SUS people's admissions come back to the published 56 (11.6M SUS admissions, LATAM.md)
    assert sus.admissions_per_1000_people_year == pytest.approx(56.0, abs=0.5)
    # CFM: 10.4 SUS ICU beds per 100k SUS people (LATAM.md) against CNES's SUS ICU beds
    # for those people, 21.3 x 0.497 / 0.713 = 14.8: the two sources disagree by 40%
    # (CNES counts neonatal and other units), which the check below bounds
    per_covered = 21.3 * sus.icu_share / sus.population_share
    assert 10.4 <= per_covered <= 10.4 * 1.5
    with pytest.raises(KeyError, match="'fonasa' is not a sector of BR; its sectors are sus"):
        sector_mix("BR", ["fonasa"])
    with pytest.raises(KeyError, match="AR has no sector table"):
        sector_mix("AR", ["public"])


def _chile(**sectors: list[str]) -> object:
    geography = {"countries": ["CL"], **({"sectors": sectors} if sectors else {})}
    return load_scenario({"name": "t", "start": "2025-06-01T00:00:00Z", "geography": geography})


def test_sectors_scale_capacity_and_keep_the_rest() -> None:
    whole = facility_rules(_chile(), "CL")  # type: ignore[arg-type]
    public = facility_rules(_chile(CL=["fonasa"]), "CL")  # type: ignore[arg-type]
    both = facility_rules(_chile(CL=["fonasa", "private"]), "CL")  # type: ignore[arg-type]
    assert public.beds_per_1000 == pytest.approx(whole.beds_per_1000 * 0.70)
    assert public.icu_beds_per_100k == pytest.approx(whole.icu_beds_per_100k * 0.70)
    assert public.intermediate_beds_per_100k == pytest.approx(
        whole.intermediate_beds_per_100k * 0.70
    )
    assert public.rural_posts_per_100k == whole.rural_posts_per_100k
    assert both.beds_per_1000 == pytest.approx(whole.beds_per_1000)


def test_a_public_network_holds_public_beds_for_public_people() -> None:
    whole = build_network(_chile())  # type: ignore[arg-type]
    public = build_network(_chile(CL=["fonasa"]))  # type: ignore[arg-type]

    def beds(network: object) -> int:
        f: pd.DataFrame = network.facilities  # type: ignore[attr-defined]
        return int((f["ward_beds"] + f["icu_beds"] + f["intermediate_beds"]).sum())

    def admissions(network: object) -> float:
        d: pd.DataFrame = network.demand  # type: ignore[attr-defined]
        return float((d["population"] * d["hospital_rate_per_1000_year"]).sum())

    assert beds(public) / beds(whole) == pytest.approx(0.70, abs=0.005)
    assert admissions(public) / admissions(whole) == pytest.approx(0.78, abs=0.005)
    assert "sectors CL" in public.filled
    # the same places, the same posts
    assert (public.facilities["kind"] == "clinic").sum() == (
        whole.facilities["kind"] == "clinic"
    ).sum()


def test_a_sector_the_country_lacks_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"geography.sectors.CL: 'sus' is not a sector of CL"):
        sectors_of(_chile(CL=["sus"]), "CL")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"geography.sectors: 'BR' is not one of"):
        sectors_of(_chile(BR=["sus"]), "CL")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match=r"geography.sectors.CL: the list is empty"):
        sectors_of(_chile(CL=[]), "CL")  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_command_line_refuses_a_sector_the_country_lacks(tmp_path: Path) -> None:
    done: subprocess.CompletedProcess[str] = regional(
        "run",
        "chile",
        "--days",
        "1",
        "--set",
        "geography.sectors={CL: [sus]}",
        "--out",
        "out",
        cwd=tmp_path,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "geography.sectors.CL: 'sus' is not a sector of CL; its sectors are fonasa" in lines[0]
    assert not (tmp_path / "out").exists()
    assert not any(tmp_path.iterdir())
