"""Building a snapshot: read sources, model, check, write Parquet, publish atomically.

A build works in its own folder under ``tmp/`` and holds an exclusive lock beside it from
before the folder exists until after it has been renamed away or removed. Only a finished,
checked and hashed build is renamed into ``snapshots/``; a failed or killed build leaves at
most an unlocked folder in ``tmp/``, which the next build removes (whether or not it has
anything to build). Two builds of the same content race harmlessly: the first rename wins and the
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
from .disk import fsync_folder, reporting_full_disk
from .errors import SourceError
from .hashing import sha256_file, sha256_json
from .manifest import Manifest
from .modelling import model_entity
from .progress import ProgressCallback, Steps
from .object_store import ObjectSnapshot, ObjectSnapshotStore
from .snapshot import (
    SNAPSHOT_FILE, SNAPSHOT_FORMAT, Snapshot, SnapshotStore, entity_sha256, exclusive_lock, now_iso, snapshot_id,
)

LOCK_SUFFIX = ".lock"  # tmp/build-<id>.lock: held by the live build of tmp/build-<id>/
STORE_LOCK = ".lock"  # tmp/.lock: held while a build starts or cleans up


@dataclass(frozen=True)
class BuildResult:
    snapshot: Snapshot | ObjectSnapshot
    created: bool  # False when an identical snapshot already existed


def build_snapshot(
    manifest: Manifest,
    product_dir: Path,
    store: SnapshotStore | ObjectSnapshotStore,
    *,
    progress: ProgressCallback = None,
    force: bool = False,
) -> BuildResult:
    """Build (or find) the snapshot for the product's current sources and config; into object
    storage the build is staged in the local ``tmp/`` and uploaded, ``snapshot.json`` last."""
    entities = manifest.model.entities
    steps = Steps(total=len(manifest.sources) + 2 * len(entities) + 2, callback=progress)

    fingerprints = {}
    for name, source in manifest.sources.items():
        steps.begin(f"fingerprint source {name}")
        fingerprints[name] = source.fingerprint(product_dir)
        steps.finish(f"fingerprinted source {name}")
    config_hash = sha256_json(manifest.config_for_hash())
    new_id = snapshot_id(config_hash, fingerprints)
    with reporting_full_disk("the snapshot"):
        return _build_in_tmp(manifest, product_dir, store, steps, new_id, config_hash, fingerprints, force)


def _build_in_tmp(manifest: Manifest, product_dir: Path, store: SnapshotStore | ObjectSnapshotStore, steps: Steps, new_id: str,
                  config_hash: str, fingerprints: dict[str, str], force: bool) -> BuildResult:
    """Write the snapshot in its own tmp/ folder and publish it; the folder is gone afterwards."""
    work, lock = _start_work(store)  # also removes what earlier, killed builds left in tmp/
    try:
        if store.exists(new_id) and not force:
            steps.done = steps.total
            steps.finish("up to date: identical snapshot exists")
            return BuildResult(store.get(new_id), created=False)
        work.mkdir()
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
        if isinstance(store, ObjectSnapshotStore):
            published = store.upload(work, info, steps)  # files (with their SHA-256) first, snapshot.json last
        else:
            steps.begin("publish")
            published = _publish(work, store, new_id)
            steps.finish("published" if published else "identical snapshot published by another build")
        return BuildResult(store.get(new_id), created=published)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        _release(work, lock)


def _write_entities(manifest: Manifest, product_dir: Path, work: Path, steps: Steps) -> dict:
    entities_dir = work / "entities"
    entities_dir.mkdir()
    frames: dict[str, pl.DataFrame] = {}
    failures = []
    scanned: dict[str, pl.LazyFrame] = {}
    for name, entity in manifest.model.entities.items():
        steps.begin(f"model {name}")
        try:
            if entity.source not in scanned:
                scanned[entity.source] = manifest.sources[entity.source].scan(product_dir)
            modelled = model_entity(name, entity, scanned[entity.source])
        except pl.exceptions.PolarsError as exc:
            raise SourceError(
                f"Entity {name!r}: source {entity.source!r} could not be read: {_first_line(exc)}",
                details={"entity": name, "source": entity.source},
            ) from exc
        failures += check_entity(manifest.model, modelled)
        frames[name] = modelled.frame
        steps.finish(f"modelled {name}: {modelled.frame.height:,} rows")
    steps.begin("check references")
    failures += check_references(manifest.model, frames)
    steps.finish("checked references")
    raise_for_failures(failures)

    meta = {}
    rows_per_part = manifest.snapshots.rows_per_part()
    for name, frame in frames.items():
        steps.begin(f"write {name}")
        with reporting_full_disk("the snapshot", work):  # checked before the work folder is removed
            if rows_per_part is None or frame.height <= rows_per_part:
                parts = [_write_part(frame, work, f"entities/{name}.parquet")]
                location = parts[0]["file"]
            else:  # a large entity: several files, each small enough for one upload
                (entities_dir / name).mkdir()
                parts = [_write_part(frame.slice(offset, rows_per_part), work, f"entities/{name}/part-{i:05d}.parquet")
                         for i, offset in enumerate(range(0, frame.height, rows_per_part))]
                location = f"entities/{name}/"
        meta[name] = {
            "file": location,
            "rows": frame.height,
            "bytes": sum(p["bytes"] for p in parts),
            "sha256": entity_sha256(parts),
            "schema": _schema(manifest, name, frame),
        }
        if len(parts) > 1:
            meta[name]["parts"] = parts
        steps.finish(f"wrote {name}" + (f" in {len(parts)} parts" if len(parts) > 1 else ""))
    return {"entities": meta}


def _write_part(frame: pl.DataFrame, work: Path, relative: str) -> dict:
    frame.write_parquet(work / relative, compression="zstd", statistics=True)
    return {"file": relative, "rows": frame.height, "bytes": (work / relative).stat().st_size,
            "sha256": sha256_file(work / relative)}


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
    fsync_folder(store.snapshots_dir)
    return True


def _start_work(store: SnapshotStore) -> tuple[Path, int]:
    """A new build's folder name in ``tmp/`` and the held lock that marks it alive.

    Each build holds ``tmp/build-<id>.lock`` (beside its folder, so it is held until the
    folder is renamed away and after) from before its folder exists until after it is gone.
    Holding the store's ``tmp/.lock`` while creating a lock and while cleaning means a
    cleaner never sees a build between creating its lock file and locking it."""
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(store.tmp_dir / STORE_LOCK):
        _remove_abandoned_builds(store.tmp_dir)
        work = store.tmp_dir / f"build-{uuid.uuid4().hex}"
        fd = os.open(work.with_name(work.name + LOCK_SUFFIX), os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return work, fd


def _release(work: Path, lock: int) -> None:
    work.with_name(work.name + LOCK_SUFFIX).unlink(missing_ok=True)
    os.close(lock)


def _remove_abandoned_builds(tmp: Path) -> None:
    """Delete what builds that died left in ``tmp/`` (call with the store lock held): a build
    folder or lock file whose lock is free - or a folder without one (a build killed between
    unlocking and renaming, in versions before the lock lived beside the folder)."""
    for path in sorted(tmp.glob("build-*")):
        name = path.name.removesuffix(LOCK_SUFFIX)
        if path.name.endswith(LOCK_SUFFIX) or not (tmp / (name + LOCK_SUFFIX)).exists():
            if _is_free(tmp / (name + LOCK_SUFFIX)):
                shutil.rmtree(tmp / name, ignore_errors=True)
                (tmp / (name + LOCK_SUFFIX)).unlink(missing_ok=True)


def _is_free(lock_file: Path) -> bool:
    """True when no live build holds ``lock_file`` (or it does not exist)."""
    try:
        fd = os.open(lock_file, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o440)  # read-only; owner and group, not the world


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in sorted(folder.rglob("*"), reverse=True):  # the parts' folders, then entities/
        if path.is_dir():
            fsync_folder(path)
    fsync_folder(folder)



def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
