"""A local Ray instance on loopback for the cluster tests, started once and shut down at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

ray = pytest.importorskip("ray")


@pytest.fixture(scope="session")
def _ray_session() -> Iterator[None]:
    try:
        yield
    finally:
        if ray.is_initialized():
            ray.shutdown()


@pytest.fixture
def ray_local(_ray_session: None) -> None:
    """Ray running in this process with 2 CPUs (started on first use)."""
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
