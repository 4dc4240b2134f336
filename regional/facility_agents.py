"""The facility agents of a shard: its hospitals and rural clinics, built from the columns of
its spec's facility table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents import Hospital, RuralClinic

if TYPE_CHECKING:
    from regional.shard import ShardModel


def build_facilities(
    model: ShardModel,
) -> tuple[list[Hospital], list[RuralClinic], dict[int, Hospital | RuralClinic]]:
    """Create the shard's hospitals and clinics (Mesa agents of ``model``): the hospitals, the
    clinics, and both by facility id, each in the table's order."""
    f = model.spec.facilities
    hospitals: list[Hospital] = []
    clinics: list[RuralClinic] = []
    by_id: dict[int, Hospital | RuralClinic] = {}
    for i in range(len(f["facility_id"])):
        fid = int(f["facility_id"][i])
        if f["kind"][i] == "hospital":
            hospital = Hospital(
                model,
                fid,
                int(f["ward_beds"][i]),
                int(f["icu_beds"][i]),
                int(f["ventilators"][i]),
                int(f["ward_staffed"][i]),
                int(f["icu_staffed"][i]),
                int(f["tele_specialists"][i]),
                int(f["intermediate_beds"][i]),
                int(f["intermediate_staffed"][i]),
            )
            # the desk's hours are local: the hour of the week at the run's start, there
            hospital.desk_week_offset_hours = model.spec.start_hour_of_week + float(
                f["utc_offset_hours"][i]
            )
            hospitals.append(hospital)
            by_id[fid] = hospital
        else:
            clinic = RuralClinic(model, fid, int(f["hub_id"][i]), bool(f["linked"][i]))
            clinics.append(clinic)
            by_id[fid] = clinic
    return hospitals, clinics, by_id
