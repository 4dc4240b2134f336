"""Networks from registry files (``load_registry``) on tiny Chilean files: fills, kinds, hubs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pytest

from geodata.facilities import COUNTRY_RULES
from geodata.loaders import LoadError, Source
from geodata.registry import FacilitySource, Loaded, PlaceSource, load_registry
from geodata.travel import TravelRules

# Four comunas in two regions: 1,373,475 people.
PLACES = """\
id,name,lon,lat,population,region
13101,Santiago,-70.6506,-33.4372,404495,13
13201,Puente Alto,-70.5758,-33.6117,645909,13
05101,Valparaíso,-71.6127,-33.0472,315732,05
05405,Zapallar,-71.4600,-32.5500,7339,05
"""
PEOPLE = 404_495 + 645_909 + 315_732 + 7_339
PLACE_COLUMNS = {"region": "region"}

# A rural post first in the file: facility ids must still put the hospitals first.
FACILITIES = """\
code;nombre;x;y;tipo;nivel;camas;uci
P1;Posta Zapallar;-71.4500;-32.5600;Posta de Salud Rural (PSR);Baja Complejidad;;
H1;Hospital del Salvador;-70.6275;-33.4395;Hospital;Alta Complejidad;{h1_beds};{h1_icu}
H2;Hospital Sótero del Río;-70.5781;-33.5773;Hospital;Baja Complejidad;;
H3;Hospital Carlos van Buren;-71.6127;-33.0480;Hospital;Mediana Complejidad;{h3_beds};
"""
FACILITY_COLUMNS = {
    "id": "code",
    "name": "nombre",
    "lon": "x",
    "lat": "y",
    "kind": "tipo",
    "complexity": "nivel",
}
KINDS = {"Hospital": "hospital", "Posta de Salud Rural (PSR)": "clinic"}
TIERS = {
    "Alta Complejidad": "tertiary",
    "Mediana Complejidad": "regional",
    "Baja Complejidad": "general",
}

# Chile's rules with the figure these cases were worked out for: 14 ICU beds per 100,000
RULES = dataclasses.replace(COUNTRY_RULES["CL"], icu_beds_per_100k=14.0)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _facilities(path: Path, **changes: Any) -> FacilitySource:
    arguments: dict[str, Any] = {
        "columns": FACILITY_COLUMNS,
        "delimiter": ";",
        "kinds": KINDS,
        "tiers": TIERS,
    }
    arguments.update(changes)
    return FacilitySource(path, **arguments)


def _load(
    facilities: FacilitySource,
    places: PlaceSource,
    on_bad_rows: Literal["stop", "skip"] = "stop",
) -> Loaded:
    return load_registry(facilities, places, "CL", RULES, TravelRules(), on_bad_rows)


@pytest.fixture
def places(tmp_path: Path) -> PlaceSource:
    return PlaceSource(_write(tmp_path, "places.csv", PLACES), PLACE_COLUMNS)


def _facility_file(tmp_path: Path, h1_beds: str = "", h1_icu: str = "", h3_beds: str = "") -> Path:
    text = FACILITIES.format(h1_beds=h1_beds, h1_icu=h1_icu, h3_beds=h3_beds)
    return _write(tmp_path, "facilities.csv", text)


def _by_code(loaded: Loaded) -> pd.DataFrame:
    return loaded.facilities.set_index("code")


def _values(facilities: pd.DataFrame, code: str, columns: list[str]) -> list[Any]:
    """One facility's values of some columns, as plain Python numbers."""
    return list(facilities.loc[[code], columns].to_numpy()[0].tolist())


