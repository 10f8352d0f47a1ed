"""Whole entities sent as the snapshot's own Parquet file (``?format=parquet``).

A snapshot never changes, and a whole entity's rows are exactly its Parquet file: sending
that file as it is costs no decoding or encoding on the server and a fraction of the bytes
of Arrow IPC (the Python client reads it with ``pl.read_parquet`` on every core).

The file sent is the one the snapshot recorded: its size is checked on every request
against ``snapshot.json``, its sha256 once per server process and version of the file
(:mod:`.file_hashes`), so an altered or truncated file is refused with an
:class:`~jupyter_dataproduct.core.errors.IntegrityError` naming it, never sent. Entities
stored in parts, and snapshots in object storage, have no one local file: for them
:meth:`ParquetFiles.open` answers None and the request takes another format.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..core.errors import IntegrityError
from ..core.snapshot import Snapshot
from .file_hashes import FileHashes, stat_key

_MAGIC = b"PAR1"  # a Parquet file starts and ends with it


@dataclass
class EntityFile:
    """A verified snapshot file, open: the inode that was checked is the one sent."""

    path: Path
    handle: BinaryIO
    size: int

    def close(self) -> None:
        self.handle.close()


class ParquetFiles:
    """The entity files of one product's snapshots, checked before they are sent."""

    def __init__(self) -> None:
        self._hashes = FileHashes()

    def open(self, snapshot: Any, entity: str) -> EntityFile | None:
        """The entity's one Parquet file, open and checked; None when it has no single local
        file (parts, object storage); :class:`IntegrityError` when it is not the recorded one."""
        if not isinstance(snapshot, Snapshot):  # object storage: no local file to send
            return None
        parts = snapshot.entity_parts(entity)
        if len(parts) != 1:
            return None
        recorded = parts[0]
        path = snapshot.path / recorded["file"]
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise _damaged(snapshot, recorded["file"], f"cannot be read ({exc.strerror or exc})") from None
        try:
            size = self._check(snapshot, recorded, path, handle)
        except BaseException:
            handle.close()
            raise
        return EntityFile(path, handle, size)

    def _check(self, snapshot: Snapshot, recorded: dict[str, Any], path: Path, handle: BinaryIO) -> int:
        """The open file's size, once it is known to be the recorded file."""
        stat = os.fstat(handle.fileno())
        if recorded.get("bytes") is not None and stat.st_size != recorded["bytes"]:
            raise _damaged(snapshot, recorded["file"], f"has {stat.st_size:,} bytes, the snapshot recorded {recorded['bytes']:,}")
        key = stat_key(stat)
        digest = self._hashes.known(path, key)
        if digest is None:
            if stat.st_size < 2 * len(_MAGIC) or handle.read(len(_MAGIC)) != _MAGIC:
                raise _damaged(snapshot, recorded["file"], "is not a Parquet file")
            handle.seek(stat.st_size - len(_MAGIC))
            if handle.read(len(_MAGIC)) != _MAGIC:
                raise _damaged(snapshot, recorded["file"], "is not a complete Parquet file (truncated?)")
            digest = self._hashes.sha256(path, handle, key)
        if digest != recorded["sha256"]:
            raise _damaged(snapshot, recorded["file"], "changed since the snapshot was built (sha256 differs)")
        handle.seek(0)
        return stat.st_size


def _damaged(snapshot: Snapshot, file: str, problem: str) -> IntegrityError:
    return IntegrityError(f"Snapshot {snapshot.short_id}: {file} {problem}; it is not sent. "
                          "`dataproduct verify` lists what is damaged; rebuild the snapshot to repair it.",
                          details={"snapshot": snapshot.id, "file": file})
