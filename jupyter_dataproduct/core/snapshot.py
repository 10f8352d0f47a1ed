"""Published snapshots: the store on disk, addressing (ids, prefixes, tags), verification.

Layout under the product's store folder (``.dataproduct/`` by default)::

    snapshots/<id>/snapshot.json        schema, rows, sha256 per file, sources, config hash
    snapshots/<id>/entities/<name>.parquet
    snapshots/<id>/entities/<name>/part-00000.parquet   a large entity, in parts (``parts`` in snapshot.json)
    tags/<tag>                          one file per tag holding a snapshot id
    tmp/                                builds in progress (never read as snapshots)

A snapshot folder appears only by one atomic rename of a finished build and is never
written again; its files are made read-only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from stat import S_ISREG
from typing import Any, Callable, Iterator

import polars as pl

from .disk import write_atomically  # noqa: F401 (callers import it from here too)
from .errors import (
    AmbiguousSnapshotError,
    EntityNotFoundError,
    IntegrityError,
    InvalidNameError,
    SnapshotNotFoundError,
)
from .hashing import sha256_file, sha256_json

SNAPSHOT_FORMAT = 1
SNAPSHOT_FILE = "snapshot.json"
SHORT_ID = 12
MIN_PREFIX = 4
LATEST = "latest"
TAG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")  # \Z: "$" would allow a trailing newline
_HEX = re.compile(r"^[0-9a-f]+$")


def snapshot_id(config_hash: str, source_fingerprints: dict[str, str]) -> str:
    """The id of a snapshot: a hash of everything that determines its content."""
    return sha256_json({"format": SNAPSHOT_FORMAT, "config": config_hash, "sources": source_fingerprints})


class SnapshotInfo:
    """What every published snapshot, local or in object storage, reads from its manifest
    (``self.info``, the parsed ``snapshot.json``)."""

    info: dict[str, Any]

    @property
    def id(self) -> str:
        return self.info["id"]

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID]

    @property
    def created(self) -> str:
        return self.info["created"]

    @property
    def entities(self) -> dict[str, dict[str, Any]]:
        return self.info["entities"]

    def rows(self) -> dict[str, int]:
        return {name: meta["rows"] for name, meta in self.entities.items()}

    def entity_meta(self, entity: str) -> dict[str, Any]:
        """The manifest's entry for one entity (file, rows, schema), or a clear error."""
        if entity not in self.entities:
            raise EntityNotFoundError(
                f"Snapshot {self.short_id} has no entity {entity!r}; entities: {sorted(self.entities)}",
                details={"entity": entity, "allowed": sorted(self.entities)},
            )
        return self.entities[entity]

    def entity_parts(self, entity: str) -> list[dict[str, Any]]:
        """The files of one entity (``file``, ``rows``, ``sha256``): its parts, or its one file."""
        meta = self.entity_meta(entity)
        return meta.get("parts") or [{k: meta.get(k) for k in ("file", "rows", "bytes", "sha256")}]

    def files(self) -> list[dict[str, Any]]:
        """Every data file of the snapshot, entity by entity."""
        return [part for entity in self.entities for part in self.entity_parts(entity)]

    def content_problems(self, sha256_of: Callable[[str], str | None], present: list[str]) -> list[dict[str, str]]:
        """What differs from ``snapshot.json``: ``sha256_of(relative)`` gives a file's hash (None
        when missing); ``present`` lists the files found under the snapshot."""
        problems = []
        expected = snapshot_id(self.info["config_hash"], {k: v["fingerprint"] for k, v in self.info["sources"].items()})
        if expected != self.id:
            problems.append({"file": SNAPSHOT_FILE, "problem": "snapshot.json was edited: its id does not match its content"})
        for name, meta in self.entities.items():
            if "parts" in meta and meta["sha256"] != entity_sha256(meta["parts"]):
                problems.append({"file": SNAPSHOT_FILE, "problem": f"snapshot.json was edited: the parts of {name!r} "
                                                                   "do not match the entity's sha256"})
        listed = {SNAPSHOT_FILE}
        for part in self.files():
            listed.add(part["file"])
            found = sha256_of(part["file"])
            if found is None:
                problems.append({"file": part["file"], "problem": "missing"})
            elif found != part["sha256"]:
                problems.append({"file": part["file"], "problem": "changed (sha256 differs)"})
        problems += [{"file": relative, "problem": "unexpected file (not part of the snapshot)"}
                     for relative in sorted(present) if relative not in listed]
        return problems