def test_without_beds_every_hospital_is_filled_from_national_figures(
    tmp_path: Path, places: PlaceSource
) -> None:
    loaded = _load(_facilities(_facility_file(tmp_path)), places)
    facilities = _by_code(loaded)
    hospitals = facilities.loc[["H1", "H2", "H3"]]
    # 1.9 beds per 1,000 of 1,373,475 people: 2,610 beds shared 2.0 : 0.8 : 1.4 by tier
    assert round(PEOPLE * 1.9 / 1000) == 2610
    assert int((hospitals["ward_beds"] + hospitals["icu_beds"]).sum()) == 2610
    # 14 ICU beds per 100,000: 192, by beds, referral hospitals first
    assert int(hospitals["icu_beds"].sum()) == round(PEOPLE * 14 / 1e5) == 192
    assert hospitals["ward_beds"].tolist() == [1152, 460, 806]
    assert hospitals["icu_beds"].tolist() == [91, 37, 64]
    assert hospitals["ventilators"].tolist() == [91, 37, 64]  # one per ICU bed
    # 4.4 nurses per 1,000 x 0.6 in hospitals = 3,626 nurses, by the need of their beds at
    # 6 ward and 2 ICU patients a nurse
    assert int(hospitals["nurses"].sum()) == round(PEOPLE * 4.4 / 1000 * 0.6) == 3626
    need = hospitals["ward_beds"] / 6 + hospitals["icu_beds"] / 2
    assert round(3626 / need.sum(), 1) == 7.3
    assert (hospitals["nurses"] / need).round(1).tolist() == [7.3, 7.3, 7.3]
    assert hospitals["icu_nurses"].tolist() == [
        round(n * (i / 2) / d)
        for n, i, d in zip(hospitals["nurses"], hospitals["icu_beds"], need, strict=True)
    ]
    assert _values(facilities, "P1", ["ward_beds", "icu_beds", "ventilators"]) == [0, 0, 0]
    assert loaded.filled["ward_beds"] == "3 of 3 hospitals, from 1.9 beds per 1,000 by tier"
    assert loaded.filled["icu_beds"] == "3 hospitals, from 14.0 ICU beds per 100,000"
    assert loaded.filled["tier"] == "from the complexity level for 4 facilities"
    assert "kind" not in loaded.filled  # the file has kinds
    assert loaded.skipped.empty


def test_given_beds_are_kept_and_only_the_missing_ones_filled(
    tmp_path: Path, places: PlaceSource
) -> None:
    path = _facility_file(tmp_path, h1_beds="300", h1_icu="20", h3_beds="150")
    source = _facilities(
        path, columns={**FACILITY_COLUMNS, "ward_beds": "camas", "icu_beds": "uci"}
    )
    facilities = _by_code(_load(source, places))
    assert _values(facilities, "H1", ["ward_beds", "icu_beds"]) == [300, 20]
    # H3's 150 ward beds stay 150 although its ICU beds are filled (and come on top)
    assert _values(facilities, "H3", ["ward_beds", "icu_beds"]) == [150, 11]
    # H2 gets the rest of the 2,610 beds, less the 470 given; ICU beds: 192 less H1's 20
    assert _values(facilities, "H2", ["ward_beds", "icu_beds"]) == [1979, 161]
    assert int(facilities.loc[["H2", "H3"], "icu_beds"].sum()) == 192 - 20


def test_given_beds_report_what_was_filled(tmp_path: Path, places: PlaceSource) -> None:
    path = _facility_file(tmp_path, h1_beds="300", h1_icu="20", h3_beds="150")
    source = _facilities(
        path, columns={**FACILITY_COLUMNS, "ward_beds": "camas", "icu_beds": "uci"}
    )
    filled = _load(source, places).filled
    assert filled["ward_beds"] == "1 of 3 hospitals, from 1.9 beds per 1,000 by tier"
    assert filled["icu_beds"] == "2 hospitals, from 14.0 ICU beds per 100,000"


