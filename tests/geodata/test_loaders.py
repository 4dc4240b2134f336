"""Registry files read and checked row by row: synthetic files and the real ones in shared/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geodata.loaders import (
    LoadError,
    Source,
    bad_rows_report,
    load_checked,
    read_boundary,
    read_source,
)

FACILITY = ("id", "name", "lon", "lat")


def _csv(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_our_names(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, "codigo;nombre;x;y;camas\nA1;Uno;-70.6;-33.4;120\nB2;Dos;-71.6;-33.0;40\n"
    )
    source = Source(
        path,
        {"id": "codigo", "name": "nombre", "lon": "x", "lat": "y", "ward_beds": "camas"},
        delimiter=";",
    )
    frame, bad = load_checked(source, "CL", FACILITY)
    assert bad == []
    assert frame[["id", "name", "lon", "lat", "ward_beds"]].values.tolist() == [
        ["A1", "Uno", -70.6, -33.4, "120"],
        ["B2", "Dos", -71.6, -33.0, "40"],
    ]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("A;x;-33.4;-70.6;10", "row 2, column 'lat': latitude and longitude look swapped"),
        ("A;x;-70.6;;10", "row 2, column 'lat': coordinate missing"),
        ("A;x;-70.6;-33.4;-5", "row 2, column 'ward_beds': negative ('-5')"),
        ("A;x;-70.6;-33.4;2.5", "row 2, column 'ward_beds': not a whole number ('2.5')"),
        ("A;x;-70.6;-33.4;many", "row 2, column 'ward_beds': not a number ('many')"),
        ("A;x;2.35;48.85;10", "row 2, column 'lon': (2.3500, 48.8500) is outside the country"),
        ("A;x;-70.6;-33.4;10\nA;y;-70.5;-33.4;10", "row 3, column 'id': duplicate id 'A'"),
    ],
)
def test_bad_rows_name_file_row_and_column(tmp_path: Path, rows: str, expected: str) -> None:
    path = _csv(tmp_path, "id;name;lon;lat;beds\n" + rows + "\n")
    source = Source(path, {"ward_beds": "beds"}, delimiter=";")
    with pytest.raises(LoadError) as caught:
        load_checked(source, "CL", FACILITY)
    assert str(caught.value).startswith(f"{path}: {expected}")
    assert "\n" not in str(caught.value)


def test_skip_mode_keeps_good_rows_and_reports_the_rest(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,name,lon,lat\nA,a,-70.6,-33.4\nB,b,,-33\nC,c,-71,-33.1\n")
    frame, bad = load_checked(Source(path), "CL", FACILITY, on_bad_rows="skip")
    assert frame["id"].tolist() == ["A", "C"]
    report = bad_rows_report(bad, path)
    assert report[["row", "column"]].values.tolist() == [[3, "lon"]]


@pytest.mark.parametrize(
    ("text", "source_args", "expected"),
    [
        ("id,name,lon,lat\n", {"columns": {"lon": "longitude"}}, "which the file lacks"),
        ("id,name,lat\n", {}, "required column 'lon' is missing"),
        ("id;name;lon;lat\nA;a;-70;-33\n", {}, "delimited by semicolons"),
        ("id,name,lon,lat\n", {"filters": {"estado": "09"}}, "filter column 'estado'"),
        ("id,name,lon,lat\nA,a,1,2\n", {"crs": "EPSG:99999"}, "unknown CRS 'EPSG:99999'"),
    ],
)
def test_mapping_and_format_mistakes(
    tmp_path: Path, text: str, source_args: dict, expected: str
) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(LoadError, match=expected):
        read_source(Source(path, **source_args), FACILITY)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="file not found"):
        read_source(Source(tmp_path / "none.csv"), FACILITY)
    broken = tmp_path / "bad.gpkg"
    broken.write_bytes(b"not a geopackage")
    with pytest.raises(LoadError, match="cannot be read"):
        read_source(Source(broken), FACILITY)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,name,lon,lat\nA,Maip\xfa,-70.7,-33.5\n".encode("latin-1"))
    with pytest.raises(LoadError, match="set `encoding:`"):
        read_source(Source(latin), FACILITY)
    frame = read_source(Source(latin, encoding="latin-1"), FACILITY)
    assert frame["name"].iat[0] == "Maipú"
    header = _csv(tmp_path, "id,name,lon,lat\n")
    with pytest.raises(LoadError, match="the file has no rows"):
        read_source(Source(header), FACILITY)


def test_projected_coordinates_are_reprojected(tmp_path: Path) -> None:
    # Santiago in UTM 19S (EPSG:32719)
    path = _csv(tmp_path, "id,name,x,y\nA,a,346000,6298000\n")
    frame, bad = load_checked(
        Source(path, {"lon": "x", "lat": "y"}, crs="EPSG:32719"), "CL", FACILITY
    )
    assert bad == [] and frame["lon"].iat[0] == pytest.approx(-70.67, abs=0.05)
    assert frame["lat"].iat[0] == pytest.approx(-33.44, abs=0.05)


def test_chile_deis_establishments(shared_data: Path) -> None:
    source = Source(
        shared_data / "chile" / "cl_establecimientos_deis_20260310.csv",
        {
            "id": "EstablecimientoCodigo",
            "name": "EstablecimientoGlosa",
            "lon": "Longitud",
            "lat": "Latitud",
            "kind": "TipoEstablecimientoGlosa",
            "complexity": "NivelComplejidadEstabGlosa",
        },
        delimiter=";",
    )
    with pytest.raises(LoadError, match=r"row \d+, column 'l(on|at)'"):
        load_checked(source, "CL", FACILITY)
    frame, bad = load_checked(source, "CL", FACILITY, on_bad_rows="skip")
    assert len(frame) > 5000 and 50 <= len(bad) <= 150  # 91 rows lack coordinates
    assert (frame["kind"] == "Hospital").sum() > 200


def test_mexico_city_clues_malformed_coordinates(shared_data: Path) -> None:
    source = Source(
        shared_data / "mexico" / "mx_cdmx_hospitals_clues.csv",
        {
            "id": "CLUES",
            "name": "NOMBRE DE LA UNIDAD",
            "lon": "LONGITUD",
            "lat": "LATITUD",
            "ward_beds": "CAMAS EN AREA DE HOS",
        },
    )
    with pytest.raises(LoadError) as caught:
        load_checked(source, "MX", FACILITY)
    assert "mx_cdmx_hospitals_clues.csv: row" in str(caught.value)
    frame, bad = load_checked(source, "MX", FACILITY, on_bad_rows="skip")
    skipped = {b.row for b in bad if b.column in ("lon", "lat")}
    assert len(skipped) >= 3 and len(frame) > 500


def test_bahia_icu_hospitals_deduplicated_on_cnes(shared_data: Path) -> None:
    source = Source(
        shared_data / "brazil" / "br_ba_hospitals_icu_coords_2025.csv",
        {
            "id": "CNES",
            "name": "NOME_ESTABELECIMENTO",
            "lon": "longitude",
            "lat": "latitude",
            "ward_beds": "LEITOS_EXISTENTES",
            "icu_beds": "UTI_TOTAL_EXIST",
        },
        dedupe_on="id",
    )
    frame, bad = load_checked(source, "BR", FACILITY, on_bad_rows="skip")
    assert len(frame) + len({b.row for b in bad}) == 129  # unique CNES codes
    assert {b.column for b in bad} <= {"lon", "lat"} and len({b.row for b in bad}) <= 6


def _squares(path: Path, *offsets: float) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"code": str(i)},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[-71 + x, -34], [-70 + x, -34], [-70 + x, -33], [-71 + x, -33], [-71 + x, -34]]
                ],
            },
        }
        for i, x in enumerate(offsets)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_a_prepared_boundary_is_cached_by_the_files_content(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = _squares(tmp_path / "area.geojson", 0.0, 1.0)
    first = read_boundary(path, cache_dir=cache)
    assert first.area == pytest.approx(2.0)
    (kept,) = (cache / "boundaries").iterdir()
    # the cached union is what is read the second time, and a filter is another entry
    assert read_boundary(path, cache_dir=cache).equals_exact(first, 0.0)
    assert read_boundary(path, filters={"code": "0"}, cache_dir=cache).area == pytest.approx(1.0)
    assert len(list((cache / "boundaries").iterdir())) == 2
    # a changed file is read again, and a cache file cut short is rebuilt
    _squares(path, 0.0, 1.0, 2.0)
    assert read_boundary(path, cache_dir=cache).area == pytest.approx(3.0)
    kept.write_bytes(b"\x01\x03")
    _squares(path, 0.0, 1.0)
    assert read_boundary(path, cache_dir=cache).area == pytest.approx(2.0)
