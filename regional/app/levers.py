"""The main levers of a scenario, as a planner moves them on the page, and the scenario
settings (dotted keys, as ``regional run --set``) they stand for."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from regional.scenario import Scenario, load_scenario


@dataclass(frozen=True)
class Levers:
    """What the page lets a planner change; every default leaves the scenario as it is."""

    days: float = 2.0
    seed: int = 42
    extra_ward_beds: int = 0  # ward beds added network-wide on day 0
    ward_to_icu_beds: int = 0  # ward beds converted to ICU beds (with ventilators) on day 0
    absenteeism: float = 0.04  # share of rostered nurses absent on a day
    ward_patients_per_nurse: float = 6.0  # conventional staffing standard
    ventilators_per_icu_bed: float = 1.0
    telemedicine_coverage: float = 0.6  # share of clinics with a link
    surge_factor: float = 1.0  # peak multiplier of respiratory demand (1: no surge)
    surge_ramp_days: float = 3.0

    @classmethod
    def of(cls, scenario: Scenario, days: float | None = None) -> Levers:
        """The levers where a scenario has them (its run shortened to ``days``)."""
        capacity = scenario.capacity
        return cls(
            days=days if days is not None else min(scenario.days, cls.days),
            seed=scenario.seed,
            absenteeism=capacity.absenteeism,
            ward_patients_per_nurse=capacity.ward_patients_per_nurse,
            ventilators_per_icu_bed=capacity.ventilators_per_icu_bed or 1.0,
            telemedicine_coverage=scenario.telemedicine.coverage,
        )

    def replace(self, **changes: Any) -> Levers:
        """These levers with some changed."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return Levers(**{**values, **changes})

    def settings(self, scenario: Scenario) -> dict[str, Any]:
        """The scenario settings the levers stand for, on top of ``scenario``."""
        out: dict[str, Any] = {
            "days": self.days,
            "seed": self.seed,
            "capacity.absenteeism": self.absenteeism,
            "capacity.ward_patients_per_nurse": self.ward_patients_per_nurse,
            "telemedicine.coverage": self.telemedicine_coverage,
        }
        # unset, the scenario takes one ventilator per ICU bed: left unset while it is that
        if scenario.capacity.ventilators_per_icu_bed is not None or (
            self.ventilators_per_icu_bed != 1.0
        ):
            out["capacity.ventilators_per_icu_bed"] = self.ventilators_per_icu_bed
        # the stricter standards may not be looser than the conventional one
        ward = self.ward_patients_per_nurse
        contingency = max(scenario.capacity.contingency_ward_patients_per_nurse, ward)
        out["capacity.contingency_ward_patients_per_nurse"] = contingency
        out["capacity.crisis_ward_patients_per_nurse"] = max(
            scenario.capacity.crisis_ward_patients_per_nurse, contingency
        )
        actions = [a.model_dump(mode="json") for a in scenario.surge_actions]
        if self.extra_ward_beds > 0:
            actions.append(
                {"action": "add_ward_beds", "beds": self.extra_ward_beds, "day": 0.0,
                 "lead_hours": 0.0}
            )  # fmt: skip
        if self.ward_to_icu_beds > 0:
            actions.append(
                {"action": "convert_ward_to_icu", "beds": self.ward_to_icu_beds, "day": 0.0,
                 "lead_hours": 0.0}
            )  # fmt: skip
        if actions:
            out["surge_actions"] = actions
        if self.surge_factor > 1.0:
            surges = [s.model_dump(mode="json") for s in scenario.demand.surges]
            surges.append(
                {
                    "start_day": 0.0,
                    "ramp_days": self.surge_ramp_days,
                    "plateau_days": max(self.days, 1.0),
                    "factor": self.surge_factor,
                    "conditions": ["respiratory"],
                }
            )
            out["demand.surges"] = surges
        return out

    def scenario(self, source: str) -> Scenario:
        """The scenario ``source`` (a built-in name or a YAML file) with these levers.

        Raises:
            ScenarioError: a lever outside what the scenario accepts, in one line.
        """
        base = load_scenario(source)
        return load_scenario(source, settings=self.settings(base))
