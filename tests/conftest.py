"""Test-wide settings: Ray stays on loopback without token authentication."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

ROOT = Path(__file__).resolve().parents[1]


def _shared_data() -> Path:
    """The real public data files: $REGIONAL_SHARED_DATA (as the examples use), else
    shared/data beside the project, else the project's data/ (``make data``)."""
    given = os.environ.get("REGIONAL_SHARED_DATA")
    if given:
        return Path(given)
    beside = ROOT.parent / "shared" / "data"
    return beside if beside.is_dir() or not (ROOT / "data").is_dir() else ROOT / "data"


SHARED_DATA = _shared_data()


@pytest.fixture
def shared_data() -> Path:
    """The real public data files; skip when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real data not found at {SHARED_DATA}: set REGIONAL_SHARED_DATA, put the "
            "shared/ folder beside the repo, or get the files into data/ (`make data`, "
            "README.md: Example data)"
        )
    return SHARED_DATA
