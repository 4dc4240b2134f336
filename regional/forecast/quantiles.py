"""The forecast hubs' quantile levels and their long table of model output.

The COVID-19 and FluSight forecast hubs (hubverse model output format) ask 23 quantiles:
0.01, 0.025, 0.05, 0.10, 0.15, ..., 0.90, 0.95, 0.975, 0.99. A forecast is one long table,
a row per ``reference_date, target, horizon, target_end_date, location, output_type,
output_type_id`` with its ``value``; ``output_type`` is ``quantile`` (``output_type_id`` the
level), ``mean`` (no id) or ``pmf`` (the id names the category, the value its probability).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

LEVELS: tuple[float, ...] = (
    0.01,
    0.025,
    *(round(0.05 * k, 2) for k in range(1, 20)),
    0.975,
    0.99,
)
HUB_COLUMNS = (
    "reference_date",
    "target",
    "horizon",
    "target_end_date",
    "location",
    "output_type",
    "output_type_id",
    "value",
)
# targets with quantiles and a mean (occupancy at the end of the day, counts over it)
QUANTILE_TARGETS = (
    "ward_occupied",
    "icu_occupied",
    "intermediate_occupied",
    "admissions",
    "waiting",
)
MEAN_TARGETS = ("transfers_in", "transfers_out")
PMF_TARGET = "icu_full"  # categories full, not_full
HUB_SCHEMA = pa.schema(
    [
        ("reference_date", pa.date32()),
        ("target", pa.string()),
        ("horizon", pa.int32()),
        ("target_end_date", pa.date32()),
        ("location", pa.string()),
        ("output_type", pa.string()),
        ("output_type_id", pa.string()),
        ("value", pa.float64()),
    ]
)


def sample_quantiles(samples: np.ndarray) -> np.ndarray:
    """The 23 levels of samples along the first axis (replications): shape (23, ...).

    Empirical quantiles with linear interpolation between order statistics (numpy's default,
    Hyndman and Fan's type 7).
    """
    return np.quantile(np.asarray(samples, dtype=np.float64), LEVELS, axis=0)


def level_id(level: float) -> str:
    """A level as the hubs write it in ``output_type_id`` (0.025, 0.1, 0.5)."""
    return f"{level:g}"


def long_rows(
    reference: dt.date,
    target: str,
    locations: list[str],
    samples: np.ndarray,
) -> pd.DataFrame:
    """Hub rows of one target from samples shaped (replications, locations, horizons + 1),
    horizon 0 the reference time itself (left out): the 23 quantiles and the mean, or for
    transfers the mean, or for ``icu_full`` (0/1 samples) its probability mass."""
    horizons = samples.shape[2] - 1
    h = np.arange(1, horizons + 1)
    parts = []
    x = samples[:, :, 1:].astype(np.float64)

    def frame(kind: str, ids: list[str], values: np.ndarray) -> pd.DataFrame:
        # values shaped (len(ids), locations, horizons)
        n_id, n_loc = len(ids), len(locations)
        return pd.DataFrame(
            {
                "location": np.tile(np.repeat(locations, horizons), n_id),
                "horizon": np.tile(h, n_id * n_loc),
                "output_type": kind,
                "output_type_id": np.repeat(ids, n_loc * horizons),
                "value": values.reshape(-1),
            }
        )

    if target == PMF_TARGET:
        p = x.mean(axis=0)
        parts.append(frame("pmf", ["full", "not_full"], np.stack([p, 1.0 - p])))
    else:
        if target not in MEAN_TARGETS:
            ids = [level_id(q) for q in LEVELS]
            parts.append(frame("quantile", ids, sample_quantiles(x)))
        parts.append(frame("mean", [""], x.mean(axis=0)[None]))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "reference_date", reference)
    out.insert(1, "target", target)
    out["target_end_date"] = [reference + dt.timedelta(days=int(d)) for d in out["horizon"]]
    out["output_type_id"] = out["output_type_id"].where(out["output_type"] != "mean", None)
    return out[list(HUB_COLUMNS)]


def hub_table(frame: pd.DataFrame) -> pa.Table:
    """The long frame as an Arrow table of the hubs' columns and types."""
    return pa.Table.from_pandas(frame[list(HUB_COLUMNS)], schema=HUB_SCHEMA, preserve_index=False)


def quantile_matrix(hub: pd.DataFrame) -> pd.DataFrame:
    """The quantile rows of a hub table pivoted wide: one row per reference date, target,
    location and horizon, a column per level (floats, in ``LEVELS`` order)."""
    q = hub[hub["output_type"] == "quantile"]
    wide = q.pivot_table(
        index=["reference_date", "target", "location", "horizon", "target_end_date"],
        columns="output_type_id",
        values="value",
        aggfunc="first",
    )
    wide = wide[[level_id(level) for level in LEVELS]]
    wide.columns = [float(c) for c in wide.columns]
    return wide.reset_index()