def entity_sha256(parts: list[dict[str, Any]]) -> str:
    """An entity's content hash: its file's sha256, or for parts a hash of the parts' hashes."""
    return parts[0]["sha256"] if len(parts) == 1 else sha256_json([p["sha256"] for p in parts])


@dataclass(frozen=True)
class Snapshot(SnapshotInfo):
    """A published snapshot, read from its ``snapshot.json``."""

    path: Path
    info: dict[str, Any]

    def entity_file(self, entity: str) -> Path:
        """The entity's file, or the folder of its parts."""
        return self.path / self.entity_meta(entity)["file"]

    def scan(self, entity: str) -> pl.LazyFrame:
        """Lazy frame of one entity of this snapshot (all its parts)."""
        parts = self.entity_parts(entity)
        if len(parts) == 1:
            return pl.scan_parquet(self.path / parts[0]["file"])
        return pl.scan_parquet([self.path / p["file"] for p in parts])

    def verify(self, deep: bool = True) -> list[dict[str, str]]:
        """Recompute every hash; return the problems found (empty when intact). Local files are
        always re-hashed (``deep`` is accepted for the object store's interface)."""
        def sha256_of(relative: str) -> str | None:
            file = self.path / relative
            return sha256_file(file) if file.is_file() else None

        present = [f.relative_to(self.path).as_posix() for f in self.path.rglob("*") if f.is_file()]
        problems = self.content_problems(sha256_of, present)
        if self.path.name != self.id and not any(p["file"] == SNAPSHOT_FILE for p in problems):
            problems.insert(0, {"file": SNAPSHOT_FILE, "problem": "snapshot.json was edited: its id does not match its content"})
        return problems


