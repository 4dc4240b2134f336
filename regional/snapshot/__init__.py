"""The network's census at a moment: who is in which bed since when, and who waits.

Three forms are read into one table of census patients (``records.CENSUS_COLUMNS``):

- per patient (CSV or Parquet): ``patient, facility, bed_type, admitted_at, condition,
  ventilated, waiting_since``;
- per facility (CSV or Parquet): ``facility, time, ward_occupied, icu_occupied,
  intermediate_occupied, ventilators_in_use, waiting_ward, waiting_icu``, each count becoming
  patients whose condition and time in bed are drawn;
- FHIR R4: a Bundle of in-progress Encounters and the Locations they lie in (``fhir``).

Every bad row gets one line naming the file, the row and the column.
"""

from regional.snapshot.records import CENSUS_COLUMNS, CensusError, read_census

__all__ = ["CENSUS_COLUMNS", "CensusError", "read_census"]
