"""``regional report``: one self-contained HTML file of a run or an ensemble, for planners.

The page opens offline (plotly.js and every figure's data are inlined; the map draws borders
built from the run's own places, no tiles), in Spanish, Portuguese or English.
"""

from regional.report.command import write_report

__all__ = ["write_report"]
