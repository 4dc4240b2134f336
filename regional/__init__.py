"""The regional network twin: scenarios, shard models, the window protocol, runs and results.

From Python::

    import regional
    scenario = regional.load_scenario("chile", days=7, seed=1)
    result = regional.run(scenario)
    result.to_pandas("patients")

Ray is never imported here; ``cluster`` provides the Ray backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from regional.scenario import Scenario, ScenarioError, builtin_names, load_scenario

if TYPE_CHECKING:
    from regional.results import RunResult

__all__ = ["RunResult", "Scenario", "ScenarioError", "builtin_names", "load_scenario", "run"]


def __getattr__(name: str) -> Any:
    # RunResult comes with pyarrow and the agents: imported when asked for (and by
    # `from regional import *`), not by `import regional`
    if name == "RunResult":
        from regional.results import RunResult

        return RunResult
    raise AttributeError(f"module 'regional' has no attribute {name!r}")


def run(
    scenario: Scenario | str | Path | dict[str, Any],
    out: str | Path | None = None,
    **overrides: Any,
) -> RunResult:
    """Run a scenario (object, built-in name, file or dict) serially and return its results.

    Args:
        scenario: what to run.
        out: if given, also write the run directory there; it must not exist (checked
            before the simulation starts).
        overrides: top-level or dotted parameters, e.g. ``days=7``.

    Raises:
        ScenarioError: a scenario or a file of it that is not valid.
        RunDirectoryError: ``out`` already exists.
        StorageError: ``out`` cannot be written (a full disk, no permission).
    """
    from regional.results import RunDirectoryError
    from regional.runner import run_scenario

    if out is not None and Path(out).exists():
        raise RunDirectoryError(f"{out}: already exists; choose another out or remove it")

    if not isinstance(scenario, Scenario) or overrides:
        source = scenario.model_dump(mode="json") if isinstance(scenario, Scenario) else scenario
        scenario = load_scenario(source, **overrides)
    result = run_scenario(scenario)
    if out is not None:
        result.write(Path(out))
    return result
