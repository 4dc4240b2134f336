"""Small hand-made networks for tests: places and facilities in the geodata contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from geodata.facilities import INT32_COLUMNS
from regional.network import Network, assemble, travel_rules
from regional.scenario import Scenario, load_scenario

FLAT_DEMAND: dict[str, Any] = {
    "diurnal_amplitude": 0.0,
    "weekly_profile": [1, 1, 1, 1, 1, 1, 1],
    "respiratory_season_amplitude": 0.0,
    "clinic_presentations_per_1000_year": 0.0,
    "ed_visits_per_1000_year": 0.0,
}


def make_places(rows: Sequence[tuple[float, float, int]], country: str = "CL") -> pd.DataFrame:
    """Places from (lon, lat, population) triples, in one region per place."""
    return pd.DataFrame(
        {
            "place_id": pd.array(range(1000, 1000 + len(rows)), dtype="int64"),
            "name": [f"Place {i}" for i in range(len(rows))],
            "country": country,
            "region": [f"{country}-{i:02d}" for i in range(len(rows))],
            "lon": [r[0] for r in rows],
            "lat": [r[1] for r in rows],
            "population": pd.array([r[2] for r in rows], dtype="int64"),
            "timezone": "America/Santiago",
            "utc_offset_hours": 0.0,
            "setting": "rural",
        }
    )


# Headcount per post a unit's beds need when a row gives none: three times the five people
# a post around the clock takes, so that no roster, absence or standard closes a bed.
AMPLE_NURSES_PER_POST = 15
INTERMEDIATE_PATIENTS_PER_NURSE = 2


def make_facilities(
    rows: Sequence[dict[str, Any]],
    places: pd.DataFrame,
    patients_per_nurse: float = 6.0,
    icu_patients_per_nurse: float = 2.0,
) -> pd.DataFrame:
    """Facilities from dicts with ``place`` (row of places), ``kind`` and capacities.

    ``ward_nurses``, ``icu_nurses`` and ``intermediate_nurses`` give a headcount; without them
    a unit has ``AMPLE_NURSES_PER_POST`` per post its beds need at the patients-per-nurse
    ratios.
    """
    out = []
    for i, row in enumerate(rows):
        place = places.iloc[row["place"]]
        ward = int(row.get("ward_beds", 0))
        icu = int(row.get("icu_beds", 0))
        ward_nurses = row.get("ward_nurses", -(-ward // patients_per_nurse) * AMPLE_NURSES_PER_POST)
        icu_nurses = row.get(
            "icu_nurses", -(-icu // icu_patients_per_nurse) * AMPLE_NURSES_PER_POST
        )
        middle = int(row.get("intermediate_beds", 0))
        middle_nurses = row.get(
            "intermediate_nurses",
            -(-middle // INTERMEDIATE_PATIENTS_PER_NURSE) * AMPLE_NURSES_PER_POST,
        )
        out.append(
            {
                "facility_id": i,
                "code": f"T-{i:03d}",
                "name": f"Facility {i}",
                "kind": row.get("kind", "hospital"),
                "tier": row.get(
                    "tier", "general" if row.get("kind", "hospital") == "hospital" else "clinic"
                ),
                "place_id": int(place["place_id"]),
                "country": place["country"],
                "region": place["region"],
                "lon": float(place["lon"]) + row.get("dlon", 0.0),
                "lat": float(place["lat"]),
                "setting": "rural",
                "ward_beds": ward,
                "icu_beds": icu,
                "ventilators": int(row.get("ventilators", icu)),
                "ward_nurses": int(ward_nurses),
                "icu_nurses": int(icu_nurses),
                "intermediate_beds": middle,
                "intermediate_nurses": int(middle_nurses),
                "nurses": int(ward_nurses + icu_nurses + middle_nurses),
                "physicians": 1,
                "is_hub": bool(row.get("is_hub", False)),
                "hub_id": int(row.get("hub_id", -1)),
            }
        )
    frame = pd.DataFrame(out)
    for column in INT32_COLUMNS:
        frame[column] = frame[column].astype("int32")
    return frame


def scenario(**overrides: Any) -> Scenario:
    """A test scenario on the chile base with flat demand, overridable by dotted keys."""
    base: dict[str, Any] = {
        "base": "chile",
        "name": "test",
        "days": 5,
        "demand": FLAT_DEMAND,
        "capacity": {"start": "fixed", "initial_ward_occupancy": 0.0, "initial_icu_occupancy": 0.0},
    }
    return load_scenario(base, **overrides)


def network(scn: Scenario, places: pd.DataFrame, facilities: pd.DataFrame) -> Network:
    """Assemble a network from hand-made places and facilities."""
    return assemble(scn, places, facilities, travel_rules(scn), {"facilities": "test"})
