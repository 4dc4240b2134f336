"""Mistakes people make with their own files, each through the command line: exit 2, one line
that names the file, row or key, no traceback, and nothing at ``--out``.

The corpus is built from the real registries of ``../shared/data`` (a copy with one mistake
put in) and from small hand-made files; valid edge cases (extra columns, a byte-order mark,
CRLF line endings, Latin-1 declared, decimal commas declared) must load.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tests.e2e.test_cli import ROOT, regional

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples"
Edit = Callable[[dict[str, Any], Path], None]


def _example(name: str, shared: Path) -> dict[str, Any]:
    """An example scenario with its ``$REGIONAL_SHARED_DATA`` paths written out, no boundary
    (reading it is the slow part, and no case here is about it)."""
    text = (EXAMPLES / f"{name}.yaml").read_text().replace("$REGIONAL_SHARED_DATA", str(shared))
    data: dict[str, Any] = yaml.safe_load(text)
    data["data"].pop("boundary", None)
    return data


def _refused(done: subprocess.CompletedProcess[str], where: Path, expected: str) -> str:
    """Exit 2, one line holding ``expected``, no traceback, nothing at ``where/out``."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(lines) == 1, done.stderr
    assert expected in lines[0], lines[0]
    assert not (where / "out").exists()
    assert not (where / "out.incomplete").exists()
    return lines[0]


def _run(scenario: dict[str, Any] | str, where: Path) -> subprocess.CompletedProcess[str]:
    path = where / "s.yaml"
    if isinstance(scenario, str):
        path.write_text(scenario)
    else:
        path.write_text(yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True))
    return regional("run", "s.yaml", "--days", "1", "--quiet", "--out", "out", cwd=where)


# -- from the real registries ------------------------------------------------------------------


def _copy_csv(source: Path, target: Path, change: Callable[[pd.DataFrame], None], **read: Any):
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, **read)
    change(frame)
    frame.to_csv(target, index=False, sep=read.get("sep", ","))
    return target


def _huge_beds(data: dict[str, Any], where: Path) -> None:
    facilities = data["data"]["facilities"]

    def change(frame: pd.DataFrame) -> None:
        frame.loc[0, "CAMAS EN AREA DE HOS"] = "3000000000"

    facilities["path"] = str(_copy_csv(Path(facilities["path"]), where / "clues.csv", change))
    data["data"]["on_bad_rows"] = "stop"


def _people_all_zero(data: dict[str, Any], where: Path) -> None:
    people = data["data"]["places"]["population_from"]

    def change(frame: pd.DataFrame) -> None:
        frame.loc[frame["CVE"].str.startswith("09"), "2025"] = "0"

    people["path"] = str(_copy_csv(Path(people["path"]), where / "conapo.csv", change))


def _blank_id(data: dict[str, Any], where: Path) -> None:
    facilities = data["data"]["facilities"]

    def change(frame: pd.DataFrame) -> None:
        frame.loc[0, "EstablecimientoCodigo"] = ""

    facilities["path"] = str(
        _copy_csv(Path(facilities["path"]), where / "deis.csv", change, sep=";")
    )
    data["data"]["on_bad_rows"] = "stop"
    data["data"]["facilities"]["filters"] = {"TipoEstablecimientoGlosa": ["Hospital"]}


def _unknown_country(data: dict[str, Any], where: Path) -> None:
    data["geography"]["countries"] = ["XX"]


def _swapped(data: dict[str, Any], where: Path) -> None:
    columns = data["data"]["facilities"]["columns"]
    columns["lon"], columns["lat"] = columns["lat"], columns["lon"]


def _wrong_delimiter(data: dict[str, Any], where: Path) -> None:
    data["data"]["facilities"]["delimiter"] = ","


def _filter_leaves_nothing(data: dict[str, Any], where: Path) -> None:
    data["data"]["places"]["filters"] = {"CVE_ENT": "9"}  # the file writes "09"


