"""The sha256 of files the server sends as they are, computed once per version of a file.

A version is the file's stat key (device, inode, size, modification and change times): a
file is hashed the first time a version of it is asked for and the hash is remembered for
the process; a file replaced, rewritten, truncated or touched has a new key and is hashed
again. Concurrent first requests hash a file once.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import BinaryIO

from ..core.hashing import sha256_open_file

StatKey = tuple[int, ...]


def stat_key(stat: os.stat_result) -> StatKey:
    """What changes whenever the file's bytes may have changed."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class FileHashes:
    """sha256 per path and version, remembered for the life of the process."""

    def __init__(self) -> None:
        self._known: dict[Path, tuple[StatKey, str]] = {}
        self._mutex = threading.Lock()
        self._hashing = threading.Lock()

    def known(self, path: Path, key: StatKey) -> str | None:
        """The hash of this version of ``path`` if this process has computed it, else None."""
        with self._mutex:
            found = self._known.get(path)
        return found[1] if found is not None and found[0] == key else None

    def sha256(self, path: Path, handle: BinaryIO, key: StatKey) -> str:
        """The hash of the open file ``handle`` (version ``key`` of ``path``): remembered, or
        read once; the handle is left at the file's start."""
        with self._hashing:  # concurrent first requests hash the file once
            digest = self.known(path, key)
            if digest is None:
                handle.seek(0)
                digest = sha256_open_file(handle)
                self.remember(path, key, digest)
        handle.seek(0)
        return digest

    def remember(self, path: Path, key: StatKey, sha256: str) -> None:
        """Record a hash computed elsewhere (a file this process just wrote)."""
        with self._mutex:
            self._known[path] = (key, sha256)
