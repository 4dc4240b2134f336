"""A case mix's mean length of stay, and ward stays scaled to a country's published one.

The mean stay of an admission is the mix of its conditions' courses: a ward stay, or an ICU
stay and the step-down ward stay after it; a ward patient who escalates adds an ICU stay
(``p_escalate``). Deaths are inside the means (``Condition``), so this is the published ALOS.
"""

from __future__ import annotations

from collections.abc import Mapping

from regional.scenario import Condition


def mean_stay_days(conditions: Mapping[str, Condition]) -> float:
    """Mean hospital stay in days of an admission, over the episode shares."""
    total = sum(c.share for c in conditions.values())
    stay = 0.0
    for c in conditions.values():
        ward = (1.0 - c.p_icu) * (c.los_ward_days + c.p_escalate * c.los_icu_days)
        icu = c.p_icu * (c.los_icu_days + c.los_stepdown_days)
        stay += c.share / total * (ward + icu)
    return stay


def ward_scale_for(conditions: Mapping[str, Condition], target_days: float) -> float:
    """The factor on every ward and step-down stay that makes the mean stay ``target_days``
    (ICU stays kept: no country publishes them apart)."""
    total = sum(c.share for c in conditions.values())
    ward = icu = 0.0
    for c in conditions.values():
        w = c.share / total
        ward += w * ((1.0 - c.p_icu) * c.los_ward_days + c.p_icu * c.los_stepdown_days)
        icu += w * ((1.0 - c.p_icu) * c.p_escalate * c.los_icu_days + c.p_icu * c.los_icu_days)
    if target_days <= icu:
        raise ValueError(f"a mean stay of {target_days} days is below the ICU part, {icu:.2f}")
    return (target_days - icu) / ward
