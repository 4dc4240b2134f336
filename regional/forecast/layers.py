"""GIS layers of a forecast: the hospitals as points, a layer per horizon shown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SHOWN_HORIZONS = (1, 3, 7, 14)
MAPPED = ("ward_occupied", "icu_occupied", "intermediate_occupied", "admissions", "waiting")
BANDS = {"q05": "0.05", "median": "0.5", "q95": "0.95"}


def horizons_shown(days: int) -> list[int]:
    """The horizons mapped: 1, 3, 7 and 14 days as far as the forecast goes, and its last."""
    return sorted({h for h in SHOWN_HORIZONS if h <= days} | {days})


def facility_frame(hub: pd.DataFrame, locations: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """One row per hospital: the median and 90% interval of each mapped target at a horizon,
    and the probability that its ICU is full."""
    at = hub[hub["horizon"] == horizon]
    places = locations[locations["level"] == "facility"].set_index("location")
    out = places[["name", "region", "lon", "lat"]].copy()
    q = at[at["output_type"] == "quantile"]
    for target in MAPPED:
        rows = q[q["target"] == target]
        for name, level in BANDS.items():
            values = rows[rows["output_type_id"] == level].set_index("location")["value"]
            out[f"{target}_{name}"] = values.reindex(out.index).to_numpy()
    full = at[(at["target"] == "icu_full") & (at["output_type_id"] == "full")]
    out["icu_full_probability"] = full.set_index("location")["value"].reindex(out.index).to_numpy()
    out.insert(0, "target_end_date", str(at["target_end_date"].iloc[0]))
    out.insert(0, "horizon", horizon)
    return out.reset_index().rename(columns={"location": "code"})


def write_layers(path: Path, hub: pd.DataFrame, locations: pd.DataFrame) -> Path:
    """A GeoPackage with one point layer of hospitals per horizon shown (``horizon_7``...)."""
    import geopandas as gpd

    days = int(hub["horizon"].max())
    for horizon in horizons_shown(days):
        frame = facility_frame(hub, locations, horizon)
        layer = gpd.GeoDataFrame(
            frame.drop(columns=["lon", "lat"]),
            geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
            crs="EPSG:4326",
        )
        layer.to_file(path, layer=f"horizon_{horizon}", driver="GPKG")
    return Path(path)
