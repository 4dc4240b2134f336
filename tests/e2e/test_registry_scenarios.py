"""The example scenarios built from national registry files, run through the command line.

Every expectation is derived from the source files here with pandas, independently of the
loaders: which rows have coordinates, which beds the file gives, which people each place has.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.facilities import COUNTRY_RULES
from tests.e2e.test_cli import ROOT
from tests.e2e.test_cli import regional as regional_cli

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples"
VARIABLE = "REGIONAL_SHARED_DATA"


def regional(*args: str, cwd: Path, shared: Path | None) -> subprocess.CompletedProcess[str]:
    """``python -m regional`` with ``$REGIONAL_SHARED_DATA`` set to ``shared`` (unset if None)."""
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    if shared is not None:
        env[VARIABLE] = str(shared)
    return regional_cli(*args, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def finished_runs() -> dict[str, Path]:
    """Run directories by example name, each example run once for the whole module."""
    return {}


@pytest.fixture
def run_example(
    shared_data: Path, finished_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """Run an example scenario for one day (once per module) and return its run directory."""

    def run(name: str) -> Path:
        if name not in finished_runs:
            out = tmp_path_factory.mktemp(name) / "run"
            done = regional(
                "run",
                str(EXAMPLES / f"{name}.yaml"),
                "--days",
                "1",
                "--seed",
                "5",
                "--quiet",
                "--out",
                str(out),
                cwd=out.parent,
                shared=shared_data,
            )
            assert done.returncode == 0, done.stderr
            finished_runs[name] = out
        return finished_runs[name]

    return run


def _table(run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(run / f"{name}.parquet")


def _filled(run: Path) -> dict[str, str]:
    filled: dict[str, str] = json.loads((run / "manifest.json").read_text())["filled"]
    return filled


def _skipped(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / "skipped_rows.csv")


def _assert_skipped_rows_match_the_manifest(run: Path) -> pd.DataFrame:
    skipped = _skipped(run)
    assert _filled(run)["skipped_rows"] == f"{len(skipped)} (see skipped_rows.csv)"
    assert skipped["row"].dtype.kind == "i"
    return skipped


def _populations(run: Path) -> dict[str, int]:
    places = _table(run, "places")
    assert not places["name"].duplicated().any()
    return {str(k): int(v) for k, v in zip(places["name"], places["population"], strict=True)}


def _hubs_by_region(facilities: pd.DataFrame) -> dict[str, int]:
    hubs = facilities[facilities["is_hub"]]
    assert set(hubs["kind"]) == {"hospital"}
    return {str(k): int(v) for k, v in hubs.groupby("region").size().items()}


@pytest.mark.parametrize("name", ["bahia-icu", "cdmx-clues", "chile-deis"])
def test_patients_are_simulated_and_conserved(
    run_example: Callable[[str], Path], name: str
) -> None:
    run = run_example(name)
    summary = json.loads((run / "summary.json").read_text())
    patients = _table(run, "patients")
    assert summary["patients"] > 100  # episodes of one day, besides the census at the start
    assert len(patients) >= summary["patients"]
    assert patients["outcome"].notna().all()
    in_system = (patients["outcome"] == "in_system").to_numpy()
    assert np.array_equal(in_system, patients["end_time"].isna().to_numpy())
    assert int(in_system.sum()) == summary["in_system"]
    ids = set(_table(run, "facilities")["facility_id"])
    assert set(patients["first_facility"]) <= ids and set(patients["final_facility"]) <= ids


# ---- Bahia: hospitals with ICU beds (CNES), three monthly snapshots -------------------------


def test_bahia_hospitals_are_the_cnes_codes_with_coordinates(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    source = pd.read_csv(shared_data / "brazil" / "br_ba_hospitals_icu_coords_2025.csv", dtype=str)
    with_coordinates = source.dropna(subset=["latitude", "longitude"])["CNES"].unique()
    assert source["CNES"].nunique() == 129 and len(with_coordinates) == 127

    facilities = _table(run_example("bahia-icu"), "facilities")
    assert sorted(facilities["code"]) == sorted(with_coordinates)
    assert set(facilities["kind"]) == {"hospital"}
    assert _hubs_by_region(facilities) == {"BR-00": 1}  # the places have no region


def test_bahia_beds_are_those_of_the_latest_snapshot(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    source = pd.read_csv(shared_data / "brazil" / "br_ba_hospitals_icu_coords_2025.csv", dtype=str)
    latest = source.sort_values("COMP", kind="stable").drop_duplicates("CNES", keep="last")
    latest = latest.set_index("CNES")
    facilities = _table(run_example("bahia-icu"), "facilities").set_index("code")
    given = latest.loc[facilities.index]
    # CNES counts ICU beds among the existing beds: the ward has the rest
    total = given["LEITOS_EXISTENTES"].astype(int) - given["UTI_TOTAL_EXIST"].astype(int)
    assert facilities["ward_beds"].tolist() == total.clip(lower=0).tolist()
    assert facilities["icu_beds"].tolist() == given["UTI_TOTAL_EXIST"].astype(int).tolist()
    assert int(facilities["icu_beds"].sum()) > 1000  # a real state, not a fill


def test_bahia_places_have_the_2019_populations(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    municipalities = gpd.read_file(shared_data / "brazil" / "br_ba_municipios.geojson")
    people = pd.read_csv(
        shared_data / "brazil" / "br_municipios_health_resources_datasus.csv", dtype=str
    )
    population = dict(zip(people["Código Municipal"], people["População"].astype(int), strict=True))
    expected = {
        str(name): population[str(code)[:6]]
        for name, code in zip(municipalities["name"], municipalities["id"], strict=True)
    }
    assert len(expected) == 417
    assert _populations(run_example("bahia-icu")) == expected


def test_bahia_manifest_and_skipped_rows(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    run = run_example("bahia-icu")
    filled = _filled(run)
    assert filled["kind"] == "every one of 127 facilities taken as a hospital"
    assert "ward_beds" not in filled and "icu_beds" not in filled  # the file gives them
    assert filled["ward_beds_from_total"] == "127 hospitals: total beds less ICU beds"
    skipped = _assert_skipped_rows_match_the_manifest(run)
    source = pd.read_csv(shared_data / "brazil" / "br_ba_hospitals_icu_coords_2025.csv", dtype=str)
    # the two CNES codes that never have coordinates, as their last snapshot's file rows
    # (row 1 is the header)
    assert sorted(source["CNES"].iloc[skipped["row"] - 2]) == ["2470667", "6558143"]
    assert set(skipped["column"]) == {"lon"}


# ---- Mexico City: CLUES hospitals, CONAPO populations ----------------------------------------


def _clues(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "mexico" / "mx_cdmx_hospitals_clues.csv", dtype=str)


def _valid_cdmx_coordinates(clues: pd.DataFrame) -> pd.Series:
    lon = pd.to_numeric(clues["LONGITUD"], errors="coerce")
    lat = pd.to_numeric(clues["LATITUD"], errors="coerce")
    return lon.between(-99.5, -98.8) & lat.between(19.0, 19.7)


def test_cdmx_hospitals_are_the_rows_with_valid_coordinates(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    clues = _clues(shared_data)
    valid = _valid_cdmx_coordinates(clues)
    assert len(clues) == 556 and int(valid.sum()) == 553
    facilities = _table(run_example("cdmx-clues"), "facilities")
    assert sorted(facilities["code"]) == sorted(clues.loc[valid, "CLUES"])
    assert _hubs_by_region(facilities) == {"MX-09": 1}


def test_cdmx_keeps_the_catalogue_beds_and_fills_only_icu(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    clues = _clues(shared_data).set_index("CLUES")
    run = run_example("cdmx-clues")
    facilities = _table(run, "facilities").set_index("code")
    given = clues.loc[facilities.index, "CAMAS EN AREA DE HOS"].astype(int)
    # every hospital keeps its hospitalisation beds, also the 2 with none and those under 10
    assert facilities["ward_beds"].tolist() == given.tolist()
    people = int(_table(run, "places")["population"].sum())
    # MX per 100,000, all sectors (CLUES lists public and private units): 1.9 public / 0.747
    assert int(facilities["icu_beds"].sum()) == round(people * 2.54 / 1e5)
    filled = _filled(run)
    assert filled["icu_beds"] == "553 hospitals, from 2.54 ICU beds per 100,000"
    assert "ward_beds" not in filled


def test_cdmx_places_have_the_conapo_2025_populations(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    centroids = pd.read_csv(shared_data / "mexico" / "mx_municipios_centroids.csv", dtype=str)
    conapo = pd.read_csv(shared_data / "mexico" / "mx_municipios_poblacion_conapo.csv", dtype=str)
    alcaldias = centroids[centroids["CVE_ENT"] == "09"].merge(
        conapo, left_on="concat", right_on="CVE"
    )
    expected = dict(zip(alcaldias["NOM_MUN"], alcaldias["2025"].astype(int), strict=True))
    assert len(expected) == 16
    assert _populations(run_example("cdmx-clues")) == expected


def test_cdmx_skips_the_three_malformed_coordinates(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    skipped = _assert_skipped_rows_match_the_manifest(run_example("cdmx-clues"))
    clues = _clues(shared_data)
    assert sorted(clues["CLUES"].iloc[skipped["row"] - 2]) == [
        "DFSMP000155",
        "DFSMP000184",
        "DFSSA017886",
    ]
    assert set(skipped["file"]) == {str(shared_data / "mexico" / "mx_cdmx_hospitals_clues.csv")}


# ---- Chile: DEIS hospitals and rural posts, INE populations ---------------------------------

CHILE_TYPES = {"Hospital": "hospital", "Posta de Salud Rural (PSR)": "clinic"}
CHILE_TIERS = {
    "Alta Complejidad": "tertiary",
    "Mediana Complejidad": "regional",
    "Baja Complejidad": "general",
}


def _deis(shared_data: Path) -> pd.DataFrame:
    deis = pd.read_csv(
        shared_data / "chile" / "cl_establecimientos_deis_20260310.csv", sep=";", dtype=str
    )
    return deis[deis["TipoEstablecimientoGlosa"].isin(list(CHILE_TYPES))]


def test_chile_facilities_are_the_hospitals_and_rural_posts_with_coordinates(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    deis = _deis(shared_data).dropna(subset=["Latitud", "Longitud"])
    facilities = _table(run_example("chile-deis"), "facilities")
    assert sorted(facilities["code"]) == sorted(deis["EstablecimientoCodigo"])
    expected_kinds = deis["TipoEstablecimientoGlosa"].map(CHILE_TYPES).value_counts().to_dict()
    assert expected_kinds == {"clinic": 1114, "hospital": 229}
    assert facilities["kind"].value_counts().to_dict() == expected_kinds
    # hospitals first
    assert (facilities["kind"] == "hospital").tolist() == [True] * 229 + [False] * 1114
    assert facilities["facility_id"].tolist() == list(range(1343))


def test_chile_tiers_come_from_the_complexity_level(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    deis = _deis(shared_data).dropna(subset=["Latitud", "Longitud"])
    level = deis.set_index("EstablecimientoCodigo")["NivelComplejidadEstabGlosa"]
    facilities = _table(run_example("chile-deis"), "facilities").set_index("code")
    hospitals = facilities[facilities["kind"] == "hospital"]
    # levels outside the mapping (Pendiente, blank) make general hospitals
    expected = level.loc[hospitals.index].map(CHILE_TIERS).fillna("general")
    assert hospitals["tier"].tolist() == expected.tolist()
    assert hospitals["tier"].value_counts().to_dict() == {
        "general": int((expected == "general").sum()),
        "tertiary": int((expected == "tertiary").sum()),
        "regional": int((expected == "regional").sum()),
    }
    assert set(facilities.loc[facilities["kind"] == "clinic", "tier"]) == {"clinic"}


def test_chile_beds_come_from_national_figures(run_example: Callable[[str], Path]) -> None:
    run = run_example("chile-deis")
    facilities = _table(run, "facilities")
    people = int(_table(run, "places")["population"].sum())
    hospitals = facilities[facilities["kind"] == "hospital"]
    clinics = facilities[facilities["kind"] == "clinic"]
    cl = COUNTRY_RULES["CL"]
    assert int(hospitals["icu_beds"].sum()) == round(people * cl.icu_beds_per_100k / 1e5)
    middle = round(people * cl.intermediate_beds_per_100k / 1e5)
    assert int(hospitals["intermediate_beds"].sum()) == middle  # carved from the wards
    beds = int((hospitals["ward_beds"] + hospitals["icu_beds"]).sum()) + middle
    assert beds == pytest.approx(people * 1.9 / 1000, rel=0.05)  # CL beds per 1,000
    assert (hospitals["ward_beds"] >= 10).all()
    assert (clinics[["ward_beds", "icu_beds", "ventilators"]] == 0).all().all()
    filled = _filled(run)
    assert filled["ward_beds"] == "229 of 229 hospitals, from 1.9 beds per 1,000 by tier"
    assert filled["icu_beds"] == f"229 hospitals, from {cl.icu_beds_per_100k} ICU beds per 100,000"
    assert filled["tier"] == "from the complexity level for 1343 facilities"


def test_chile_one_hub_per_region_and_every_post_linked(
    run_example: Callable[[str], Path],
) -> None:
    facilities = _table(run_example("chile-deis"), "facilities")
    hospital_regions = set(facilities.loc[facilities["kind"] == "hospital", "region"])
    assert _hubs_by_region(facilities) == dict.fromkeys(hospital_regions, 1)
    assert len(hospital_regions) == 16
    hubs = set(facilities.loc[facilities["is_hub"], "facility_id"])
    clinics = facilities[facilities["kind"] == "clinic"]
    assert set(clinics["hub_id"]) <= hubs


def test_chile_places_have_the_ine_populations(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    comunas = gpd.read_file(shared_data / "chile" / "cl_comunas.geojson")
    people = pd.read_csv(shared_data / "chile" / "cl_comunas_poblacion.csv", dtype=str).dropna()
    population = dict(
        zip(people["Codigo comuna"], people["Poblacion"].astype(float).astype(int), strict=True)
    )
    expected = {
        str(name): population[str(code)]
        for name, code in zip(comunas["Comuna"], comunas["cod_comuna"], strict=True)
        if str(code) in population
    }
    assert len(expected) == 345  # "Zona sin demarcar" has no people
    run = run_example("chile-deis")
    assert _populations(run) == expected
    assert _filled(run)["population"].startswith("1 of 346 places have no match")


def test_chile_skipped_rows_are_those_without_coordinates(
    run_example: Callable[[str], Path], shared_data: Path
) -> None:
    skipped = _assert_skipped_rows_match_the_manifest(run_example("chile-deis"))
    deis = _deis(shared_data)
    assert len(skipped) == int(deis["Latitud"].isna().sum()) == 27
    rows = pd.read_csv(
        shared_data / "chile" / "cl_establecimientos_deis_20260310.csv", sep=";", dtype=str
    ).iloc[skipped["row"] - 2]
    assert rows["Latitud"].isna().all()
    assert set(rows["TipoEstablecimientoGlosa"]) <= set(CHILE_TYPES)


# ---- Bad input: one line on stderr, exit code 2, no run directory -------------------------

COMUNAS = "$REGIONAL_SHARED_DATA/chile/cl_comunas.geojson"
DEIS = "$REGIONAL_SHARED_DATA/chile/cl_establecimientos_deis_20260310.csv"
DEIS_COLUMNS = "{id: EstablecimientoCodigo, lon: Longitud, lat: Latitud}"
REAL_PLACES = f"""\
  places:
    path: {COMUNAS}
    columns: {{id: cod_comuna, name: Comuna, region: codregion}}
    population_from:
      path: $REGIONAL_SHARED_DATA/chile/cl_comunas_poblacion.csv
      columns: {{id: Codigo comuna, population: Poblacion}}
