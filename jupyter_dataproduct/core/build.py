"""Building a snapshot: read sources, model, check, write Parquet, publish atomically.

A build works in its own folder under ``tmp/`` and holds an exclusive lock on it. Only a
finished, checked and hashed build is renamed into ``snapshots/``; a failed or killed
build leaves at most a locked-then-abandoned folder in ``tmp/``, which the next build
removes. Two builds of the same content race harmlessly: the first rename wins and the
other build returns that snapshot.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .._version import __version__
from .checks import check_entity, check_references, raise_for_failures
from .hashing import sha256_file, sha256_json
from .manifest import Manifest
from .modelling import model_entity
from .progress import ProgressCallback, Steps
from .snapshot import SNAPSHOT_FILE, SNAPSHOT_FORMAT, Snapshot, SnapshotStore, now_iso, snapshot_id

LOCK_FILE = ".build.lock"


@dataclass(frozen=True)
class BuildResult:
    snapshot: Snapshot
    created: bool  # False when an identical snapshot already existed


def build_snapshot(
    manifest: Manifest,
    product_dir: Path,
    store: SnapshotStore,
    *,
    progress: ProgressCallback = None,
    force: bool = False,
) -> BuildResult:
    """Build (or find) the snapshot for the product's current sources and config."""
    entities = manifest.model.entities
    steps = Steps(total=len(manifest.sources) + 2 * len(entities) + 2, callback=progress)

    fingerprints = {}
    for name, source in manifest.sources.items():
        steps.begin(f"fingerprint source {name}")
        fingerprints[name] = source.fingerprint(product_dir)
        steps.finish(f"fingerprinted source {name}")
    config_hash = sha256_json(manifest.config_for_hash())
    new_id = snapshot_id(config_hash, fingerprints)
    if store.exists(new_id) and not force:
        steps.done = steps.total
        steps.finish("up to date: identical snapshot exists")
        return BuildResult(store.get(new_id), created=False)

    _remove_abandoned_builds(store)
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    work = store.tmp_dir / f"build-{uuid.uuid4().hex}"
    work.mkdir()
    lock = _hold_lock(work)
    try:
        info = _write_entities(manifest, product_dir, work, steps)
        info.update(
            id=new_id,
            format=SNAPSHOT_FORMAT,
            product=manifest.name,
            product_version=manifest.version,
            tool_version=__version__,
            created=now_iso(),
            config_hash=config_hash,
            sources={n: {"kind": s.kind, "fingerprint": fingerprints[n]} for n, s in manifest.sources.items()},
        )
        (work / SNAPSHOT_FILE).write_text(json.dumps(info, indent=2, sort_keys=True))
        _fsync_tree(work)
        steps.begin("publish")
        published = _publish(work, store, new_id)
        steps.finish("published" if published else "identical snapshot published by another build")
        return BuildResult(store.get(new_id), created=published)
    finally:
        os.close(lock)
        shutil.rmtree(work, ignore_errors=True)


def _write_entities(manifest: Manifest, product_dir: Path, work: Path, steps: Steps) -> dict:
    entities_dir = work / "entities"
    entities_dir.mkdir()
    frames: dict[str, pl.DataFrame] = {}
    failures = []
    scanned: dict[str, pl.LazyFrame] = {}
    for name, entity in manifest.model.entities.items():
        steps.begin(f"model {name}")
        if entity.source not in scanned:
            scanned[entity.source] = manifest.sources[entity.source].scan(product_dir)
        modelled = model_entity(name, entity, scanned[entity.source])
        failures += check_entity(manifest.model, modelled)
        frames[name] = modelled.frame
        steps.finish(f"modelled {name}: {modelled.frame.height:,} rows")
    steps.begin("check references")
    failures += check_references(manifest.model, frames)
    steps.finish("checked references")
    raise_for_failures(failures)

    meta = {}
    for name, frame in frames.items():
        steps.begin(f"write {name}")
        relative = f"entities/{name}.parquet"
        frame.write_parquet(work / relative, compression="zstd", statistics=True)
        meta[name] = {
            "file": relative,
            "rows": frame.height,
            "bytes": (work / relative).stat().st_size,
            "sha256": sha256_file(work / relative),
            "schema": _schema(manifest, name, frame),
        }
        steps.finish(f"wrote {name}")
    return {"entities": meta}


def _schema(manifest: Manifest, entity: str, frame: pl.DataFrame) -> list[dict]:
    columns = manifest.model.entities[entity].columns
    return [
        {"name": name, "type": columns[name].type, "dtype": str(dtype)}
        for name, dtype in frame.schema.items()
    ]


def _publish(work: Path, store: SnapshotStore, new_id: str) -> bool:
    """Rename the finished build into place; False if the same id is already there."""
    store.snapshots_dir.mkdir(parents=True, exist_ok=True)
    final = store.snapshots_dir / new_id
    _make_read_only(work)
    try:
        os.rename(work, final)
    except OSError:
        if store.exists(new_id):
            return False
        raise
    _fsync_dir(store.snapshots_dir)
    return True


def _hold_lock(work: Path) -> int:
    fd = os.open(work / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _remove_abandoned_builds(store: SnapshotStore) -> None:
    """Delete build folders whose builder died (their lock is free)."""
    if not store.tmp_dir.is_dir():
        return
    for folder in store.tmp_dir.glob("build-*"):
        try:
            fd = os.open(folder / LOCK_FILE, os.O_RDWR)
        except OSError:
            continue  # just created by a live build that has not locked yet
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a live build holds it
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def _make_read_only(folder: Path) -> None:
    (folder / LOCK_FILE).unlink(missing_ok=True)
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o440)  # read-only; owner and group, not the world


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and path.name != LOCK_FILE:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder / "entities")
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
