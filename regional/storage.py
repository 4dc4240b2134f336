"""Writing to disk: the one place where a full disk, a folder without permission or a
read-only file system become one line that names the path, instead of a traceback.

Every write of a run (its work area, checkpoints, the run directory, GIS exports, plots) runs
inside ``guarded``; the caller decides what survives (a write into a temporary sibling
removes it, a checkpoint keeps the last good one).
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# what the operating system says, and what the user can do about it
FAULTS = {
    errno.ENOSPC: ("no space left on the device", "free some space or give --out on another disk"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or give --out on another disk"),
    errno.EACCES: ("permission denied", "give --out in a folder you may write to"),
    errno.EPERM: ("operation not permitted", "give --out in a folder you may write to"),
    errno.EROFS: ("a read-only file system", "give --out on a writable disk"),
}
MB = 1024 * 1024


class StorageError(Exception):
    """A write that the file system refused; the message is one line naming the path."""

    def __init__(self, error_number: int, message: str) -> None:
        super().__init__(message)
        self.errno = error_number


def fault_errno(error: BaseException) -> int | None:
    """The errno of a storage fault in ``error`` or what it wraps (Ray hands a worker's
    ``OSError`` over as its cause), or None when it is no such fault."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        number = getattr(current, "errno", None)
        if number in FAULTS:
            return int(number)
        text = str(current)
        for code in FAULTS:  # a fault that lost its errno on the way (GDAL) keeps its words
            if f"[Errno {code}]" in text or os.strerror(code) in text:
                return code
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
    return None


def free_bytes(path: Path) -> int | None:
    """Free space where ``path`` is (or would be) written, or None when it cannot be known."""
    path = Path(path).absolute()
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def describe(error_number: int, path: Path, what: str, needed_bytes: int | None = None) -> str:
    """The one line of a storage fault."""
    reason, fix = FAULTS[error_number]
    space = ""
    if error_number in (errno.ENOSPC, errno.EDQUOT):
        free = free_bytes(path)
        parts = []
        if needed_bytes is not None:
            parts.append(f"up to {_mb(needed_bytes)} needed")
        if free is not None:
            parts.append(f"{_mb(free)} free")
        space = f" ({', '.join(parts)})" if parts else ""
    return f"{path}: cannot write {what}: {reason}{space}; {fix}"


@contextmanager
def guarded(path: Path, what: str, needed_bytes: int | None = None) -> Iterator[None]:
    """Turn a storage fault inside the block into a ``StorageError`` naming ``path``.

    Args:
        path: the file or folder being written (named in the message).
        what: what is written, e.g. "the run directory".
        needed_bytes: how much the write takes, when known (said for a full disk).
    """
    try:
        yield
    except StorageError:
        raise
    except Exception as error:
        number = fault_errno(error)
        if number is None:
            raise
        raise StorageError(number, describe(number, Path(path), what, needed_bytes)) from None


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB"
