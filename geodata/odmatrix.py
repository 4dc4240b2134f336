"""Road travel times from a routing engine (OSRM, Valhalla): an origin-destination table.

The table has ``from_id, to_id, minutes`` (CSV or Parquet, columns mapped like any source).
Ids are those of the scenario's files: a row whose ``from_id`` is a place and whose ``to_id``
is a facility is an access trip; a row from a facility to a hospital is a transfer trip (a
row may be both when the files share codes). Every pair the table lacks keeps the default
rules of ``geodata.travel``, and the network reports how many did.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.loaders import LoadError, Source, id_codes, read_source
from geodata.schemas import MAX_TRIP_MINUTES, TRAVEL_MATRIX

MATRIX_REQUIRED = TRAVEL_MATRIX.required


@dataclass(frozen=True)
class RoadMinutes:
    """The table's pairs in network ids, and what could not be matched."""

    access: pd.DataFrame  # place_row (int64), facility_id (int32), minutes (float64)
    transfer: pd.DataFrame  # from_facility (int32), to_facility (int32), minutes (float64)
    pairs: int  # rows of the table
    unmatched: int  # rows whose ids are neither an access nor a transfer pair


def read_matrix(source: Source) -> pd.DataFrame:
    """The table's rows: ``from_id``, ``to_id`` (strings) and ``minutes`` (float64), checked.

    Raises:
        LoadError: the file is missing or unreadable, a column is missing, minutes are not a
            non-negative number, or a pair appears twice; the message names file, row, column.
    """
    frame = read_source(source, MATRIX_REQUIRED)
    path = Path(source.path)
    minutes = pd.to_numeric(frame["minutes"], errors="coerce").to_numpy(dtype=np.float64)
    wrong = ~np.isfinite(minutes) | (minutes < 0)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise LoadError(
            f"{path}: row {frame['_row'].iat[i]}, column 'minutes': "
            f"{frame['minutes'].iat[i]!r} is not a non-negative number of minutes"
        )
    too_long = minutes > MAX_TRIP_MINUTES
    if too_long.any():
        i = int(np.flatnonzero(too_long)[0])
        raise LoadError(
            f"{path}: row {frame['_row'].iat[i]}, column 'minutes': "
            f"{frame['minutes'].iat[i]!r} is more than a week ({MAX_TRIP_MINUTES:,} minutes); "
            "leave unreachable pairs out of the table (or check the unit: minutes, not seconds)"
        )
    out = pd.DataFrame(
        {
            "from_id": id_codes(frame["from_id"]),
            "to_id": id_codes(frame["to_id"]),
            "minutes": minutes,
        }
    )
    twice = out.duplicated(["from_id", "to_id"]).to_numpy()
    if twice.any():
        i = int(np.flatnonzero(twice)[0])
        raise LoadError(
            f"{path}: row {frame['_row'].iat[i]}, column 'to_id': the pair "
            f"{out['from_id'].iat[i]!r} -> {out['to_id'].iat[i]!r} appears twice; keep one"
        )
    return out


def check_ids(
    matrix: pd.DataFrame, place_codes: pd.Series, facility_codes: pd.Series, path: Path
) -> None:
    """Stop when no pair of the table joins the network (as a population file that matches
    no place does): its ids are then of other files, or written differently.

    Raises:
        LoadError: naming the file and examples of the ids on both sides.
    """
    places = set(place_codes.astype(str))
    facilities = set(facility_codes.astype(str))
    starts = matrix["from_id"].isin(places | facilities)
    ends = matrix["to_id"].isin(facilities)
    if len(matrix) and not (starts & ends).any():
        theirs = ", ".join(repr(v) for v in matrix["from_id"].head(2))
        ours = ", ".join(
            repr(v) for v in [*list(place_codes.head(1)), *list(facility_codes.head(1))]
        )
        raise LoadError(
            f"{path}: no pair's from_id and to_id match the ids of the places and facilities "
            f"(the table has {theirs}, the files {ours}); map from_id and to_id to columns of "
            "the files' ids"
        )


