"""The regional network twin: scenarios, shard models, the window protocol, runs and results.

From Python::

    import regional
    scenario = regional.load_scenario("chile", days=7, seed=1)
    result = regional.run(scenario)
    result.to_pandas("patients")

    runs = regional.ensemble(["chile", "more-icu.yaml"], replications=10, days=7)
    runs.comparison  # paired differences from chile, with intervals

Ray is never imported here; ``cluster`` provides the Ray backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from regional.scenario import Scenario, ScenarioError, builtin_names, load_scenario

if TYPE_CHECKING:
    from collections.abc import Sequence

    from regional.ensembles import EnsembleResult
    from regional.results import RunResult

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "builtin_names",
    "ensemble",
    "load_scenario",
    "run",
]


def __getattr__(name: str) -> Any:
    # RunResult comes with pyarrow and the agents: imported when asked for (and by
    # `from regional import *`), not by `import regional`
    if name == "RunResult":
        from regional.results import RunResult

        return RunResult
    if name == "EnsembleResult":
        from regional.ensembles import EnsembleResult

        return EnsembleResult
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


def ensemble(
    scenarios: Sequence[Scenario | str | Path | dict[str, Any]] | Scenario | str | Path,
    replications: int = 10,
    workers: int = 1,
    out: str | Path | None = None,
    address: str | None = None,
    precision: float | None = None,
    max_replications: int | None = None,
    resume: bool = False,
    seed: int | None = None,
    charts: bool = True,
    targets: Sequence[str] | None = None,
    **overrides: Any,
) -> EnsembleResult:
    """Run replications of scenarios (the first is the base of the paired comparisons) and
    return the dataset and its summaries as pandas frames (``EnsembleResult``).

    Args:
        scenarios: one scenario or several (objects, built-in names, files or dicts).
        replications: runs of each scenario; replication r of each runs with the same seed.
        workers: CPUs; more than one runs the replications as tasks on a local Ray instance.
        out: the ensemble's folder (default: a temporary folder kept after the call).
        address: a Ray cluster to join (``auto`` or host:port).
        precision: add replications until the key results' intervals are within this share
            of their means, up to ``max_replications``.
        resume: finish the ensemble in ``out``.
        seed: the base seed of the replications' seeds (default the first scenario's seed).
        charts: draw the PNGs into ``out/charts`` (needs matplotlib).
        targets: the national key results ``precision`` watches (default deaths, admissions,
            ICU admissions and mean ICU occupancy).
        overrides: top-level or dotted parameters of every scenario, e.g. ``days=7``.

    Raises:
        ScenarioError: a scenario that is not valid.
        EnsembleError: inputs that cannot make an ensemble (nothing is written).
    """
    import tempfile

    from regional.ensembles import run_ensemble
    from regional.ensembles.stats import DEFAULT_TARGETS

    given = [scenarios] if isinstance(scenarios, Scenario | str | Path | dict) else scenarios
    loaded = []
    for item in given:
        if isinstance(item, Scenario) and not overrides:
            loaded.append(item)
            continue
        source = item.model_dump(mode="json") if isinstance(item, Scenario) else item
        loaded.append(load_scenario(source, **overrides))
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="ensemble-")) / "out"
    return run_ensemble(
        loaded,
        replications=replications,
        out=folder,
        workers=workers,
        address=address,
        precision=precision,
        max_replications=max_replications,
        resume=resume,
        base_seed=seed,
        charts=charts,
        targets=DEFAULT_TARGETS if targets is None else targets,
    )