class SnapshotStore:
    """The snapshots of one product, on disk."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.snapshots_dir = self.root / "snapshots"
        self.tags_dir = self.root / "tags"
        self.tmp_dir = self.root / "tmp"
        # When each snapshot was created, by id, with the signature of the snapshot.json it was
        # read from: `latest` then costs a stat per snapshot, not a read (1,000 snapshots: 150 ms).
        self._created: dict[str, tuple[tuple[int, int, int], str]] = {}

    # -- listing and addressing ------------------------------------------------------

    def ids(self) -> list[str]:
        return list(self._published())

    def _published(self) -> dict[str, tuple[int, int, int]]:
        """The published snapshots' ids, each with its snapshot.json's (inode, size, mtime)."""
        found = {}
        try:
            folders = list(os.scandir(self.snapshots_dir))
        except FileNotFoundError:
            return {}
        for folder in folders:
            try:
                stat = os.stat(os.path.join(folder.path, SNAPSHOT_FILE))
            except (FileNotFoundError, NotADirectoryError):
                continue
            if S_ISREG(stat.st_mode):
                found[folder.name] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        return found

    def latest(self) -> Snapshot | None:
        """The newest snapshot (by creation time, then id), or None when there is none."""
        published = self._published()
        if not published:
            return None
        return self.get(max(published, key=lambda i: (self._created_at(i, published[i]), i)))

    def _created_at(self, snapshot_id: str, signature: tuple[int, int, int]) -> str:
        known = self._created.get(snapshot_id)
        if known is not None and known[0] == signature:
            return known[1]
        created = self.get(snapshot_id).created
        self._created[snapshot_id] = (signature, created)
        return created

    def get(self, snapshot_id: str) -> Snapshot:
        path = self.snapshots_dir / snapshot_id
        try:
            info = json.loads((path / SNAPSHOT_FILE).read_text())
        except FileNotFoundError:
            raise SnapshotNotFoundError(f"No snapshot with id {snapshot_id}.") from None
        except json.JSONDecodeError as exc:
            raise IntegrityError(f"Snapshot {snapshot_id[:SHORT_ID]}: snapshot.json is corrupt ({exc}).") from None
        return Snapshot(path=path, info=info)

    def list(self) -> list[Snapshot]:
        """All snapshots, newest first."""
        return sorted((self.get(i) for i in self.ids()), key=lambda s: (s.created, s.id), reverse=True)

    def exists(self, snapshot_id: str) -> bool:
        return (self.snapshots_dir / snapshot_id / SNAPSHOT_FILE).is_file()

    def resolve(self, ref: str) -> Snapshot:
        """Find a snapshot by tag, ``latest``, full id or unique id prefix."""
        return resolve_ref(self, ref, where="",
                           empty="This product has no snapshot yet; build one with `dataproduct build`.")

    # -- tags ------------------------------------------------------------------------

    def tags(self) -> dict[str, str]:
        if not self.tags_dir.is_dir():
            return {}
        return {p.name: p.read_text().strip() for p in self.tags_dir.iterdir() if TAG_PATTERN.match(p.name)}

    def tags_by_snapshot(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for tag, target in sorted(self.tags().items()):
            found.setdefault(target, []).append(tag)
        return found

    def tag(self, name: str, ref: str) -> Snapshot:
        """Point tag ``name`` at the snapshot ``ref`` (moving it if it exists)."""
        validate_tag_name(name)
        snapshot = self.resolve(ref)
        self.tags_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.tags_dir / name, snapshot.id + "\n")
        return snapshot

    def untag(self, name: str) -> None:
        validate_tag_name(name)
        try:
            (self.tags_dir / name).unlink()
        except FileNotFoundError:
            raise SnapshotNotFoundError(f"No tag {name!r}; tags: {sorted(self.tags()) or 'none'}") from None


def resolve_ref(store: Any, ref: str, *, where: str, empty: str) -> Any:
    """A snapshot of ``store`` (local or in object storage: anything with ``latest``, ``tags``,
    ``ids`` and ``get``) by tag, ``latest``, full id or unique id prefix; ``where`` names the
    store in messages (empty for the product's own)."""
    ref = ref.strip()
    if ref == LATEST:
        newest = store.latest()
        if newest is None:
            raise SnapshotNotFoundError(empty)
        return newest
    tags = store.tags()
    tagged = tags.get(ref)
    if tagged is not None:
        return store.get(tagged)
    if not _HEX.match(ref) or len(ref) < MIN_PREFIX:
        raise SnapshotNotFoundError(
            f"No snapshot {ref!r}{where}: not a tag ({', '.join(sorted(tags)) or 'none defined'}), "
            f"not 'latest', and not an id prefix (at least {MIN_PREFIX} hex digits).",
            details={"ref": ref, "tags": sorted(tags)},
        )
    matches = sorted(i for i in store.ids() if i.startswith(ref))
    if not matches:
        raise SnapshotNotFoundError(f"No snapshot id starts with {ref!r}{where}.", details={"ref": ref})
    if len(matches) > 1:
        candidates = [m[:SHORT_ID] for m in matches]
        raise AmbiguousSnapshotError(
            f"Snapshot prefix {ref!r} is ambiguous; it matches {', '.join(candidates)}. Give more digits.",
            details={"ref": ref, "candidates": matches},
        )
    return store.get(matches[0])


def validate_tag_name(name: str) -> None:
    if name == LATEST or not TAG_PATTERN.match(name) or _HEX.match(name):
        raise InvalidNameError(
            f"Tag {name!r} is not allowed: use letters, digits, '.', '_' or '-' (up to 64, starting "
            "with a letter or digit), not only hex digits (they would read as an id), and not 'latest'.",
            details={"name": name},
        )


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) across processes and threads."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
