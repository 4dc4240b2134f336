"""The export's layers as plain tables, for spreadsheet users: CSV files and one XLSX workbook.

Points keep their ``lon`` and ``lat`` columns, flows get their two ends as columns, catchments
keep their attributes (their polygons belong in a GIS format). Times are UTC without a zone,
which Excel and LibreOffice read as dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

# an Excel sheet holds 1,048,576 rows, the header among them
XLSX_MAX_ROWS = 1_048_575


class TableError(ValueError):
    """A layer that does not fit a table format; the message says what to do instead."""


def as_table(name: str, layer: Any) -> pd.DataFrame:
    """A layer without its geometry column: coordinates as numbers, times zone-less UTC."""
    frame = pd.DataFrame(layer).copy()
    geometry = getattr(layer, "geometry", None) if "geometry" in frame else None
    if name == "flows" and geometry is not None and len(frame):
        import shapely

        ends = shapely.get_coordinates(geometry.values).reshape(-1, 2, 2)
        frame["origin_lon"], frame["origin_lat"] = ends[:, 0, 0], ends[:, 0, 1]
        frame["dest_lon"], frame["dest_lat"] = ends[:, 1, 0], ends[:, 1, 1]
    frame = frame.drop(columns=["geometry"], errors="ignore")
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


def write_csv(layers: Mapping[str, Any], folder: Path) -> list[str]:
    """One ``<layer>.csv`` a layer; return the file names."""
    names = []
    for name, layer in layers.items():
        path = folder / f"{name}.csv"
        as_table(name, layer).to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
        names.append(path.name)
    return names


def write_xlsx(layers: Mapping[str, Any], folder: Path) -> list[str]:
    """One workbook ``run.xlsx`` with a sheet a layer; return its name.

    Raises:
        TableError: a layer longer than a sheet holds.
    """
    tables = {name: as_table(name, layer) for name, layer in layers.items()}
    for name, table in tables.items():
        if len(table) > XLSX_MAX_ROWS:
            raise TableError(
                f"{name}: {len(table):,} rows do not fit an Excel sheet "
                f"({XLSX_MAX_ROWS:,}); give a longer --every such as 1d, or --format csv"
            )
    path = folder / "run.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for name, table in tables.items():
            table.to_excel(book, sheet_name=name[:31], index=False)
    return [path.name]