def _matrix_matches_nothing(data: dict[str, Any], where: Path) -> None:
    (where / "od.csv").write_text("from_id,to_id,minutes\nX1,Y1,12\nX2,Y1,30\n")
    data["data"]["travel_matrix"] = {"path": "od.csv"}


@pytest.mark.parametrize(
    ("example", "edit", "expected"),
    [
        ("cdmx-clues", _huge_beds, "clues.csv: row 2, column 'ward_beds': more than 100,000"),
        ("cdmx-clues", _people_all_zero, "conapo.csv: no place has people"),
        ("cdmx-clues", _swapped, "latitude and longitude look swapped"),
        ("cdmx-clues", _filter_leaves_nothing, "filter CVE_ENT: ['9'] matches no row"),
        ("chile-deis", _blank_id, "deis.csv: row 2, column 'id': id missing"),
        ("chile-deis", _unknown_country, "geography.countries: unknown country code 'XX'"),
        ("chile-deis", _wrong_delimiter, 'delimited by semicolons, set `delimiter: ";"`'),
        ("chile-deis", _matrix_matches_nothing, "od.csv: no pair's from_id and to_id match"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_real_registry_with_one_mistake(
    shared_data: Path, tmp_path: Path, example: str, edit: Edit, expected: str
) -> None:
    data = _example(example, shared_data)
    edit(data, tmp_path)
    _refused(_run(data, tmp_path), tmp_path, expected)


def test_skip_that_drops_every_rural_post_is_said_loudly(shared_data: Path, tmp_path: Path) -> None:
    data = _example("chile-deis", shared_data)
    # one wrong `kinds:` value: the file writes "Posta de Salud Rural (PSR)"
    data["data"]["facilities"]["kinds"] = {"Hospital": "hospital", "Posta de Salud Rural": "clinic"}
    done = _run(data, tmp_path)
    assert done.returncode == 0, done.stderr
    kind, share = [line for line in done.stderr.splitlines() if "warning:" in line]
    assert "left out all 1,114 rows of kind 'Posta de Salud Rural (PSR)' of " in kind
    assert "left out 1,141 of 1,370 rows (83.3%)" in share
    assert "cl_establecimientos_deis_20260310.csv" in share
    assert "kind: is not in `kinds:`" in share


def test_check_prints_what_was_loaded(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_example("chile-deis", shared_data)))
    done = regional("check", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("chile-deis: 1,343 facilities (229 hospitals, 1,114 clinics), 345 ")
    assert "27 left out (2.0%): lon: coordinate missing or not a number (27)" in done.stdout
    assert "filled ward_beds: 229 of 229 hospitals" in done.stdout
    assert not any(tmp_path.glob("runs"))


def test_check_all_lists_every_bad_row_and_exits_2_in_stop_mode(
    shared_data: Path, tmp_path: Path
) -> None:
    data = _example("chile-deis", shared_data)
    data["data"]["on_bad_rows"] = "stop"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    done = regional("check", "s.yaml", "--all", cwd=tmp_path)
    assert done.returncode == 2
    bad = [line for line in done.stdout.splitlines() if ": row " in line]
    assert len(bad) == 27 and all("column 'lon'" in line for line in bad)
    assert done.stderr.strip().splitlines()[-1].startswith("regional: error: 27 bad rows")


# -- small hand-made files ----------------------------------------------------------------------

FACILITIES = (
    "id;name;lon;lat;beds\n"
    "H1;Hospital del Salvador;-70.6275;-33.4378;400\n"
    "H2;Hospital Van Buren;-71.6197;-33.0336;300\n"
    "H3;Hospital Regional;-73.0503;-36.8186;500\n"
)
PLACES = (
    "id,name,lon,lat,population\n"
    "13101,Santiago,-70.6483,-33.4569,503147\n"
    "5101,Valparaíso,-71.6127,-33.0472,315732\n"
    "8101,Concepción,-73.0498,-36.8270,223574\n"
)


def _scenario(**facilities: Any) -> dict[str, Any]:
    return {
        "base": "chile",
        "name": "handmade",
        "geography": {"countries": ["CL"]},
        "data": {
            "facilities": {
                "path": "facilities.csv",
                "delimiter": ";",
                "columns": {"ward_beds": "beds"},
                **facilities,
            },
            "places": {"path": "places.csv"},
        },
    }


def _files(where: Path, facilities: str = FACILITIES, **write: Any) -> None:
    (where / "facilities.csv").write_bytes(
        facilities.encode(write.get("encoding", "utf-8"))
        if isinstance(facilities, str)
        else facilities
    )
    (where / "places.csv").write_text(PLACES, encoding="utf-8")


def _with(text: str, row: int, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[row] = lines[row].replace(old, new)
    return "".join(lines)


@pytest.mark.parametrize(
    ("facilities", "settings", "expected"),
    [
        (
            FACILITIES.replace("400", "3000000000"),
            {},
            "facilities.csv: row 2, column 'ward_beds': more than 100,000",
        ),
        (_with(FACILITIES, 2, "H2", ""), {}, "facilities.csv: row 3, column 'id': id missing"),
        (
            FACILITIES.replace("-70.6275;-33.4378", "346000;6300000")
            .replace("-71.6197;-33.0336", "255000;6340000")
            .replace("-73.0503;-36.8186", "172000;5920000"),
            {},
            "look like projected metres, as in 3 of 3 rows; give the file's CRS as `crs:`",
        ),
        (
            FACILITIES.replace(";", ","),
            {},
            'the header is delimited by commas, set `delimiter: ","`',
        ),
        (
            FACILITIES.replace("-70.6275;-33.4378", "-70,6275;-33,4378")
            .replace("-71.6197;-33.0336", "-71,6197;-33,0336")
            .replace("-73.0503;-36.8186", "-73,0503;-36,8186"),
            {},
            "column 'lon' holds numbers with a decimal comma (such as '-70,6275'); "
            'set `decimal: ","`',
        ),
        (FACILITIES, {"filters": {"name": "Hospital Barros Luco"}}, "matches no row"),
        (FACILITIES, {"decimal": ";"}, "data.facilities.decimal"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(64), {}, "a spreadsheet, not a CSV"),
    ],
    ids=[
        "huge-beds",
        "blank-id",
        "projected-without-crs",
        "comma-read-as-semicolon",
        "decimal-comma-undeclared",
        "filter-matches-nothing",
        "decimal-not-a-mark",
        "xlsx-named-csv",
    ],
)
def test_handmade_file_with_one_mistake(
    tmp_path: Path, facilities: str | bytes, settings: dict[str, Any], expected: str
) -> None:
    _files(tmp_path, facilities)  # type: ignore[arg-type]
    _refused(_run(_scenario(**settings), tmp_path), tmp_path, expected)


def test_a_kind_left_out_whole_is_said_below_the_share(tmp_path: Path) -> None:
    hospitals = "".join(f"H{i};Hospital {i};-70.6{i:02d};-33.44;100;Hospital\n" for i in range(12))
    _files(tmp_path, "id;name;lon;lat;beds;tipo\n" + hospitals + "P1;Posta;-70.7;-33.5;;PSR\n")
    scenario = _scenario(columns={"ward_beds": "beds", "kind": "tipo"})
    scenario["data"]["facilities"]["kinds"] = {"Hospital": "hospital"}
    scenario["data"]["on_bad_rows"] = "skip"
    done = _check(tmp_path, scenario)
    assert done.returncode == 0, done.stderr
    (warning,) = done.stderr.strip().splitlines()  # 1 of 13 rows: below the 10% share
    assert warning.startswith("warning: on_bad_rows: skip left out the 1 row of kind 'PSR'")


def test_a_spreadsheet_is_told_to_be_saved_as_csv(tmp_path: Path) -> None:
    _files(tmp_path)
    (tmp_path / "facilities.xlsx").write_bytes(b"PK\x03\x04" + bytes(64))
    line = _refused(_run(_scenario(path="facilities.xlsx"), tmp_path), tmp_path, "spreadsheet")
    assert "encoding" not in line


def test_a_swapped_mexican_file_is_called_swapped_not_out_of_range(tmp_path: Path) -> None:
    # Mexico's longitudes are beyond ±90: read as latitudes they are out of range
    _files(tmp_path, "id;name;lon;lat;beds\nM1;La Raza;19.4662;-99.1442;400\n")
    (tmp_path / "places.csv").write_text(
        "id,name,lon,lat,population\n09015,Cuauhtémoc,-99.1469,19.4337,545884\n"
    )
    scenario = _scenario()
    scenario["base"] = "mexico"
    scenario["geography"] = {"countries": ["MX"], "sectors": None}  # the file's own hospitals
    line = _refused(_run(scenario, tmp_path), tmp_path, "row 2, column 'lat'")
    assert "look swapped" in line and "out of range" not in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "base: chile\ndays: 3\nseed: 2\ndays: 5\n",
            "line 4: key 'days' appears twice in one mapping (first on line 2)",
        ),
        (
            "base: chile\ndata:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
                for i in range(8)
            ),
            "expand to more than 100,000 values",
        ),
    ],
    ids=["duplicate-key", "billion-laughs-under-data"],
)
def test_yaml_tricks_are_refused_quickly(tmp_path: Path, text: str, expected: str) -> None:
    _refused(_run(text, tmp_path), tmp_path, expected)


