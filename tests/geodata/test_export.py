"""GIS exports of a run directory: every format and layer read back by geopandas and by GDAL."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest

import regional
from geodata.export import ALL_LAYERS, LAYERS, ExportError, build_layers, export_run
from geodata.periods import PeriodError, parse_every
from tests.e2e.test_cli import regional as regional_cli

GEOMETRY = {
    "facilities": "Point",
    "places": "Point",
    "catchments": "MultiPolygon",
    "flows": "LineString",
    "facility_timeseries": "Point",
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "chile"
    regional.run("chile", out=out, days=2, seed=13)
    return out


@pytest.fixture(scope="module")
def layers(run_dir: Path) -> dict[str, Any]:
    return build_layers(run_dir)


@pytest.fixture(scope="module")
def daily(run_dir: Path) -> dict[str, Any]:
    return build_layers(run_dir, ("facility_timeseries",), "1D")


@pytest.fixture(scope="module")
def exported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gis") / "all"
    export_run(run_dir, "all", out)
    return out


def _read(folder: Path, fmt: str, layer: str) -> gpd.GeoDataFrame:
    if fmt == "gpkg":
        return gpd.read_file(folder / "run.gpkg", layer=layer)
    if fmt == "geoparquet":
        return gpd.read_parquet(folder / f"{layer}.parquet")
    return gpd.read_file(folder / f"{layer}.{fmt}")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "fgb", "geoparquet"])
@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_round_trips(
    exported: Path, layers: dict[str, Any], daily: dict[str, Any], fmt: str, layer: str
) -> None:
    back = _read(exported, fmt, layer)
    # the GeoJSON time series is summed up by day, the other formats keep every window
    expected = daily if fmt == "geojson" and layer == "facility_timeseries" else layers
    assert len(back) == len(expected[layer]) > 0
    assert back.crs is not None and back.crs.to_epsg() == 4326
    assert set(back.geom_type) == {GEOMETRY[layer]}
    if layer == "facility_timeseries" and fmt != "geojson":
        assert pd.api.types.is_datetime64_any_dtype(back["time"])
        assert back["time"].min() == pd.Timestamp("2025-06-01 00:00:00")


@pytest.mark.slow
def test_flows_add_up_to_transfers_and_referrals(run_dir: Path, layers: dict[str, Any]) -> None:
    flows = layers["flows"]
    transfers = pq.read_table(run_dir / "transfers.parquet").num_rows
    referrals = pq.read_table(run_dir / "referrals.parquet").num_rows
    assert flows.loc[flows["kind"] == "transfer", "count"].sum() == transfers > 0
    assert flows.loc[flows["kind"] == "referral", "count"].sum() == referrals > 0
    kepler = layers["flows_kepler"]
    assert {"origin_lat", "origin_lng", "dest_lat", "dest_lng", "count", "time"} <= set(kepler)
    assert kepler["count"].sum() == transfers + referrals


@pytest.mark.slow
def test_catchments_cover_everyone(run_dir: Path, layers: dict[str, Any]) -> None:
    people = pq.read_table(run_dir / "places.parquet").column("population").to_numpy().sum()
    catchments = layers["catchments"]
    assert catchments["population_served"].sum() == people
    assert catchments.geometry.is_valid.all()
    places = layers["places"]
    inside = gpd.sjoin(places, catchments[["facility_id", "geometry"]], predicate="within")
    # each place lies in its own first facility's cell, but for ties on cell borders
    assert (inside["facility_id_left"] == inside["facility_id_right"]).mean() > 0.9


@pytest.mark.slow
def test_geopackage_is_version_1_3(exported: Path) -> None:
    with sqlite3.connect(exported / "run.gpkg") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10300


@pytest.mark.slow
def test_geoparquet_metadata_is_1_1_with_covering_bbox(exported: Path) -> None:
    for layer in LAYERS:
        geo = json.loads(pq.read_schema(exported / f"{layer}.parquet").metadata[b"geo"])
        assert geo["version"] == "1.1.0"
        assert "covering" in geo["columns"][geo["primary_column"]]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["run.gpkg", "facility_timeseries.geojson", "facility_timeseries.fgb"]
)
def test_gdal_reads_the_files_and_sees_the_datetime(exported: Path, name: str) -> None:
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("GDAL's ogrinfo is not installed (Debian gdal-bin; .ci/run installs it)")
    args = [ogrinfo, "-so", "-ro", str(exported / name)]
    if name.endswith(".gpkg"):
        args.append("facility_timeseries")
    else:
        args.append(name.split(".")[0])
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if name.endswith(".geojson"):
        assert "time: String" in done.stdout or "time: DateTime" in done.stdout
    else:
        assert "time: DateTime" in done.stdout


def test_bad_exports_say_what_to_do_and_write_nothing(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown format"):
        export_run(run_dir, "shp", tmp_path / "a")
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "transfers.parquet").unlink()
    with pytest.raises(ExportError, match=r"transfers.parquet is missing"):
        export_run(broken, "gpkg", tmp_path / "b")
    (tmp_path / "taken").mkdir()
    with pytest.raises(ExportError, match="already exists"):
        export_run(run_dir, "gpkg", tmp_path / "taken")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert not list((tmp_path / "taken").iterdir())


@pytest.mark.slow
def test_export_through_the_cli(run_dir: Path, tmp_path: Path) -> None:
    done = regional_cli("export", str(run_dir), "--format", "fgb", "--out", "gis", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "gis" / "flows.fgb").is_file()
    bad = regional_cli("export", str(tmp_path / "nowhere"), "--format", "gpkg", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "not a directory" in bad.stderr


def _star(n: int, cx: float = 0.0, cy: float = 0.0) -> Any:
    """A jagged polygon of ``2n`` vertices, like a coastline."""
    import numpy as np
    import shapely

    angle = np.linspace(0, 2 * np.pi, 2 * n, endpoint=False)
    radius = np.where(np.arange(2 * n) % 2 == 0, 100.0, 60.0)
    return shapely.Polygon(np.c_[cx + radius * np.cos(angle), cy + radius * np.sin(angle)])


def test_clip_to_matches_a_plain_intersection_on_a_jagged_coast_with_islands() -> None:
    import numpy as np
    import shapely

    from geodata.export import clip_to, subdivide

    coast = shapely.union_all([_star(3000), _star(40, 300.0, 0.0), _star(40, 0.0, -400.0)])
    pieces = subdivide(coast, max_vertices=64)
    assert all(shapely.get_num_coordinates(p) <= 64 + 8 for p in pieces)
    assert shapely.union_all(pieces).symmetric_difference(coast).area < 1e-6 * coast.area
    cells = np.array(
        [shapely.box(x, y, x + 150, y + 150) for x in range(-450, 450, 150) for y in (-500, -50)]
        + [shapely.box(1000, 1000, 1100, 1100)],  # at sea: nothing left
        dtype=object,
    )
    clipped = clip_to(cells, coast)
    expected = shapely.intersection(cells, coast)
    assert np.allclose(shapely.area(clipped), shapely.area(expected), rtol=1e-9, atol=1e-6)
    assert clipped[-1].is_empty and shapely.is_valid(clipped).all()


@pytest.mark.filterwarnings("ignore:Geometry is in a geographic CRS")
def test_catchments_are_clipped_to_the_run_boundary(run_dir: Path, tmp_path: Path) -> None:
    import shapely

    clipped_run = tmp_path / "run"
    shutil.copytree(run_dir, clipped_run)
    facilities = pq.read_table(run_dir / "facilities.parquet").to_pandas()
    santiago = facilities[facilities["region"] == facilities["region"].iloc[0]]
    # densified, so that its edges stay put through the projection the export works in
    area = shapely.segmentize(
        shapely.box(
            santiago["lon"].min() - 0.5,
            santiago["lat"].min() - 0.5,
            santiago["lon"].max() + 0.5,
            santiago["lat"].max() + 0.5,
        ),
        0.005,
    )
    gpd.GeoDataFrame(geometry=[area], crs="EPSG:4326").to_parquet(clipped_run / "boundary.parquet")
    catchments = build_layers(clipped_run)["catchments"]
    unclipped = build_layers(run_dir)["catchments"]
    assert len(catchments) == len(unclipped)
    inside = catchments.geometry.intersection(area).area.sum()
    assert inside / catchments.geometry.area.sum() > 0.9999  # nothing outside the boundary
    assert 0.9999 < catchments.union_all().area / area.area < 1.0001  # all of it covered


def test_a_damaged_boundary_file_is_one_line(run_dir: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "run"
    shutil.copytree(run_dir, damaged)
    (damaged / "boundary.parquet").write_bytes(b"not parquet")
    with pytest.raises(ExportError, match=r"boundary\.parquet: unreadable"):
        build_layers(damaged)


def test_periods_read_as_pandas_frequencies() -> None:
    assert parse_every("1d") == "1D" and parse_every("6h") == "6h"
    assert parse_every("30min") == "30min" and parse_every(" Window ") is None
    for bad in ("0d", "2x", "d", "1.5h", ""):
        with pytest.raises(PeriodError, match="expected a period such as 1d"):
            parse_every(bad)


def test_a_day_of_a_facility_is_one_row_that_keeps_its_totals(
    layers: dict[str, Any], daily: dict[str, Any]
) -> None:
    raw, day = layers["facility_timeseries"], daily["facility_timeseries"]
    facilities = raw["facility_id"].nunique()
    assert len(day) == 2 * facilities  # a 2-day run: two days of every facility
    per_day = len(raw) // facilities // 2  # the windows a day holds
    assert per_day > 1 and set(day["samples"]) == {per_day}
    assert day["time"].dt.hour.eq(0).all()
    # the sum of an amount is kept, a level's mean is its windows' mean, a peak its max
    # (each row rounded to 3 decimals)
    kept = pytest.approx(raw["nurse_hours_short"].sum(), abs=5e-4 * len(day))
    assert day["nurse_hours_short"].sum() == kept
    assert day["ward_occupied"].mean() == pytest.approx(raw["ward_occupied"].mean(), abs=1e-3)
    peaks = raw.assign(time=raw["time"].dt.floor("D")).groupby(["facility_id", "time"])["waiting"]
    both = day.join(peaks.max().rename("expected"), on=["facility_id", "time"])
    assert (both["waiting_peak"] == both["expected"]).all()
    assert (day["icu_occupied_peak"] >= day["icu_occupied"]).all()


def test_six_hours_give_four_rows_a_day(run_dir: Path, daily: dict[str, Any]) -> None:
    six = build_layers(run_dir, ("facility_timeseries",), "6h")["facility_timeseries"]
    day = daily["facility_timeseries"]
    assert len(six) == 4 * len(day)
    assert set(six["samples"] * 4) == set(day["samples"])


def test_layers_choose_the_files(run_dir: Path, tmp_path: Path) -> None:
    written = export_run(run_dir, "geojson", tmp_path / "gis", layers="flows,facilities")
    assert [p.name for p in written] == ["facilities.geojson", "flows.geojson"]
    assert sorted(p.name for p in (tmp_path / "gis").iterdir()) == [
        "facilities.geojson",
        "flows.geojson",
    ]
    kepler = export_run(run_dir, "csv", tmp_path / "k", layers="flows_kepler")
    assert [p.name for p in kepler] == ["flows_kepler.csv"]


def test_an_unknown_layer_is_one_line_that_lists_the_known(run_dir: Path, tmp_path: Path) -> None:
    done = regional_cli(
        "export", str(run_dir), "--format", "csv", "--layers", "facilities,roads",
        "--out", "gis", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "unknown layer roads" in done.stderr
    assert all(name in done.stderr for name in ALL_LAYERS)
    bad = regional_cli(
        "export", str(run_dir), "--format", "csv", "--every", "2x", "--out", "gis", cwd=tmp_path
    )
    assert bad.returncode == 2 and "--every 2x" in bad.stderr
    assert not (tmp_path / "gis").exists()


@pytest.mark.slow
def test_csv_tables_are_read_by_pandas_and_gdal(
    run_dir: Path, layers: dict[str, Any], daily: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "csv"
    export_run(run_dir, "csv", out, layers="facilities,flows,facility_timeseries")
    facilities = pd.read_csv(out / "facilities.csv")
    assert len(facilities) == len(layers["facilities"])
    assert {"lon", "lat", "name"} <= set(facilities) and "geometry" not in facilities
    flows = pd.read_csv(out / "flows.csv")
    assert flows["count"].sum() == layers["flows"]["count"].sum()
    assert {"origin_lon", "origin_lat", "dest_lon", "dest_lat"} <= set(flows)
    series = pd.read_csv(out / "facility_timeseries.csv", parse_dates=["time"])
    assert len(series) == len(daily["facility_timeseries"])
    assert series["time"].min() == pd.Timestamp("2025-06-01")
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("GDAL's ogrinfo is not installed (Debian gdal-bin; .ci/run installs it)")
    done = subprocess.run(
        [ogrinfo, "-so", "-ro", str(out / "facility_timeseries.csv"), "facility_timeseries"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"Feature Count: {len(series)}" in done.stdout


@pytest.mark.slow
def test_xlsx_has_a_sheet_a_layer_with_real_dates(
    run_dir: Path, daily: dict[str, Any], tmp_path: Path
) -> None:
    import datetime as dt

    import openpyxl

    out = tmp_path / "xlsx"
    export_run(run_dir, "xlsx", out, layers="facilities,facility_timeseries")
    book = openpyxl.load_workbook(out / "run.xlsx", read_only=True)
    assert book.sheetnames == ["facilities", "facility_timeseries"]
    sheet = book["facility_timeseries"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    first = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert isinstance(first[header.index("time")], dt.datetime)
    assert sheet.max_row == len(daily["facility_timeseries"]) + 1


def test_a_table_too_long_for_a_sheet_says_what_to_do(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geodata.tables

    monkeypatch.setattr(geodata.tables, "XLSX_MAX_ROWS", 10)
    with pytest.raises(ExportError, match=r"do not fit an Excel sheet.*--every.*--format csv"):
        export_run(run_dir, "xlsx", tmp_path / "x", layers="facilities")
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.iterdir())
