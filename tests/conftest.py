"""Test-wide settings: Ray stays on loopback without token authentication."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

# the real public data files: $REGIONAL_SHARED_DATA (as the examples use), else shared/data
# beside the project
SHARED_DATA = Path(
    os.environ.get("REGIONAL_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)


@pytest.fixture
def shared_data() -> Path:
    """The real public data files; skip when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real data not found at {SHARED_DATA} (set REGIONAL_SHARED_DATA or put the "
            "shared/ folder beside the repo)"
        )
    return SHARED_DATA
