"""Product folders under the Jupyter root: a bounded search, reused for a few seconds.

Walks at most ``depth`` levels below the root, skips hidden folders, ``node_modules``,
``__pycache__`` and snapshot stores (``.dataproduct``), never follows symbolic links out of
the root, and stops after ``limit`` finds, so a large home directory cannot stall the panel.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

MANIFEST = "dataproduct.yaml"
SKIPPED = {"node_modules", "__pycache__", "site-packages", "venv"}


def find_product_folders(root: Path, depth: int = 3, limit: int = 50) -> list[Path]:
    """Folders at most ``depth`` levels under ``root`` holding a ``dataproduct.yaml``, shallowest first."""
    root = root.resolve()
    found: list[Path] = []
    seen: set[Path] = set()  # a folder reached again through a link is one product
    level = [root]
    for _ in range(depth + 1):
        following: list[Path] = []
        for folder in level:
            real = folder.resolve()
            if real in seen:
                continue
            seen.add(real)
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            if any(e.name == MANIFEST and e.is_file() for e in entries):
                found.append(real)
                if len(found) >= limit:
                    return found
            following += [Path(e.path) for e in entries if _searchable(e, root)]
        level = following
    return found


def _searchable(entry: os.DirEntry, root: Path) -> bool:
    if entry.name.startswith(".") or entry.name in SKIPPED:
        return False
    try:
        if not entry.is_dir():
            return False
        return not entry.is_symlink() or Path(entry.path).resolve().is_relative_to(root)
    except OSError:
        return False


class FolderSearch:
    """:func:`find_product_folders` for one root, its answer kept ``ttl`` seconds."""

    def __init__(self, root: Path, depth: int, limit: int, ttl: float) -> None:
        self.root, self.depth, self.limit, self.ttl = root, depth, limit, ttl
        self._lock = threading.Lock()
        self._found: list[Path] = []
        self._when = float("-inf")

    def folders(self) -> list[Path]:
        with self._lock:  # one search at a time; the others wait for its answer
            if time.monotonic() - self._when > self.ttl:
                self._found = find_product_folders(self.root, self.depth, self.limit)
                self._when = time.monotonic()
            return list(self._found)

    def forget(self) -> None:
        """Search again on the next call (after a product is added or removed)."""
        with self._lock:
            self._when = float("-inf")