def test_kinds_and_tiers_are_mapped(tmp_path: Path, places: PlaceSource) -> None:
    facilities = _by_code(_load(_facilities(_facility_file(tmp_path)), places))
    assert facilities["kind"].to_dict() == {
        "H1": "hospital",
        "H2": "hospital",
        "H3": "hospital",
        "P1": "clinic",
    }
    assert facilities["tier"].to_dict() == {
        "H1": "tertiary",
        "H2": "general",
        "H3": "regional",
        "P1": "clinic",
    }


def test_an_unmapped_complexity_level_makes_a_general_hospital(
    tmp_path: Path, places: PlaceSource
) -> None:
    text = _facility_file(tmp_path).read_text().replace("Alta Complejidad", "Pendiente")
    facilities = _by_code(_load(_facilities(_write(tmp_path, "f.csv", text)), places))
    assert _values(facilities, "H1", ["tier"])[0] == "general"


def test_without_a_kind_column_every_facility_is_a_hospital(
    tmp_path: Path, places: PlaceSource
) -> None:
    columns = {k: v for k, v in FACILITY_COLUMNS.items() if k != "kind"}
    loaded = _load(_facilities(_facility_file(tmp_path), columns=columns, kinds={}), places)
    assert set(loaded.facilities["kind"]) == {"hospital"}
    assert loaded.filled["kind"] == "every one of 4 facilities taken as a hospital"


def test_facility_ids_put_hospitals_first_in_file_order(
    tmp_path: Path, places: PlaceSource
) -> None:
    facilities = _load(_facilities(_facility_file(tmp_path)), places).facilities
    assert facilities["facility_id"].tolist() == [0, 1, 2, 3]
    assert facilities["code"].tolist() == ["H1", "H2", "H3", "P1"]
    assert facilities["name"].tolist()[0] == "Hospital del Salvador"


def test_one_hub_per_region_and_clinics_link_to_their_regions_hub(
    tmp_path: Path, places: PlaceSource
) -> None:
    facilities = _by_code(_load(_facilities(_facility_file(tmp_path)), places))
    assert facilities["region"].to_dict() == {
        "H1": "CL-13",
        "H2": "CL-13",
        "H3": "CL-05",
        "P1": "CL-05",
    }
    hubs = facilities[facilities["is_hub"]]
    assert hubs.groupby("region").size().to_dict() == {"CL-05": 1, "CL-13": 1}
    # the tertiary hospital leads Santiago's region, the regional one Valparaíso's
    assert sorted(hubs.index) == ["H1", "H3"]
    assert (
        _values(facilities, "P1", ["hub_id"])[0]
        == _values(facilities, "H3", ["facility_id"])[0]
        == 2
    )
    assert (facilities.loc[["H1", "H2", "H3"], "hub_id"] == -1).all()


def test_an_unknown_kind_stops_the_load_naming_row_and_column(
    tmp_path: Path, places: PlaceSource
) -> None:
    text = (
        _facility_file(tmp_path)
        .read_text()
        .replace("Posta de Salud Rural (PSR)", "Centro de Salud Familiar (CESFAM)")
    )
    path = _write(tmp_path, "f.csv", text)
    with pytest.raises(LoadError) as caught:
        _load(_facilities(path), places)
    assert str(caught.value).startswith(
        f"{path}: row 2, column 'kind': 'Centro de Salud Familiar (CESFAM)' is not in `kinds:`"
    )
    assert "\n" not in str(caught.value)


def test_an_unknown_kind_is_skipped_and_reported(tmp_path: Path, places: PlaceSource) -> None:
    text = (
        _facility_file(tmp_path)
        .read_text()
        .replace("Posta de Salud Rural (PSR)", "Centro de Salud Familiar (CESFAM)")
    )
    path = _write(tmp_path, "f.csv", text)
    loaded = _load(_facilities(path), places, on_bad_rows="skip")
    assert loaded.facilities["code"].tolist() == ["H1", "H2", "H3"]
    assert loaded.skipped[["file", "row", "column"]].values.tolist() == [[str(path), 2, "kind"]]
    assert "CESFAM" in str(loaded.skipped["problem"].iat[0])


