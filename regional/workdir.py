"""The work area of a run in progress: ``<out>.incomplete/`` beside the run directory.

It holds ``run.json`` (the resolved scenario and where the results go) and the shards'
checkpoints. When the run ends, the run directory appears whole (renamed into place) and the
work area is removed; when the run is interrupted, the work area stays for ``--resume``.

A work area is either resumable or not there: one that holds no committed checkpoint (a run
that failed before its first, or a disk that was full before the start) is removed by the run
that fails, and replaced by the next run given the same ``--out``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regional.scenario import Scenario, ScenarioError, scenario_from_dict, scenario_to_dict
from regional.storage import guarded

OURS = {"run.json", "checkpoints"}

SUFFIX = ".incomplete"
WORKDIR_SCHEMA_VERSION = 1


class WorkDirError(ValueError):
    """A run directory that cannot be started or resumed."""


@dataclass(frozen=True)
class WorkDir:
    """Where an unfinished run keeps its state."""

    out: Path
    path: Path

    @property
    def checkpoints(self) -> Path:
        """The shards' checkpoints."""
        return self.path / "checkpoints"

    @classmethod
    def check_free(cls, out: Path) -> None:
        """Refuse ``out`` before any work when a run directory or a resumable run is there.

        Raises:
            WorkDirError: naming the path and what to do.
        """
        out = Path(out)
        path = out.with_name(out.name + SUFFIX)
        if out.exists():
            raise WorkDirError(f"--out {out}: already exists; choose a new directory")
        if path.exists() and not holds_no_state(path):
            raise WorkDirError(
                f"{path}: an interrupted run is there; finish it with "
                f"`regional run --resume {out}` or remove it"
            )

    @classmethod
    def create(cls, out: Path, scenario: Scenario) -> WorkDir:
        """Start the work area of a new run whose results go to ``out`` (replacing a work
        area that holds no state)."""
        out = Path(out)
        path = out.with_name(out.name + SUFFIX)
        if out.exists():
            raise WorkDirError(f"--out {out}: already exists; choose a new directory")
        if path.exists():
            if not holds_no_state(path):
                raise WorkDirError(
                    f"{path}: an interrupted run is there; finish it with "
                    f"`regional run --resume {out}` or remove it"
                )
            shutil.rmtree(path)
        record = {
            "workdir_schema_version": WORKDIR_SCHEMA_VERSION,
            "out": out.name,
            "scenario": scenario_to_dict(scenario),
        }
        text = json.dumps(record, indent=2)
        with guarded(path, "the run's work area", len(text.encode())):
            try:
                path.mkdir(parents=True)
                (path / "run.json").write_text(text)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
        return cls(out, path)

    def committed_window(self) -> int | None:
        """The window the run can resume from, or None when it wrote no checkpoint."""
        from regional.checkpoint import committed_window

        return committed_window(self.checkpoints)

    @classmethod
    def open(cls, given: Path) -> WorkDir:
        """The work area of an interrupted run, from its run directory or work-area path."""
        given = Path(given)
        if given.name.endswith(SUFFIX):
            path, out = given, given.with_name(given.name.removesuffix(SUFFIX))
        else:
            path, out = given.with_name(given.name + SUFFIX), given
        if not path.is_dir():
            if (out / "manifest.json").is_file():
                raise WorkDirError(f"--resume {given}: that run is already complete")
            raise WorkDirError(f"--resume {given}: no interrupted run there (expected {path})")
        record_path = path / "run.json"
        try:
            record: dict[str, Any] = json.loads(record_path.read_text())
        except (OSError, ValueError):
            if holds_no_state(path):
                raise WorkDirError(
                    f"--resume {given}: {record_path} is empty or cut short (a full disk at "
                    "the start) and there is no checkpoint; start the run again with the "
                    "same --out, which replaces it"
                ) from None
            raise WorkDirError(
                f"--resume {given}: {record_path} is missing or unreadable; "
                "this is not a run directory of ours"
            ) from None
        if record.get("workdir_schema_version") != WORKDIR_SCHEMA_VERSION:
            raise WorkDirError(
                f"--resume {given}: written by an incompatible version; start the run again"
            )
        return cls(out, path)

    def scenario(self, workers: int | None = None) -> Scenario:
        """The scenario the run was started with (optionally on another number of workers)."""
        record = json.loads((self.path / "run.json").read_text())
        data = record["scenario"]
        if workers is not None:
            data["workers"] = workers
        try:
            return scenario_from_dict(data, str(self.path / "run.json"))
        except ScenarioError as error:
            raise WorkDirError(str(error)) from None

    def remove_if_stateless(self) -> None:
        """Drop the work area when it holds nothing to resume from (a run that failed before
        its first checkpoint leaves nothing behind)."""
        if holds_no_state(self.path):
            self.remove()

    def remove(self) -> None:
        """Drop the work area once the run directory is in place."""
        shutil.rmtree(self.path, ignore_errors=True)


def holds_no_state(path: Path) -> bool:
    """Whether a work area of ours holds nothing to resume: only ``run.json`` (perhaps empty
    or cut short) and checkpoints that were never committed. A folder with anything else in
    it is not ours to remove."""
    from regional.checkpoint import CheckpointError, committed_window

    path = Path(path)
    if not path.is_dir() or not {p.name for p in path.iterdir()} <= OURS:
        return False
    try:
        return committed_window(path / "checkpoints") is None
    except CheckpointError:  # a pointer cut short by a full disk: nothing to resume either
        return True
