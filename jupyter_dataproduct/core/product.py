"""A data product on disk: its folder, manifest and snapshot store.

:class:`Product` is the entry point of the core API. It re-reads ``dataproduct.yaml``
whenever the file changes, so a long-lived object (a notebook session, a server) never
works from a stale manifest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .build import BuildResult, build_snapshot
from .diff import diff_snapshots
from .dictionary import data_dictionary
from .errors import ManifestError
from .manifest import MANIFEST_FILE, Manifest, load_manifest
from .progress import ProgressCallback
from .snapshot import Snapshot, SnapshotStore

STORE_DIR = ".dataproduct"
STORE_ENV = "DATAPRODUCT_STORE"


class Product:
    """A data product folder: ``Product.open("examples/actg175")``."""

    def __init__(self, path: Path, store_dir: Path | None = None) -> None:
        self.path = Path(path).resolve()
        if not (self.path / MANIFEST_FILE).is_file():
            raise ManifestError(
                f"{self.path} is not a data product: it has no {MANIFEST_FILE}. "
                "Create one with `dataproduct init NAME`.",
                details={"path": str(self.path)},
            )
        self.store = SnapshotStore(Path(store_dir) if store_dir else self.path / STORE_DIR)
        self._manifest: Manifest | None = None
        self._manifest_stamp: tuple[int, int] | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "Product":
        store = os.environ.get(STORE_ENV)
        return cls(Path(path), Path(store) if store else None)

    @property
    def manifest(self) -> Manifest:
        """The validated manifest, re-read when the file changed on disk."""
        file = self.path / MANIFEST_FILE
        stat = file.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._manifest is None or stamp != self._manifest_stamp:
            self._manifest = load_manifest(self.path)
            self._manifest_stamp = stamp
        return self._manifest

    @property
    def name(self) -> str:
        return self.manifest.name

    def build(self, *, progress: ProgressCallback = None, force: bool = False) -> BuildResult:
        return build_snapshot(self.manifest, self.path, self.store, progress=progress, force=force)

    def snapshots(self) -> list[Snapshot]:
        """All snapshots, newest first."""
        return self.store.list()

    def snapshot(self, ref: str = "latest") -> Snapshot:
        """A snapshot by tag, 'latest', id or unique id prefix; ``name@ref`` is accepted too."""
        return self.store.resolve(self._strip_product(ref))

    def verify(self, ref: str = "latest") -> tuple[Snapshot, list[dict[str, str]]]:
        snapshot = self.snapshot(ref)
        return snapshot, snapshot.verify()

    def tag(self, name: str, ref: str = "latest") -> Snapshot:
        return self.store.tag(name, self._strip_product(ref))

    def untag(self, name: str) -> None:
        self.store.untag(name)

    def diff(self, a: str, b: str) -> dict[str, Any]:
        return diff_snapshots(self.snapshot(a), self.snapshot(b))

    def dictionary(self) -> list[dict[str, Any]]:
        return data_dictionary(self.manifest)

    def _strip_product(self, ref: str) -> str:
        name, at, rest = ref.partition("@")
        if not at:
            return ref
        if name != self.name:
            raise ManifestError(
                f"{ref!r} names product {name!r}, but this product is {self.name!r}.",
                details={"ref": ref},
            )
        return rest
