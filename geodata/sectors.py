"""Health-system sectors of each country: their shares of beds, ICU beds and people.

A scenario simulates the sectors it names (``geography.sectors``); its network holds those
sectors' beds and ICU beds, and their people's admissions, so that demand and capacity are of
the same system. Shares are of the national totals in ``geodata.facilities.COUNTRY_RULES``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sector:
    """One sector's share of a country's health system (shares in 0..1).

    Attributes:
        bed_share: share of the country's hospital beds (and of its hospitals and nurses).
        icu_share: share of its ICU beds.
        population_share: share of its people the sector covers.
        admissions_per_1000_year: admissions a year per 1,000 covered people.
        source: where the figures come from.
    """

    bed_share: float
    icu_share: float
    population_share: float
    admissions_per_1000_year: float
    source: str


COUNTRY_SECTORS: dict[str, dict[str, Sector]] = {
    "BR": {
        "sus": Sector(
            bed_share=0.675,
            icu_share=0.497,
            population_share=0.713,
            admissions_per_1000_year=78.5,
            source="beds and ICU beds: CNES 2025 (OpenDataSUS Hospitais e Leitos), SUS beds "
            "350,077 of 518,544 and SUS ICU beds 31,766 of 63,917; people: derived from the "
            "CFM ICU rates, 21.3 per 100k overall = 10.4 (SUS) x s + 48.4 (private) x (1 - s), "
            "s = 0.713; admissions: 11.6M SUS admissions (2017, docs/sources.md) over those people",
        ),
        "supplementary": Sector(
            bed_share=0.325,
            icu_share=0.503,
            population_share=0.287,
            admissions_per_1000_year=78.5,
            source="beds, ICU beds and people: the rest of CNES 2025 and of the CFM split; "
            "admissions per covered person as SUS's (assumption)",
        ),
    },
    "CL": {
        "fonasa": Sector(
            bed_share=0.70,
            icu_share=0.70,
            population_share=0.78,
            admissions_per_1000_year=85.0,
            source="assumption: FONASA covers about 78% of Chileans and the public network "
            "(DEIS 2026: 192 of the 382 open hospitals and clinics, the larger ones) has "
            "about 70% of the beds; "
            "admissions per person as the national 85 per 1,000 (Health at a Glance LAC 2023)",
        ),
        "private": Sector(
            bed_share=0.30,
            icu_share=0.30,
            population_share=0.22,
            admissions_per_1000_year=85.0,
            source="assumption: the rest of FONASA's figures (ISAPRE and other insurance)",
        ),
    },
    "MX": {
        "imss": Sector(
            bed_share=0.285,
            icu_share=0.285,
            population_share=0.40,
            admissions_per_1000_year=52.2,
            source="beds: CLUES c. 2018, IMSS's 5,989 of Mexico City's 20,984 hospital beds "
            "(ICU beds alike, assumption); people: assumption; admissions: the public "
            "system's 47 per 1,000 Mexicans (16,000 a day, 2018, docs/sources.md) over the 90% of "
            "them that its three sectors cover",
        ),
        "issste": Sector(
            bed_share=0.088,
            icu_share=0.088,
            population_share=0.08,
            admissions_per_1000_year=52.2,
            source="beds: CLUES c. 2018, ISSSTE's 1,848 of Mexico City's 20,984; people: "
            "assumption; admissions as IMSS",
        ),
        "bienestar": Sector(
            bed_share=0.374,
            icu_share=0.374,
            population_share=0.42,
            admissions_per_1000_year=52.2,
            source="IMSS-Bienestar and the state health services (SSA): CLUES c. 2018, SSA, "
            "SEDENA, PEMEX, SEMAR and others, 7,842 of Mexico City's 20,984 beds; people: "
            "assumption (the uninsured); admissions as IMSS",
        ),
        "private": Sector(
            bed_share=0.253,
            icu_share=0.253,
            population_share=0.10,
            admissions_per_1000_year=52.2,
            source="beds: CLUES c. 2018, Mexico City's 451 private units, 5,305 of 20,984 "
            "beds; people: assumption; admissions as IMSS",
        ),
    },
}


@dataclass(frozen=True)
class SectorMix:
    """What a set of sectors holds of its country's system."""

    bed_share: float
    icu_share: float
    population_share: float
    admissions_per_1000_people_year: float  # per 1,000 of all people, covered or not


def sector_mix(country: str, names: Iterable[str]) -> SectorMix:
    """The shares of ``names`` (sectors of ``country``) added up.

    Raises:
        KeyError: the country has no sector table, or one of ``names`` is not its sector;
            the message says which and lists the sectors it has.
    """
    table = COUNTRY_SECTORS.get(country)
    if table is None:
        known = ", ".join(sorted(COUNTRY_SECTORS))
        raise KeyError(f"{country} has no sector table (countries with one: {known})")
    chosen = list(dict.fromkeys(names))
    for name in chosen:
        if name not in table:
            raise KeyError(
                f"{name!r} is not a sector of {country}; its sectors are {', '.join(table)}"
            )
    sectors = [table[n] for n in chosen]
    return SectorMix(
        bed_share=sum(s.bed_share for s in sectors),
        icu_share=sum(s.icu_share for s in sectors),
        population_share=sum(s.population_share for s in sectors),
        admissions_per_1000_people_year=sum(
            s.population_share * s.admissions_per_1000_year for s in sectors
        ),
    )
