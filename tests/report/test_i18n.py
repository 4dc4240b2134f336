"""Labels, number formats and region names of the report."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geodata.regions import ADMIN1, region_name
from regional.report.i18n import LABELS, LANGUAGES, Language


def test_spanish_and_portuguese_write_a_decimal_comma_english_a_point() -> None:
    assert Language("es").number(1234.5, 1) == "1.234,5"
    assert Language("pt").number(1234.5, 1) == "1.234,5"
    assert Language("en").number(1234.5, 1) == "1,234.5"
    assert Language("es").percent(0.953) == "95,3\u00a0%"
    assert Language("pt").percent(0.953) == "95,3%"
    assert Language("en").number(None) == "–"
    assert Language("es").date(dt.date(2025, 6, 1)) == "1 jun 2025"
    assert Language("pt").date(dt.date(2025, 2, 3)) == "3 fev 2025"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 3))
def test_a_number_reads_back_the_same_in_every_language(value: float, digits: int) -> None:
    english = Language("en").number(value, digits)
    for code in ("es", "pt"):
        text = Language(code).number(value, digits)
        assert float(text.replace(".", "").replace(",", ".")) == float(english.replace(",", ""))


def test_every_label_is_in_every_language() -> None:
    for key, texts in LABELS.items():
        assert set(texts) == set(LANGUAGES), key


def test_an_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="--lang fr: unknown language; expected one of es, pt, en"):
        Language("fr")


def test_regions_are_named_not_coded() -> None:
    assert region_name("CL-01") == "Valparaíso"
    assert region_name("CL-12") == "Metropolitana de Santiago"
    assert region_name("BR-27") == "São Paulo"
    assert region_name("MX-09") == "Ciudad de México"
    assert len(ADMIN1["BR"]) == 27 and len(ADMIN1["MX"]) == 32 and len(ADMIN1["CL"]) == 16
    # another country's region: the code, with its largest GeoNames city when known
    assert region_name("PE-15").endswith("(PE-15)")
    assert region_name("XX-99") == "XX-99"
