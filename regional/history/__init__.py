"""Admission histories and the calibration of demand to them.

- ``files``: the admissions history format (CSV or Parquet), read with one clear error per bad
  row, and written.
- ``from_run``: histories made from a run directory (daily admissions, daily censuses): the
  synthetic data the forecasts are proved on.
- ``calibrate``: a Poisson GLM of daily admissions per region or facility (level, weekday
  profile, trend) with the model's own season as an offset, and the scenario overlay it gives.
- ``command``: ``regional calibrate`` and ``regional history``.
"""

from regional.history.files import HistoryError, read_admissions, write_admissions

__all__ = ["HistoryError", "read_admissions", "write_admissions"]
