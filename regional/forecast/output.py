"""A forecast's folder appears whole or not at all: written in a hidden sibling, renamed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from regional.storage import guarded


class ForecastError(ValueError):
    """Inputs that cannot make a forecast or a back-test: one line naming what to fix."""


def check_out(out: Path) -> None:
    """Refuse an ``--out`` that exists already.

    Raises:
        ForecastError: naming the path.
    """
    if Path(out).exists():
        raise ForecastError(f"--out {out}: already exists; choose a new directory")


@contextmanager
def whole_folder(out: Path, what: str) -> Iterator[Path]:
    """A hidden sibling of ``out`` to write into, renamed to ``out`` when the block ends well
    and removed when it does not. The sibling is made at once, so a folder that cannot be
    written is said before any work (a ``StorageError``)."""
    out = Path(out)
    check_out(out)
    work = out.with_name(f".{out.name}.partial-{os.getpid()}")
    with guarded(work, what):
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    try:
        yield work
        with guarded(out, what):
            os.replace(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_writable(out: Path) -> None:
    """Say at once, before any work, when ``out`` cannot be made (its sibling is made and
    removed again).

    Raises:
        ForecastError: ``out`` exists already, or a file is in its path.
        StorageError: the folder it would be in refuses the write.
    """
    out = Path(out)
    check_out(out)
    probe = out.with_name(f".{out.name}.probe-{os.getpid()}")
    with guarded(out, "the output folder"):
        try:
            probe.mkdir(parents=True)
        except (FileExistsError, NotADirectoryError):
            raise ForecastError(
                f"--out {out}: cannot be made there (a file is in its path); give --out in a "
                "folder you may write to"
            ) from None
        probe.rmdir()
