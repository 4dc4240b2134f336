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
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SCENARIO_SCHEMA_VERSION = 1
CONDITIONS = ("respiratory", "cardiac", "trauma", "obstetric", "other")


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message is one line a user can act on."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Condition(_Strict):
    """One condition group's clinical course. Shares are relative weights."""

    share: float = Field(gt=0, description="relative share of episodes off season")
    p_icu: float = Field(ge=0, le=1, description="share of hospitalised that need ICU")
    p_ventilator: float = Field(ge=0, le=1, description="share of ICU patients ventilated")
    p_escalate: float = Field(ge=0, le=1, description="share of ward patients moved to ICU")
    los_ward_days: float = Field(gt=0, le=120)
    los_icu_days: float = Field(gt=0, le=120)
    p_death_ward: float = Field(ge=0, le=1)
    p_death_icu: float = Field(ge=0, le=1)
    p_death_ventilated: float = Field(ge=0, le=1)
    seasonal: bool = False


def _default_conditions() -> dict[str, Condition]:
    # Shares, ICU and mortality shares: assumptions anchored on LATAM.md (general ICU mortality
    # 9.6%, ventilated 34%, ORCHESTRA/ERICC; ICU LOS between the median of 2 days in private
    # ICUs and the 11.3-day mean in Rio's regulated public ICUs; general ALOS 4.0 days, MX OECD;
    # pneumonia/influenza 5.3-9.4 days, SIH-SUS).
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
        default=None, gt=0, le=500, description="None: the country's published figure"
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
    diurnal_amplitude: float = Field(default=0.35, ge=0, lt=1)
    diurnal_peak_hour: float = Field(default=13.0, ge=0, lt=24)
    weekly_profile: list[float] = Field(
        default_factory=lambda: [1.10, 1.04, 1.00, 1.00, 0.98, 0.94, 0.94],
        description="relative demand Monday..Sunday (assumption)",
    )
    respiratory_season_amplitude: float = Field(
        default=0.4, ge=0, le=10, description="peak over trough, CL +40% (LATAM.md)"
    )
    season_peak_day_south: int = Field(default=185, ge=1, le=366)
    season_peak_day_north: int = Field(default=30, ge=1, le=366)
    season_peak_day_equatorial: int = Field(default=105, ge=1, le=366)
    equatorial_band_deg: float = Field(default=8.0, ge=0, le=30)
    conditions: dict[str, Condition] = Field(default_factory=_default_conditions)
    surges: list[Surge] = Field(default_factory=list)
    los_distribution: Literal["lognormal", "exponential"] = "lognormal"
    los_cv: float = Field(
        default=0.9, gt=0, le=3, description="coefficient of variation (lognormal)"
    )

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
            else:
                merged[name] = fields
        return merged


class ExtraBeds(_Strict):
    """A what-if: beds added to (or removed from) one facility, named by its code or name."""

    facility: str
    ward_beds: int = 0
    icu_beds: int = 0
    ventilators: int = 0


class Capacity(_Strict):
    """Facility capacities. ``None`` takes the country's published figure (geodata.facilities)."""

    hospitals_per_100k: float | None = Field(default=None, gt=0, le=100)
    beds_per_1000: float | None = Field(default=None, gt=0, le=50)
    icu_beds_per_100k: float | None = Field(default=None, ge=0, le=500)
    ventilators_per_icu_bed: float | None = Field(default=None, ge=0, le=10)
    ward_patients_per_nurse: float = Field(default=6.0, gt=0, le=50)
    icu_patients_per_nurse: float = Field(default=2.0, gt=0, le=20)
    absenteeism: float = Field(default=0.0, ge=0, lt=1, description="share of nurses off shift")
    initial_ward_occupancy: float = Field(
        default=0.70, ge=0, le=1, description="census at start; CL non-ICU 71% (LATAM.md)"
    )
    initial_icu_occupancy: float = Field(
        default=0.80, ge=0, le=1, description="census at start; CL critical beds >84% (LATAM.md)"
    )
    extra_beds: list[ExtraBeds] = Field(default_factory=list)


class Care(_Strict):
    """Pathway timings and rules (assumptions unless noted)."""

    ed_treat_hours: float = Field(default=3.0, gt=0, le=72)
    clinic_stabilise_hours: float = Field(default=1.0, ge=0, le=72)
    clinic_treat_hours: float = Field(default=2.0, gt=0, le=72)
    transfer_after_hours_ward: float = Field(default=12.0, ge=0, le=720)
    transfer_after_hours_icu: float = Field(default=4.0, ge=0, le=720)
    transfer_retry_hours: float = Field(default=4.0, gt=0, le=720)
    transfer_dispatch_minutes: float = Field(default=45.0, ge=0, le=1440)
    max_transfer_hours: float = Field(default=12.0, gt=0, le=96)
    max_transfers_per_patient: int = Field(
        default=2, ge=0, le=20, description="after these, a patient waits where they are"
    )
    death_risk_per_waiting_day: float = Field(
        default=0.2, ge=0, le=10, description="relative rise of mortality per day waiting"
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
        description="hours waited for a bed after which an ICU request ends (None: no limit)",
    )
    icu_wait_death_share: float = Field(
        default=0.27,
        ge=0,
        le=1,
        description="share of ended ICU requests that end in death (Rio: 20 of 75)",
    )