def match_matrix(
    matrix: pd.DataFrame, places: pd.DataFrame, facilities: pd.DataFrame
) -> RoadMinutes:
    """The table's pairs in network ids.

    Args:
        matrix: ``read_matrix`` output.
        places: places with ``code`` (the file's id) in network order.
        facilities: facilities with ``facility_id``, ``code`` and ``kind``.
    """
    place_row = pd.Series(np.arange(len(places), dtype=np.int64), index=places["code"].to_numpy())
    facility = pd.Series(
        facilities["facility_id"].to_numpy(dtype=np.int32), index=facilities["code"].to_numpy()
    )
    hospital_codes = facilities.loc[facilities["kind"] == "hospital", "code"].to_numpy()
    place_row = place_row[~place_row.index.duplicated()]
    facility = facility[~facility.index.duplicated()]

    is_access = matrix["from_id"].isin(place_row.index) & matrix["to_id"].isin(facility.index)
    is_transfer = (
        matrix["from_id"].isin(facility.index)
        & matrix["to_id"].isin(hospital_codes)
        & (matrix["from_id"] != matrix["to_id"])
    )
    a = matrix[is_access.to_numpy()]
    t = matrix[is_transfer.to_numpy()]
    access = pd.DataFrame(
        {
            "place_row": place_row.loc[a["from_id"]].to_numpy(dtype=np.int64),
            "facility_id": facility.loc[a["to_id"]].to_numpy(dtype=np.int32),
            "minutes": a["minutes"].to_numpy(dtype=np.float64),
        }
    )
    transfer = pd.DataFrame(
        {
            "from_facility": facility.loc[t["from_id"]].to_numpy(dtype=np.int32),
            "to_facility": facility.loc[t["to_id"]].to_numpy(dtype=np.int32),
            "minutes": t["minutes"].to_numpy(dtype=np.float64),
        }
    )
    unmatched = int((~(is_access | is_transfer)).sum())
    return RoadMinutes(access, transfer, len(matrix), unmatched)


def road_catchments(catchments: pd.DataFrame, road: RoadMinutes) -> tuple[pd.DataFrame, int]:
    """Each place's first facility with the table's minutes where it has them.

    A place keeps the default choice (and minutes) unless the table gives it a quicker
    facility, or gives the minutes of the default choice itself. Ties go to the lower id.

    Args:
        catchments: ``assign_catchments`` output, one row per place in network order.
        road: the matched table.

    Returns:
        The new catchments, and how many places have no pair in the table.
    """
    out = catchments.copy()
    default = pd.DataFrame(
        {
            "place_row": np.arange(len(out), dtype=np.int64),
            "facility_id": out["facility_id"].to_numpy(dtype=np.int32),
            "minutes": out["access_minutes"].to_numpy(dtype=np.float64),
        }
    )
    # the table's minutes replace the default ones for the same pair
    options = pd.concat([road.access, default], ignore_index=True).drop_duplicates(
        ["place_row", "facility_id"], keep="first"
    )
    best = options.sort_values(["place_row", "minutes", "facility_id"], kind="stable")
    best = best.drop_duplicates("place_row", keep="first").sort_values("place_row")
    out["facility_id"] = best["facility_id"].to_numpy(dtype=np.int32)
    out["access_minutes"] = best["minutes"].to_numpy(dtype=np.float64)
    covered = np.zeros(len(out), dtype=bool)
    covered[road.access["place_row"].to_numpy()] = True
    return out, int((~covered).sum())


def transfer_fallbacks(road: RoadMinutes, facilities: pd.DataFrame) -> tuple[int, int]:
    """How many facility-to-hospital pairs keep the default rules, of how many in all."""
    hospitals = int((facilities["kind"] == "hospital").sum())
    all_pairs = len(facilities) * hospitals - hospitals  # no trip from a hospital to itself
    return all_pairs - len(road.transfer), all_pairs
