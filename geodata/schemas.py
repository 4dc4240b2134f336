"""What each kind of user file must hold, declared once: its required columns (ours, after the
mapping), its counts with their largest plausible value, its key and what that key refers to.

``geodata.loaders`` checks every file against its kind (coordinates, counts, keys) and the
registry checks the references across files; the messages name the file, the row as a
spreadsheet shows it, the column, the value and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# The largest count a row may hold. Beds and staff: the largest hospitals of the region have a
# few thousand beds (Hospital das Clínicas de São Paulo about 2,400) and staff; a hundred
# thousand is beyond any of them, and far below where a count stops fitting our 32-bit
# columns. People of one place: the largest municipality, São Paulo, has 11.5 million
# (IBGE 2022); a hundred million is beyond any place and below a whole country (assumption).
MAX_FACILITY_COUNT = 100_000
MAX_PLACE_PEOPLE = 100_000_000
# Minutes of a trip in a travel matrix: a week, beyond any road or river trip (assumption).
MAX_TRIP_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class FileKind:
    """One kind of user file.

    Attributes:
        name: what the file is, as messages say it.
        required: our columns the file must have (after ``columns:``).
        counts: our count columns and the largest value each may hold (whole, not negative).
        fillable: counts whose empty cell means "not known" (filled by the registry's rules).
        key: the column that identifies a row (unique within the file), if any.
        refers_to: what the key (or ``from_id``/``to_id``) must match in another file.
        coordinates: whether rows carry ``lon``/``lat`` checked against the country.
    """

    name: str
    required: tuple[str, ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    fillable: frozenset[str] = frozenset()
    key: str | None = "id"
    refers_to: str = ""
    coordinates: bool = True


_STAFF_AND_BEDS = ("beds", "ward_beds", "icu_beds", "ventilators", "nurses", "physicians")

FACILITIES = FileKind(
    "facilities",
    required=("id", "lon", "lat"),
    counts=MappingProxyType(dict.fromkeys(_STAFF_AND_BEDS, MAX_FACILITY_COUNT)),
    fillable=frozenset(_STAFF_AND_BEDS),
)
PLACES = FileKind(
    "places",
    required=("id", "lon", "lat", "population"),
    counts=MappingProxyType({"population": MAX_PLACE_PEOPLE}),
)
PLACE_GEOMETRY = FileKind(
    "places (people from another file)", required=("id", "lon", "lat"), counts={}
)
POPULATIONS = FileKind(
    "populations",
    required=("id", "population"),
    counts=MappingProxyType({"population": MAX_PLACE_PEOPLE}),
    refers_to="the ids of the places file (compared as text, optionally on key_chars)",
    coordinates=False,
)
TRAVEL_MATRIX = FileKind(
    "travel matrix",
    required=("from_id", "to_id", "minutes"),
    key=None,
    refers_to="from_id: a place or facility id; to_id: a facility id",
    coordinates=False,
)
BOUNDARY = FileKind("boundary", required=(), key=None, coordinates=False)

KINDS = (FACILITIES, PLACES, PLACE_GEOMETRY, POPULATIONS, TRAVEL_MATRIX, BOUNDARY)
# every count any kind declares, with its largest value (a column is one count in all kinds)
ALL_COUNTS: Mapping[str, int] = MappingProxyType(
    {column: top for kind in KINDS for column, top in kind.counts.items()}
)