def _without(module: str, where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m regional ARGS`` in a Python where ``module`` cannot be imported."""
    hook = where / f"no-{module}"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r} or name.startswith({module + '.'!r}):\n"
        f"            raise ImportError('No module named {module}')\n"
        "sys.meta_path.insert(0, _Refuse())\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{hook}:{ROOT}"}
    return subprocess.run(
        [sys.executable, "-m", "regional", *args],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_workers_without_ray_leave_no_stub(tmp_path: Path) -> None:
    args = ("run", "chile", "--days", "1", "--workers", "2", "--quiet", "--out", "out")
    line = _refused(_without("ray", tmp_path, *args), tmp_path, "--workers 2 needs Ray")
    assert "install the `ray` extra" in line


def test_plot_without_matplotlib_names_the_extra(tmp_path: Path) -> None:
    done = _without("matplotlib", tmp_path, "plot", "runs/somewhere")
    line = _refused(done, tmp_path, "regional plot needs matplotlib")
    assert "install the `plot` extra" in line


# -- valid edge cases that must load -----------------------------------------------------------


def _check(where: Path, scenario: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    (where / "s.yaml").write_text(yaml.safe_dump(scenario, allow_unicode=True))
    return regional("check", "s.yaml", cwd=where)


@pytest.mark.parametrize(
    ("facilities", "settings"),
    [
        (FACILITIES.replace("beds\n", "beds;notes\n", 1).replace("400\n", "400;extra\n"), {}),
        ("\ufeff" + FACILITIES, {}),
        (FACILITIES.replace("\n", "\r\n"), {}),
        (FACILITIES.replace("del Salvador", "Peñalolén"), {"encoding": "latin-1"}),
        (
            FACILITIES.replace("-70.6275;-33.4378", "-70,6275;-33,4378")
            .replace("-71.6197;-33.0336", "-71,6197;-33,0336")
            .replace("-73.0503;-36.8186", "-73,0503;-36,8186"),
            {"decimal": ","},
        ),
    ],
    ids=["extra-columns", "byte-order-mark", "crlf", "latin-1-declared", "decimal-comma-declared"],
)
def test_valid_edge_cases_load(tmp_path: Path, facilities: str, settings: dict[str, Any]) -> None:
    encoding = settings.get("encoding", "utf-8")
    _files(tmp_path, facilities, encoding=encoding)
    done = _check(tmp_path, _scenario(**copy.deepcopy(settings)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("handmade: 3 facilities (3 hospitals, 0 clinics), 3 places")
