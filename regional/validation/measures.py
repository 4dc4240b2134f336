"""The twin's figures, computed from a run the way the published ones are counted.

Activity figures are taken over a period of the run (the hours after a warm-up): counts of
events inside it, occupancy from the hourly time series, and the length of stay as occupied
bed-days over separations, as hospital statistics compute it (OECD's ALOS), so that stays cut
by the run's end do not bias it. Structure figures are taken from the facilities table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regional.demand import CENSUS_ID_BASE
from regional.results import RunResult

ENDED = ("discharged", "died")


def structure(facilities: pd.DataFrame, population: float) -> dict[str, float]:
    """Figures of the network itself: counts, beds per person, sizes, ICUs."""
    hospitals = facilities[facilities["kind"] == "hospital"]
    beds = (hospitals["ward_beds"] + hospitals["icu_beds"]).to_numpy(dtype=float)
    icu = hospitals["icu_beds"].to_numpy(dtype=float)
    out: dict[str, float] = {
        "hospitals": float(len(hospitals)),
        "rural_posts": float((facilities["kind"] == "clinic").sum()),
        "beds_per_1000": beds.sum() / population * 1000.0,
        "icu_beds_per_100k": icu.sum() / population * 100_000.0,
    }
    if "intermediate_beds" in hospitals:
        middle = hospitals["intermediate_beds"].to_numpy(dtype=float)
        out["intermediate_beds_per_100k"] = middle.sum() / population * 100_000.0
        beds = beds + middle  # hospital beds per 1,000 count them
        out["beds_per_1000"] = beds.sum() / population * 1000.0
    if len(beds):
        p10, p50, p90 = np.percentile(beds, [10, 50, 90])
        out |= {
            "share_hospitals_with_icu": float((icu > 0).mean()),
            "hospital_beds_p10": float(p10),
            "hospital_beds_p50": float(p50),
            "hospital_beds_p90": float(p90),
            "share_hospitals_under_50_beds": float((beds < 50).mean()),
        }
    if (icu > 0).any():
        out["icu_unit_beds_p50"] = float(np.median(icu[icu > 0]))
    return out


def _hours_since_start(column: pd.Series, start: pd.Timestamp) -> np.ndarray:
    return ((column - start).dt.total_seconds() / 3600.0).to_numpy(dtype=float, na_value=np.nan)


def activity(
    result: RunResult, start: pd.Timestamp, from_hour: float, to_hour: float, population: float
) -> dict[str, float]:
    """Figures of the care given between ``from_hour`` and ``to_hour`` of the run."""
    years = (to_hour - from_hour) / (24.0 * 365.0)
    days = (to_hour - from_hour) / 24.0
    p = result.to_pandas("patients")
    admit = _hours_since_start(p["admit_time"], start)
    icu_at = _hours_since_start(p["icu_time"], start)
    end = _hours_since_start(p["end_time"], start)
    new = p["patient_id"].to_numpy() < CENSUS_ID_BASE

    def within(hours: np.ndarray) -> np.ndarray:
        return (hours >= from_hour) & (hours < to_hour)

    admitted = new & within(admit)
    separated = p["outcome"].isin(ENDED).to_numpy() & within(end) & ~np.isnan(admit)
    died = (p["outcome"] == "died").to_numpy()
    had_icu = ~np.isnan(icu_at)
    out: dict[str, float] = {
        "admissions_per_1000_year": admitted.sum() / years / population * 1000.0,
    }
    if admitted.any():
        out["icu_share_of_admissions"] = float((admitted & had_icu).sum() / admitted.sum())
    icu_entries = within(icu_at)
    if icu_entries.any():
        out["ventilated_share_of_icu"] = float(p["ventilator"].to_numpy()[icu_entries].mean())
    if separated.any():
        out["in_hospital_mortality"] = float(died[separated].mean())
    if (separated & had_icu).any():
        out["icu_patients_hospital_mortality"] = float(died[separated & had_icu].mean())

    ts = result.to_pandas("timeseries")
    hour = _hours_since_start(ts["time"], start)
    ts = ts[(hour >= from_hour) & (hour < to_hour)]
    columns = ["ward_occupied", "ward_staffed", "icu_occupied", "icu_staffed"]
    middle = ["intermediate_occupied", "intermediate_staffed"]
    national = ts.groupby("time")[columns + [c for c in middle if c in ts]].sum()
    for c in middle:
        if c not in national:
            national[c] = 0
    if len(national):
        ward = national["ward_occupied"] / national["ward_staffed"].clip(lower=1)
        out["ward_occupancy_mean"] = float(ward.mean())
        if national["icu_staffed"].sum() > 0:
            icu = national["icu_occupied"] / national["icu_staffed"].clip(lower=1)
            out["icu_occupancy_mean"] = float(icu.mean())
            daily_icu = icu.groupby(pd.DatetimeIndex(icu.index).floor("D")).mean()
            out["icu_occupancy_winter_peak"] = float(daily_icu.max())
            # critical care as the published figures count it: ICU and intermediate beds
            critical = (national["icu_occupied"] + national["intermediate_occupied"]) / (
                national["icu_staffed"] + national["intermediate_staffed"]
            ).clip(lower=1)
            out["critical_occupancy_mean"] = float(critical.mean())
            daily = critical.groupby(pd.DatetimeIndex(critical.index).floor("D")).mean()
            out["critical_occupancy_winter_peak"] = float(daily.max())
        occupied = national["ward_occupied"] + national["icu_occupied"]
        bed_days = float((occupied + national["intermediate_occupied"]).sum()) / 24.0
        if separated.any():
            out["alos_days"] = bed_days * _hours_per_sample(national.index) / separated.sum()

    transfers = result.to_pandas("transfers")
    depart = _hours_since_start(transfers["depart_time"], start)
    moved = transfers[within(depart)].merge(
        p[["patient_id", "condition", "need"]], on="patient_id", how="left"
    )
    critical_moves = moved[(moved["condition"] == "respiratory") & (moved["need"] == 2)]
    out["critical_respiratory_transfers_per_day"] = len(critical_moves) / days

    onset = _hours_since_start(p["onset_time"], start)
    consulted = new & p["teleconsulted"].to_numpy(dtype=bool) & within(onset)
    if consulted.any():
        kept = (p["outcome"] == "treated_locally").to_numpy()
        out["teleconsult_resolution"] = float(kept[consulted].mean())
    return out


def _hours_per_sample(index: pd.Index) -> float:
    """Hours between two rows of the time series (1 when it is hourly)."""
    if len(index) < 2:
        return 1.0
    step = pd.Series(index).diff().dropna().dt.total_seconds().median() / 3600.0
    return float(step)
