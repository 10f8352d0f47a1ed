"""Writing to disk: a full disk is one clear :class:`DiskFullError`, whatever writes.

Python raises ``OSError(ENOSPC)`` (or ``EDQUOT`` for a quota, ``EFBIG`` for the file-size
limit); polars and pyarrow raise their own errors carrying the operating system's message.
:func:`reporting_full_disk` turns all of them into the one error, so the CLI, the server
(HTTP 507) and the notebook say the same thing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import DiskFullError

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
LOW_SPACE = 256 * 1024  # bytes: below this, a failed write is taken to be for want of space
_FULL_MESSAGES = ("No space left on device", "Disk quota exceeded", "File too large", "os error 28", "os error 122",
                  "os error 27")


def is_full_disk(exc: BaseException) -> bool:
    """True when ``exc`` (or an error it was raised from) says the disk is full."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
            return True
        if any(text in str(exc) for text in _FULL_MESSAGES):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False


def nearly_full(folder: Path) -> bool:
    """True when the file system holding ``folder`` has (almost) no space left."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < LOW_SPACE


@contextlib.contextmanager
def reporting_full_disk(what: str, where: Path | None = None) -> Iterator[None]:
    """Inside this block, a full disk raises DiskFullError naming ``what`` was being written.

    Some writers lose the system's message (polars may report a broken Parquet footer): give
    ``where`` (the folder written to) and a failed write on a file system left without space
    counts as a full disk too."""
    try:
        yield
    except DiskFullError:
        raise
    except Exception as exc:
        if is_full_disk(exc) or (where is not None and nearly_full(where)):
            raise DiskFullError(
                f"The disk is full: {what} could not be written. Nothing was half-written; free some space "
                "(or raise the quota) and try again.",
                details={"writing": what},
            ) from exc
        raise


def write_atomically(path: Path, text: str) -> None:
    """Write a small file so readers see the old or the new content, never a torn one (a full
    disk is a DiskFullError, and leaves the old content)."""
    with reporting_full_disk(path.name):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def fsync_folder(folder: Path) -> None:
    """Make renames and removals in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
