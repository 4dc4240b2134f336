"""Published figures the twin is checked against, each with its source, band and role.

A target's role says what the twin may claim from it:

- ``input``: a parameter is set from this figure; the check shows the run carries it through.
- ``calibrated``: a parameter was chosen so that the twin reproduces this figure.
- ``held_out``: nothing was set or tuned from it; agreement is evidence.
- ``context``: not comparable with an ordinary season (a COVID-era or single-site figure);
  shown so that a reader sees the distance, never counted as a pass or a failure.

The band is the range a reader should accept as agreement: the published range where there is
one, otherwise the stated uncertainty of the figure (see each ``band_reason``).

A target's scope says what it counts: ``simulated``, the sectors the built-in simulates (Brazil's
SUS, Mexico's public system); ``whole``, every sector (a registry of all hospitals), read from
a network of all sectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["input", "calibrated", "held_out", "context"]
Scope = Literal["simulated", "whole"]


@dataclass(frozen=True)
class Target:
    """One published figure of one country."""

    country: str
    key: str
    value: float
    low: float
    high: float
    role: Role
    source: str
    band_reason: str
    scope: Scope = "simulated"


# Measured keys, their label and unit (the measures module computes each of them).
LABELS: dict[str, tuple[str, str]] = {
    "hospitals": ("hospitals", "count"),
    "rural_posts": ("rural health posts", "count"),
    "beds_per_1000": ("hospital beds per 1,000 people", "per 1,000"),
    "icu_beds_per_100k": ("ICU beds per 100,000 people", "per 100k"),
    "share_hospitals_with_icu": ("hospitals with an ICU", "share"),
    "hospital_beds_p10": ("hospital size, 10th percentile", "beds"),
    "hospital_beds_p50": ("hospital size, median", "beds"),
    "hospital_beds_p90": ("hospital size, 90th percentile", "beds"),
    "share_hospitals_under_50_beds": ("hospitals under 50 beds", "share"),
    "icu_unit_beds_p50": ("ICU unit size, median", "beds"),
    "admissions_per_1000_year": ("admissions per 1,000 people a year", "per 1,000"),
    "ward_occupancy_mean": ("ward occupancy, mean", "share"),
    "icu_occupancy_mean": ("ICU occupancy, mean", "share"),
    "icu_occupancy_winter_peak": ("ICU occupancy, winter peak (daily)", "share"),
    "critical_occupancy_mean": ("critical-care (ICU + intermediate) occupancy, mean", "share"),
    "critical_occupancy_winter_peak": (
        "critical-care occupancy, winter peak (daily)",
        "share",
    ),
    "intermediate_beds_per_100k": ("intermediate-care beds per 100,000 people", "per 100k"),
    "alos_days": ("average length of stay", "days"),
    "icu_share_of_admissions": ("admissions that reach an ICU", "share"),
    "ventilated_share_of_icu": ("ICU patients ventilated", "share"),
    "in_hospital_mortality": ("in-hospital mortality", "share"),
    "icu_patients_hospital_mortality": ("hospital mortality of ICU patients", "share"),
    "critical_respiratory_transfers_per_day": (
        "critical-care respiratory transfers a day",
        "per day",
    ),
    "teleconsult_resolution": ("teleconsults resolved without referral", "share"),
}

_CNES = "CNES hospitals and beds, OpenDataSUS 2025-01..03 (7,189 hospitals; derived)"
_ORCHESTRA = "ORCHESTRA, Crit Care 2013 (cc14585): 78 Brazilian ICUs"

# fmt: off
TARGETS: tuple[Target, ...] = (
    Target("CL", "hospitals", 231, 220, 242, "input",
           "DEIS establishment list 2026-03-10",
           "registry count, +-5% for hospitals the list classes otherwise", "whole"),
    Target("CL", "rural_posts", 1139, 1025, 1253, "input",
           "DEIS establishment list 2026-03-10 (postas de salud rural)",
           "registry count; rural_posts_per_100k is set from it", "whole"),
    Target("CL", "beds_per_1000", 1.9, 1.8, 2.0, "input",
           "OECD Health Statistics 2025",
           "one decimal published", "whole"),
    Target("CL", "admissions_per_1000_year", 85, 80, 100, "input",
           "Health at a Glance LAC 2023: discharges above 85 per 1,000 (2021)",
           "published as a lower bound"),
    Target("CL", "ward_occupancy_mean", 0.71, 0.66, 0.78, "held_out",
           "non-ICU occupancy 71%, IJID model PMC7229979",
           "one published value; +-5 points of day-to-day spread"),
    Target("CL", "icu_beds_per_100k", 11.3, 10.2, 12.4, "input",
           "MINSAL via press: 4,528 adult critical beds in 2025, about half intensive (derived)",
           "+-10% for the half", "whole"),
    Target("CL", "intermediate_beds_per_100k", 11.3, 10.2, 12.4, "input",
           "MINSAL via press: 4,528 adult critical beds in 2025, about half intermediate (derived)",
           "+-10% for the half", "whole"),
    Target("CL", "critical_occupancy_mean", 0.84, 0.8, 0.92, "held_out",
           "MINSAL via press: adult critical beds (ICU + intermediate) usually above 84%",
           "published as 'usually above'"),
    Target("CL", "critical_occupancy_winter_peak", 0.905, 0.87, 0.95, "held_out",
           "MINSAL via press: winter peaks 89.1% (2023) and 91.4% (2025)",
           "the two winters' range widened by 2 points"),
    Target("CL", "critical_respiratory_transfers_per_day", 6.2, 3.1, 12.4, "held_out",
           "press/SOCHIMI: 1,356 critical-care respiratory transfers 1 Jan-7 Aug 2025 "
           "(derived per day)",
           "one count over a season's part; a factor of 2 either way"),
    Target("CL", "ventilated_share_of_icu", 0.8, 0.7, 0.9, "context",
           "MINSAL 2020: 80% of COVID ICU patients ventilated",
           "COVID-era; an ordinary case mix ventilates fewer"),
    Target("BR", "hospitals", 6398, 6078, 7548, "input",
           "CNES 2023-2024 (6,398); 7,189 in 2025",
           "the two registry counts", "whole"),
    Target("BR", "beds_per_1000", 2.1, 2.0, 2.6, "input",
           "CNM/Ministry of Health 2018 (437,565 beds); CNES 2025 518,544 beds (2.4, derived)",
           "the two counts", "whole"),
    Target("BR", "icu_beds_per_100k", 21.3, 19.0, 24.0, "input",
           "CFM 2018-2020",
           "+-10%: complementary beds may include intermediate care", "whole"),
    Target("BR", "share_hospitals_with_icu", 0.337, 0.3, 0.37, "input",
           _CNES,
           "icu_hospital_share is set from it (any ICU 33.7%, adult 30.7%)", "whole"),
    Target("BR", "hospital_beds_p10", 9, 6, 13, "calibrated",
           _CNES,
           "quantile of a registry; +-1/3", "whole"),
    Target("BR", "hospital_beds_p50", 41, 33, 49, "calibrated",
           _CNES,
           "quantile of a registry; +-20%", "whole"),
    Target("BR", "hospital_beds_p90", 171, 137, 205, "calibrated",
           _CNES,
           "quantile of a registry; +-20%", "whole"),
    Target("BR", "share_hospitals_under_50_beds", 0.5625, 0.5, 0.62, "held_out",
           _CNES,
           "+-6 points", "whole"),
    Target("BR", "icu_unit_beds_p50", 12, 9, 15, "held_out",
           _CNES + ": adult ICU beds of hospitals with one",
           "+-25%", "whole"),
    Target("BR", "admissions_per_1000_year", 56, 50, 62, "input",
           "Ministry of Health 2017: 11.6M SUS admissions (derived)",
           "+-10%"),
    Target("BR", "icu_share_of_admissions", 0.361, 0.3, 0.42, "context",
           "Ranzani et al., Lancet Respir Med 2021: 36.1% of COVID hospitalisations",
           "COVID-era; an ordinary year's share is far lower"),
    Target("BR", "ventilated_share_of_icu", 0.56, 0.45, 0.65, "context",
           "PROADI-SUS 2021: COVID ICU patients",
           "COVID-era"),
    Target("BR", "icu_patients_hospital_mortality", 0.143, 0.11, 0.18, "calibrated",
           _ORCHESTRA + "; step-down deaths derived from it",
           "one multicentre figure; +-25%"),
    Target("BR", "teleconsult_resolution", 0.75, 0.65, 0.85, "held_out",
           "TelessaudeRS 2013-2023: about 75% resolved without referral",
           "single programme; +-10 points"),
    Target("MX", "hospitals", 1400, 1260, 1540, "input",
           "Secretaria de Salud 2018: about 1,400 public hospitals",
           "'about'; +-10%"),
    Target("MX", "beds_per_1000", 1.0, 0.9, 1.1, "input",
           "OECD/World Bank, Health at a Glance LAC 2023",
           "one decimal published", "whole"),
    Target("MX", "icu_beds_per_100k", 1.9, 1.7, 2.1, "input",
           "Secretaria de Salud 2020: 2,446 public intensive-therapy beds (derived)",
           "+-10%"),
    Target("MX", "admissions_per_1000_year", 47, 42, 52, "input",
           "Secretaria de Salud 2018: 16,000 a day (derived)",
           "+-10%"),
    Target("MX", "alos_days", 4.0, 3.5, 4.5, "calibrated",
           "OECD 2013: general ALOS 4.0 days",
           "Mexico's ward stays are scaled to reach it (regional/casemix.py)"),
    Target("MX", "icu_occupancy_mean", 0.56, 0.4, 0.85, "context",
           "PAHO via press: ICU occupancy peak 56% in Aug 2020, after 2,446 -> 11,634 beds",
           "measured on an expanded COVID network"),
)
# fmt: on


def targets_for(country: str) -> list[Target]:
    """The targets of one country, in the table's order."""
    return [t for t in TARGETS if t.country == country]


def countries() -> list[str]:
    """Countries with targets."""
    return sorted({t.country for t in TARGETS})
