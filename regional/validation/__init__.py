"""The twin against what each country publishes: targets, measures, and the validation table.

From Python::

    from regional.validation import validate
    frame = validate(["CL"])
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from regional.validation.check import CountryCheck, Periods, check_country, resolve
from regional.validation.report import table
from regional.validation.targets import TARGETS, Target

__all__ = ["TARGETS", "CountryCheck", "Periods", "Target", "check_country", "validate"]


def validate(
    countries: list[str] | None = None,
    periods: Periods | None = None,
    seed: int = 42,
    settings: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Run the countries' built-ins (all three by default) and return the validation table."""
    periods = periods or Periods()
    checks = [
        check_country(country, periods, seed, scenario, settings)
        for country, scenario in resolve(countries or [])
    ]
    return table(checks)