def test_kinds_without_a_mapping_must_be_ours(tmp_path: Path, places: PlaceSource) -> None:
    text = "id,lon,lat,kind\nA,-70.6275,-33.4395,Hospital\nB,-71.45,-32.56,Posta\n"
    path = _write(tmp_path, "f.csv", text)
    with pytest.raises(LoadError, match=r"f\.csv: row 3, column 'kind': 'Posta'"):
        _load(FacilitySource(path), places)
    good = _write(tmp_path, "g.csv", text.replace("Posta", "Clinic"))
    facilities = _load(FacilitySource(good), places).facilities
    assert facilities["kind"].tolist() == ["hospital", "clinic"]


def test_given_tiers_must_be_ours(tmp_path: Path, places: PlaceSource) -> None:
    text = "id,lon,lat,tier\nA,-70.6275,-33.4395,Tertiary\nB,-70.5781,-33.5773,Nivel 2\n"
    path = _write(tmp_path, "f.csv", text)
    with pytest.raises(LoadError, match=r"f\.csv: row 3, column 'tier': 'Nivel 2'"):
        _load(FacilitySource(path), places)
    loaded = _load(FacilitySource(path), places, on_bad_rows="skip")
    assert loaded.facilities[["code", "tier"]].values.tolist() == [["A", "tertiary"]]
    assert loaded.skipped[["row", "column"]].values.tolist() == [[3, "tier"]]


def test_skipped_rows_have_whole_row_numbers(tmp_path: Path, places: PlaceSource) -> None:
    text = "id,lon,lat\nA,-70.6275,-33.4395\nB,,-33.5\n"
    loaded = _load(FacilitySource(_write(tmp_path, "f.csv", text)), places, on_bad_rows="skip")
    assert loaded.skipped["row"].tolist() == [3]
    assert loaded.skipped["row"].dtype.kind == "i"  # 3, not 3.0, in skipped_rows.csv


def test_places_keep_their_codes_as_text_and_their_people(
    tmp_path: Path, places: PlaceSource
) -> None:
    loaded = _load(_facilities(_facility_file(tmp_path)), places)
    by_code = loaded.places.set_index("code")
    assert by_code["population"].to_dict() == {
        "13201": 645909,
        "13101": 404495,
        "05101": 315732,
        "05405": 7339,
    }
    assert by_code["region"].to_dict() == {
        "13201": "CL-13",
        "13101": "CL-13",
        "05101": "CL-05",
        "05405": "CL-05",
    }
    assert loaded.places["place_id"].tolist() == [2, 1, 3, 4]  # file order, biggest first


def _joined_places(tmp_path: Path, people: str, **changes: Any) -> PlaceSource:
    """Comuna points whose ids a spreadsheet wrote as numbers, people from the INE file."""
    points = _write(
        tmp_path,
        "comunas.csv",
        "cod,comuna,x,y\n"
        "13101.0,Santiago,-70.6506,-33.4372\n"
        "13201.0,Puente Alto,-70.5758,-33.6117\n"
        "5101.0,Valparaíso,-71.6127,-33.0472\n"
        "0.0,Zona sin demarcar,-73.5,-49.0\n",
    )
    people_path = _write(tmp_path, "poblacion.csv", people)
    arguments: dict[str, Any] = {
        "columns": {"id": "cod", "name": "comuna", "lon": "x", "lat": "y"},
        "population_from": Source(people_path, {"id": "Codigo comuna", "population": "Poblacion"}),
    }
    arguments.update(changes)
    return PlaceSource(points, **arguments)


PEOPLE_FILE = (
    "Comuna,Codigo comuna,Poblacion\n"
    "Santiago,13101,404495.0\n"
    "Puente Alto,13201,645909.0\n"
    "Valparaíso,5101,315732.0\n"
    "Desconocido Valparaíso,,\n"
)