class Telemedicine(_Strict):
    """Rural clinics linked to their region's hub hospital."""

    coverage: float = Field(default=0.6, ge=0, le=1, description="share of clinics with a link")
    specialists_per_hub: int | None = Field(
        default=None, ge=1, le=500, description="None: one per clinics_per_specialist linked"
    )
    clinics_per_specialist: float = Field(
        default=15.0,
        gt=0,
        le=10_000,
        description="linked clinics one specialist on duty answers for (assumption)",
    )
    consult_minutes: float = Field(default=30.0, gt=0, le=10_080)
    resolve_share: float = Field(
        default=0.75, ge=0, le=1, description="TelessaúdeRS: ~75% resolved without referral"
    )
    resolve_share_ward: float = Field(
        default=0.25, ge=0, le=1, description="ward-level cases kept at the clinic (assumption)"
    )
    refer_share_without_link: float = Field(default=0.6, ge=0, le=1)


class Geography(_Strict):
    """Places, facility synthesis and travel times."""

    countries: list[str] = Field(min_length=1)
    min_place_population: int = Field(default=500, ge=500, le=10_000_000)
    circuity: float = Field(default=1.3, ge=1, le=5)
    speed_urban_kmh: float = Field(default=30.0, gt=0, le=300)
    speed_rural_kmh: float = Field(default=60.0, gt=0, le=300)
    speed_remote_kmh: float = Field(default=25.0, gt=0, le=300)
    clinic_max_access_minutes: float = Field(default=45.0, gt=0, le=10_000)


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


class Scenario(_Strict):
    """A whole scenario: what to simulate, from when, for how long, and how to cut it."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    start: dt.datetime
    days: float = Field(default=30.0, gt=0, le=3660)
    seed: int = Field(default=42, ge=0, lt=2**63)
    # The window is the lookahead of the shard protocol. Two hours: (1) what crosses
    # facilities is slower than that or may be seen that late (an ambulance needs its dispatch
    # time plus the trip; the capacity board of a bed-regulation centre is refreshed a few times
    # a shift), so decisions read a board at most two hours old; (2) each window costs one
    # round of Arrow messages, about 5 ms with 2-4 Ray actors, against 40-150 ms of compute
    # per shard per window for Brazil, so exchange stays well under 10% of the wall time; one
    # message table per kind, per shard and window, batches all of a window's traffic.
    window_hours: float = Field(default=2.0, gt=0, le=168)
    sample_hours: float = Field(default=1.0, gt=0, le=168)
    shards: int = Field(default=1, ge=1, le=4096)
    workers: int = Field(default=1, ge=1, le=4096)
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
    care: Care = Field(default_factory=Care)
    telemedicine: Telemedicine = Field(default_factory=Telemedicine)
    data: Data | None = None

    @field_validator("start")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    @model_validator(mode="after")
    def _windows_fit(self) -> Scenario:
        if self.window_hours > self.days * 24:
            raise ValueError("window_hours is longer than the run; lower it or add days")
        return self

    @property
    def hours(self) -> float:
        """Length of the run in hours."""
        return self.days * 24.0


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
    **overrides: Any,
) -> Scenario:
    """Load a scenario from a built-in name, a YAML file or a mapping, then apply overrides.

    Overrides are dotted keys or top-level keys, e.g. ``days=7`` or
    ``**{"capacity.absenteeism": 0.15}``; one that is None is left out. ``settings`` (the
    command line's ``--set``) apply after them, None included: it sets the key to null.

    Raises:
        ScenarioError: one line naming the file, the key and what was expected.
    """
    if isinstance(source, Mapping):
        data, origin = dict(source), "scenario"
    elif isinstance(source, str) and source in builtin_names():
        data, origin = {"base": source}, f"built-in {source}"
    else:
        data, origin = _read_file(Path(source)), str(source)
    given = [(k, v) for k, v in overrides.items() if v is not None]
    for key, value in [*given, *(settings or {}).items()]:
        data = _deep_merge(_resolve_base(data, origin), _dotted(key, value))
    return scenario_from_dict(data, origin)


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
