"""Cutting a network into geographic shards of balanced expected work.

Facilities are laid out along a space-filling order that keeps regions together (regions in
the Z-order of their load-weighted centroids, facilities inside a region in the Z-order of
their coordinates), then the sequence is cut into K contiguous runs of about equal expected
work. Small neighbouring regions merge into one shard and large ones are split, and since
neighbours stay together the flow of transfers and referrals that crosses shards stays small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def z_order(lon: np.ndarray, lat: np.ndarray, bits: int = 16) -> np.ndarray:
    """Morton codes of coordinates: nearby points get nearby codes."""
    scale = (1 << bits) - 1
    x = np.clip((np.asarray(lon) + 180.0) / 360.0 * scale, 0, scale).astype(np.uint64)
    y = np.clip((np.asarray(lat) + 90.0) / 180.0 * scale, 0, scale).astype(np.uint64)
    code = np.zeros_like(x)
    for b in range(bits):
        code |= ((x >> np.uint64(b)) & np.uint64(1)) << np.uint64(2 * b)
        code |= ((y >> np.uint64(b)) & np.uint64(1)) << np.uint64(2 * b + 1)
    return code


def partition(facilities: pd.DataFrame, load: np.ndarray, shards: int) -> np.ndarray:
    """The shard of each facility (rows of ``facilities``), for ``shards`` balanced shards.

    Args:
        facilities: needs ``facility_id``, ``region``, ``lon``, ``lat``.
        load: expected work per day at each facility (patients, weighted by what they cost).
        shards: from 1 to the number of facilities.
    """
    n = len(facilities)
    if not 1 <= shards <= max(n, 1):
        raise ValueError(
            f"shards must be between 1 and the number of facilities ({n}); got {shards}"
        )
    if shards == 1:
        return np.zeros(n, dtype=np.int32)
    frame = pd.DataFrame(
        {
            "region": facilities["region"].to_numpy(),
            "lon": facilities["lon"].to_numpy(),
            "lat": facilities["lat"].to_numpy(),
            "load": np.maximum(load, 1e-6),
            "fid": facilities["facility_id"].to_numpy(),
            "z": z_order(facilities["lon"].to_numpy(), facilities["lat"].to_numpy()),
        }
    )
    weighted = frame.assign(wlon=frame.lon * frame.load, wlat=frame.lat * frame.load)
    regions = weighted.groupby("region", sort=True)[["wlon", "wlat", "load"]].sum()
    region_z = z_order(
        (regions.wlon / regions.load).to_numpy(), (regions.wlat / regions.load).to_numpy()
    )
    frame["region_z"] = frame["region"].map(dict(zip(regions.index, region_z, strict=True)))
    order = np.lexsort(
        (
            frame.fid.to_numpy(),
            frame.z.to_numpy(),
            frame.region.to_numpy(),
            frame.region_z.to_numpy(),
        )
    )
    cumulative = np.cumsum(frame.load.to_numpy()[order])
    targets = cumulative[-1] * np.arange(1, shards) / shards
    cuts = np.searchsorted(cumulative, targets, side="left") + 1
    # every shard gets at least one facility
    cuts = np.maximum(cuts, np.arange(1, shards))
    cuts = np.minimum(cuts, n - shards + np.arange(1, shards))
    for i in range(1, len(cuts)):
        cuts[i] = max(cuts[i], cuts[i - 1] + 1)
    shard_in_order = np.searchsorted(cuts, np.arange(n), side="right")
    result = np.empty(n, dtype=np.int32)
    result[order] = shard_in_order
    return result