def test_people_from_a_second_file_join_on_codes_without_dot_zero(tmp_path: Path) -> None:
    loaded = _load(_facilities(_facility_file(tmp_path)), _joined_places(tmp_path, PEOPLE_FILE))
    assert loaded.places.set_index("code")["population"].to_dict() == {
        "13201": 645909,
        "13101": 404495,
        "5101": 315732,
    }
    # the place without people is left out, and says so
    assert "1 of 4 places" in loaded.filled["population"]
    assert "'0'" in loaded.filled["population"]


def test_join_on_the_first_characters_of_the_codes(tmp_path: Path) -> None:
    # Brazil's way: 7-digit IBGE codes on the map, 6-digit ones beside the people
    people = PEOPLE_FILE.replace(",13101,", ",1310,").replace(",13201,", ",1320,")
    places = _joined_places(tmp_path, people, key_chars=4)
    codes = _load(_facilities(_facility_file(tmp_path)), places).places["code"].tolist()
    assert codes == ["13201", "13101", "5101"]


def test_a_bad_population_stops_the_load_naming_the_population_file(tmp_path: Path) -> None:
    people = PEOPLE_FILE.replace("645909.0", "n/a")
    places = _joined_places(tmp_path, people)
    with pytest.raises(LoadError) as caught:
        _load(_facilities(_facility_file(tmp_path)), places)
    assert str(caught.value).startswith(
        f"{tmp_path / 'poblacion.csv'}: row 3, column 'population': not a number ('n/a')"
    )


def test_a_bad_population_is_skipped_and_reported(tmp_path: Path) -> None:
    people = PEOPLE_FILE.replace("645909.0", "-645909")
    loaded = _load(
        _facilities(_facility_file(tmp_path)),
        _joined_places(tmp_path, people),
        on_bad_rows="skip",
    )
    assert loaded.places["code"].tolist() == ["13101", "5101"]
    assert loaded.skipped[["file", "row", "column"]].values.tolist() == [
        [str(tmp_path / "poblacion.csv"), 3, "population"]
    ]


def test_no_matching_ids_between_the_two_files(tmp_path: Path) -> None:
    places = _joined_places(tmp_path, "Codigo comuna,Poblacion\n99999,10\n")
    with pytest.raises(LoadError, match="no id matches the places"):
        _load(_facilities(_facility_file(tmp_path)), places)


def test_a_nurse_headcount_is_kept_and_split_by_need(tmp_path: Path, places: PlaceSource) -> None:
    """H1 (300 ward, 20 ICU beds) has 36 nurses: its beds need 50 + 10 nurses on duty, so 6
    of the 36 are the ICU's; H3 has no count and gets the country's nurses per need."""
    text = (
        "code;nombre;x;y;tipo;nivel;camas;uci;enfermeras\n"
        "H1;Hospital del Salvador;-70.6275;-33.4395;Hospital;Alta Complejidad;300;20;36\n"
        "H3;Hospital Carlos van Buren;-71.6127;-33.0480;Hospital;Mediana Complejidad;150;6;\n"
    )
    columns = {**FACILITY_COLUMNS, "ward_beds": "camas", "icu_beds": "uci", "nurses": "enfermeras"}
    loaded = _load(_facilities(_write(tmp_path, "f.csv", text), columns=columns), places)
    staff = ["ward_nurses", "icu_nurses", "nurses"]
    assert _values(_by_code(loaded), "H1", staff) == [30, 6, 36]
    # 3,626 nurses for the 60 + 28 nurses the two hospitals' beds need: 41.2 a needed nurse
    h3 = _values(_by_code(loaded), "H3", staff)
    assert h3[2] == round(3626 / (60 + 28) * 28) and h3[1] == round(h3[2] * 3 / 28)
    assert loaded.filled["nurses"].startswith("1 of 2 hospitals, 41.20 nurses per nurse")