"""
TINY_PLACES = """\
  places: {path: places.csv}
"""
TINY_FILES = {
    "places.csv": "id,name,lon,lat,population\n"
    "13101,Santiago,-70.6506,-33.4372,404495\n"
    "5101,Valparaíso,-71.6127,-33.0472,315732\n",
    "negative.csv": "id,name,lon,lat,beds\nH1,Salvador,-70.63,-33.44,300\n"
    "H2,Van Buren,-71.61,-33.05,-3\n",
    "swapped.csv": "id,name,lon,lat\nH1,Salvador,-33.44,-70.63\n",
    "duplicate.csv": "id,name,lon,lat\nH1,Salvador,-70.63,-33.44\nH1,Van Buren,-71.61,-33.05\n",
    "kinds.csv": "id,name,lon,lat,tipo\nH1,Salvador,-70.63,-33.44,Hospital\n"
    "C1,Cesfam Valparaíso,-71.61,-33.05,Centro de Salud Familiar (CESFAM)\n",
    "people.csv": "code,people\n13101,404495\n5101,n/a\n",
    "points.csv": "id,name,lon,lat\n13101,Santiago,-70.6506,-33.4372\n"
    "5101,Valparaíso,-71.6127,-33.0472\n",
    "od.csv": "from_id,to_id,minutes\n13101,H1,12\n5101,H1,soon\n",
    "points.geojson": '{"type": "FeatureCollection", "features": [{"type": "Feature", '
    '"properties": {}, "geometry": {"type": "Point", "coordinates": [-70.6, -33.4]}}]}',
}


def _scenario(facilities: str, places: str = REAL_PLACES) -> str:
    return f"base: chile\ngeography: {{countries: [CL]}}\ndata:\n{facilities}{places}"


BAD_SCENARIOS: Mapping[str, tuple[str, list[str]]] = {
    "missing-file": (
        _scenario(
            "  facilities: {path: $REGIONAL_SHARED_DATA/chile/establecimientos_2030.csv,"
            f" columns: {DEIS_COLUMNS}}}\n"
        ),
        [f"{Path('chile') / 'establecimientos_2030.csv'}: file not found; check the path"],
    ),
    "column-the-file-lacks": (
        _scenario(
            f"  facilities: {{path: {DEIS}, delimiter: ';',"
            " columns: {id: CodigoEstablecimiento, lon: Longitud, lat: Latitud}}\n"
        ),
        ["the mapping names column 'CodigoEstablecimiento' (for id), which the file lacks"],
    ),
    "unknown-crs": (
        _scenario(
            f"  facilities: {{path: {DEIS}, delimiter: ';', crs: 'EPSG:99999',"
            f" columns: {DEIS_COLUMNS}}}\n"
        ),
        ["cl_establecimientos_deis_20260310.csv: unknown CRS 'EPSG:99999'"],
    ),
    "unknown-column-key": (
        _scenario(
            f"  facilities: {{path: {DEIS}, delimiter: ';',"
            " columns: {id: EstablecimientoCodigo, lon: Longitud, lat: Latitud, camas: X}}\n"
        ),
        [
            "data.facilities.columns: unknown column 'camas'",
            "ours are id, name, kind, tier, complexity, lon, lat",
        ],
    ),
    "unknown-kind": (
        _scenario(
            "  facilities: {path: kinds.csv, columns: {kind: tipo}, kinds: {Hospital: hospital}}\n",
            TINY_PLACES,
        ),
        ["kinds.csv: row 3, column 'kind': 'Centro de Salud Familiar (CESFAM)' is not in `kinds:`"],
    ),
    "negative-beds": (
        _scenario("  facilities: {path: negative.csv, columns: {ward_beds: beds}}\n", TINY_PLACES),
        ["negative.csv: row 3, column 'ward_beds': negative ('-3')"],
    ),
    "swapped-coordinates": (
        _scenario("  facilities: {path: swapped.csv}\n", TINY_PLACES),
        ["swapped.csv: row 2, column 'lat': latitude and longitude look swapped"],
    ),
    "duplicate-ids": (
        _scenario("  facilities: {path: duplicate.csv}\n", TINY_PLACES),
        ["duplicate.csv: row 3, column 'id': duplicate id 'H1'"],
    ),
    "population-not-a-number": (
        _scenario(
            "  facilities: {path: duplicate.csv, dedupe_on: id}\n",
            "  places:\n    path: points.csv\n    population_from:\n"
            "      {path: people.csv, columns: {id: code, population: people}}\n",
        ),
        ["people.csv: row 3, column 'population': not a number ('n/a')"],
    ),
    "matrix-minutes-not-a-number": (
        _scenario(
            "  facilities: {path: duplicate.csv, dedupe_on: id}\n  travel_matrix: {path: od.csv}\n",
            TINY_PLACES,
        ),
        ["od.csv: row 3, column 'minutes': 'soon' is not a non-negative number of minutes"],
    ),
    "matrix-column-the-file-lacks": (
        _scenario(
            "  facilities: {path: duplicate.csv, dedupe_on: id}\n"
            "  travel_matrix: {path: od.csv, columns: {minutes: duration}}\n",
            TINY_PLACES,
        ),
        ["od.csv: the mapping names column 'duration' (for minutes), which the file lacks"],
    ),
    "boundary-missing": (
        _scenario(
            "  facilities: {path: duplicate.csv, dedupe_on: id}\n"
            "  boundary: {path: chile.geojson}\n",
            TINY_PLACES,
        ),
        ["chile.geojson: file not found; check `boundary.path`"],
    ),
    "boundary-without-polygons": (
        _scenario(
            "  facilities: {path: duplicate.csv, dedupe_on: id}\n"
            "  boundary: {path: points.geojson}\n",
            TINY_PLACES,
        ),
        ["points.geojson: no polygon in the file"],
    ),
}


def _assert_refused(done: subprocess.CompletedProcess[str], out: Path, expected: list[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("regional: error: ")
    for text in expected:
        assert text in lines[0]
    assert not out.exists()
    assert not out.with_name(out.name + ".incomplete").exists()
    return lines[0]


@pytest.mark.parametrize("case", list(BAD_SCENARIOS))
def test_bad_registry_input_is_one_line_exit_2_no_run_directory(
    tmp_path: Path, shared_data: Path, case: str
) -> None:
    text, expected = BAD_SCENARIOS[case]
    folder = tmp_path / "scenario"  # data paths are relative to the scenario file
    folder.mkdir()
    for name, content in TINY_FILES.items():
        (folder / name).write_text(content, encoding="utf-8")
    (folder / "s.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "run"
    done = regional(
        "run",
        str(folder / "s.yaml"),
        "--days",
        "1",
        "--out",
        str(out),
        cwd=tmp_path,
        shared=shared_data,
    )
    _assert_refused(done, out, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario"]


def test_an_unset_data_variable_is_named(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "run"
    done = regional(
        "run",
        str(EXAMPLES / "chile-deis.yaml"),
        "--days",
        "1",
        "--out",
        str(out),
        cwd=tmp_path,
        shared=None,
    )
    line = _assert_refused(done, out, ["chile-deis.yaml: data."])
    # the first data path of the file, whichever it is, named with its key and the variable
    assert re.search(r"data\.[\w.]*path: the path '\$REGIONAL_SHARED_DATA/\w+", line), line
    assert "uses $REGIONAL_SHARED_DATA, which is not set" in line
    assert "export REGIONAL_SHARED_DATA=" in line
    assert list(tmp_path.iterdir()) == []


# ---- road minutes and a boundary: Mexico City with a routing engine's table -------------------


def test_a_travel_matrix_sets_access_and_transfer_minutes_at_any_shard_count(
    tmp_path: Path, shared_data: Path
) -> None:
    """Every trip between CDMX hospitals takes 3 minutes on the table: each transfer then
    arrives dispatch + 3 minutes after it leaves; each borough goes to the hospital the table
    makes quickest; and the results are the same on 1 and 3 shards."""
    clues = _clues(shared_data)
    codes = clues.loc[_valid_cdmx_coordinates(clues), "CLUES"].unique()
    places = pd.read_csv(shared_data / "mexico" / "mx_municipios_centroids.csv", dtype=str)
    boroughs = places.loc[places["CVE_ENT"] == "09", "concat"].tolist()
    rows = [(a, b, 3.0) for a in codes for b in codes if a != b]
    # every borough 7 minutes from the first hospital, 30 from the second
    rows += [(p, codes[0], 7.0) for p in boroughs] + [(p, codes[1], 30.0) for p in boroughs]
    matrix = pd.DataFrame(rows, columns=["origen", "destino", "minutos"])
    matrix.to_parquet(tmp_path / "od.parquet")
    scenario = (EXAMPLES / "cdmx-clues.yaml").read_text(encoding="utf-8")
    scenario = scenario.replace("$REGIONAL_SHARED_DATA", str(shared_data))
    scenario += (
        "  travel_matrix:\n    path: od.parquet\n"
        "    columns: {from_id: origen, to_id: destino, minutes: minutos}\n"
    )
    (tmp_path / "s.yaml").write_text(scenario, encoding="utf-8")
    runs = {}
    for shards in (1, 3):
        out = tmp_path / f"run-{shards}"
        done = regional(
            "run", "s.yaml", "--days", "2", "--shards", str(shards), "--quiet",
            "--out", str(out), cwd=tmp_path, shared=shared_data,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs[shards] = out
    run = runs[1]
    transfers = _table(run, "transfers")
    assert len(transfers) > 20
    manifest = json.loads((run / "manifest.json").read_text())
    dispatch = manifest["scenario"]["care"]["transfer_dispatch_minutes"]
    # the trip takes the dispatch and the matrix's 3 minutes; the patient arrives then, or at
    # the end of the window it left in (messages cross at window ends)
    start = pd.Timestamp(manifest["scenario"]["start"])
    window = pd.Timedelta(hours=manifest["scenario"]["window_hours"])
    window_end = start + ((transfers["depart_time"] - start) // window + 1) * window
    booked = transfers["depart_time"] + pd.Timedelta(minutes=dispatch + 3.0)
    expected = np.maximum(booked.to_numpy(), window_end.to_numpy())
    assert (transfers["arrive_time"].to_numpy() == expected).all()
    facilities = _table(run, "facilities").set_index("facility_id")
    places_out = _table(run, "places")
    assert set(facilities.loc[places_out["facility_id"], "code"]) == {codes[0]}
    assert (places_out["access_minutes"] == 7.0).all()
    filled = _filled(run)["travel_matrix"]
    assert filled.startswith(f"{len(rows)} pairs read, 0 with ids of neither")
    assert "for 0 of " in filled and "(0 of 16 places have no pair)" in filled
    for name in ("patients", "transfers", "referrals", "timeseries"):
        pd.testing.assert_frame_equal(_table(runs[1], name), _table(runs[3], name))
    # the boundary of the example (the CDMX state polygon) travels with the run
    boundary = gpd.read_parquet(run / "boundary.parquet")
    state = gpd.read_file(shared_data / "mexico" / "mx_estados.geojson")
    state = state[state["CVE_ENT"] == "09"].to_crs(6372)
    assert abs(boundary.to_crs(6372).area.sum() / state.area.sum() - 1.0) < 1e-6
