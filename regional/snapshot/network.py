"""A census file read against a network: facility codes to ids, beds to the bed types."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regional.demand import CourseTables
from regional.scenario import Scenario, ScenarioError
from regional.snapshot.records import CensusError, read_census
from regional.snapshot.start import BED_CODES


def census_for(scenario: Scenario, facilities: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The scenario's census as rows of the network's hospitals, and a line for the manifest.

    Raises:
        ScenarioError: the file cannot be read, or names a facility or bed the network lacks.
    """
    source = scenario.census
    assert source is not None
    try:
        census = read_census(source.path, scenario.start, source.form)
    except CensusError as error:
        raise ScenarioError(f"census: {error}") from None
    name = source.path.rsplit("/", 1)[-1]
    hospitals = facilities[facilities["kind"] == "hospital"]
    by_code = dict(zip(hospitals["code"].astype(str), hospitals["facility_id"], strict=True))
    by_name = dict(zip(hospitals["name"].astype(str), hospitals["facility_id"], strict=False))
    ids = []
    for code in census["facility"]:
        fid = by_code.get(code, by_name.get(code))
        if fid is None:
            example = hospitals["code"].iloc[0] if len(hospitals) else "?"
            raise ScenarioError(
                f"census: {name}: facility {code!r} is not a hospital of the network; use the "
                f"codes of facilities.parquet (such as {example})"
            )
        ids.append(int(fid))
    census = census.assign(facility_id=np.asarray(ids, dtype=np.int64))
    names = list(CourseTables.from_demand(scenario.demand).names)
    absent = sorted(set(census["condition"]) - {""} - set(names))
    if absent:
        raise ScenarioError(
            f"census: {name}: condition {absent[0]!r} is not among the scenario's conditions "
            f"({', '.join(names)})"
        )
    beds = hospitals.set_index("facility_id")
    # a patient in a critical bed needs the hospital to have one; one waiting for it may board
    # anywhere (a hospital without an ICU holds its ICU patients until a transfer)
    in_bed = census["waiting_hours"].isna().to_numpy()
    for bed, column in (("icu", "icu_beds"), ("intermediate", "intermediate_beds")):
        wrong = census[
            (census["bed_type"] == bed).to_numpy()
            & in_bed
            & (beds.loc[census["facility_id"], column] == 0).to_numpy()
        ]
        if len(wrong):
            raise ScenarioError(
                f"census: {name}: patient {wrong['patient'].iloc[0]!r} is in an {bed} bed of "
                f"{wrong['facility'].iloc[0]}, which has no {bed} beds in the network"
            )
    out = pd.DataFrame(
        {
            "facility_id": census["facility_id"],
            "bed": census["bed_type"].map(BED_CODES).astype(np.int64),
            "elapsed_hours": census["elapsed_hours"].astype(float),
            "condition": census["condition"]
            .map(lambda c: names.index(c) if c else -1)
            .astype(np.int64),
            "ventilated": census["ventilated"].astype(bool),
            "waiting_hours": census["waiting_hours"].astype(float),
        }
    )
    covered = out["facility_id"].nunique()
    others = len(hospitals) - covered
    start = scenario.capacity.start
    line = (
        f"{len(out)} patients of {covered} hospitals from {name}; the other {others} hospitals "
        f"start as capacity.start says ({start})"
    )
    return out, line
