"""Whole entities kept as Arrow IPC streams beside the immutable snapshots they come from.

A frame request for a whole entity as Arrow (no ``where``, ``columns``, ``join`` or
``limit``) asks for the same rows every time for a given snapshot. The first such request
streams as usual (Parquet decoded batch by batch) while a background thread encodes the
same stream into a file in the product's store::

    arrow-cache/<snapshot id>/<entity>-<sha256 of the entity's Parquet file>.arrows
    arrow-cache/<snapshot id>/<entity>-<sha256 of the entity's Parquet file>.json   size, sha256
    arrow-cache/<snapshot id>/<entity>-<sha256 ...>.lz4.arrows (and .lz4.json)       buffers LZ4-compressed
    arrow-cache/<snapshot id>/<entity>-<sha256 ...>.zstd.arrows (and .zstd.json)     buffers ZSTD-compressed

One file per codec a client asked for (``?compression=``): plain IPC for clients that
cannot decompress (apache-arrow JS, old clients), compressed for those that can, each
built the first time it is asked for.

Later requests send that file as it is (no decoding, no encoding) with a
``Content-Length``. Snapshots never change, so nothing is ever invalidated; the Parquet
file's hash in the name means a rebuilt or edited store never matches an old cache file.

Integrity: the file appears only by an atomic rename of a finished, complete stream (a
build that fails or is stopped by the server's exit leaves at most a temp file, removed
by the next build), its size is checked on every use and its sha256 once per server
process (and again whenever the file's inode, size or times change), so a truncated or
altered file is never served: the request streams from Parquet instead and a rebuild
starts. One build at a time per file (a thread per process, an ``flock`` across
processes). Deleting ``arrow-cache/`` at any time is safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable

from ..core.snapshot import Snapshot, write_atomically
from .file_hashes import FileHashes, stat_key

CACHE_DIR = "arrow-cache"
CACHE_FORMAT = 1
SUFFIX = ".arrows"
_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"  # the end-of-stream marker every complete IPC stream ends with


@dataclass
class CachedEntity:
    """A verified cache file, open: the inode that was checked is the one sent."""

    path: Path
    handle: BinaryIO
    size: int

    def close(self) -> None:
        self.handle.close()


class ArrowCache:
    """The Arrow stream files of one product's store (``<store>/arrow-cache``)."""

    def __init__(self, store_root: Path) -> None:
        self.root = Path(store_root) / CACHE_DIR
        self._hashes = FileHashes()  # the files checked by this process
        self._mutex = threading.Lock()
        self._building: set[Path] = set()  # files a thread of this process is building

    def paths(self, snapshot: Snapshot, entity: str, codec: str = "none") -> tuple[Path, Path, Path]:
        """The stream file, its sidecar and its lock file (``codec``: the IPC buffer compression)."""
        stem = f"{entity}-{snapshot.entities[entity]['sha256']}" + ("" if codec == "none" else f".{codec}")
        folder = self.root / snapshot.id
        return folder / (stem + SUFFIX), folder / (stem + ".json"), folder / (stem + ".lock")

    def open(self, snapshot: Snapshot, entity: str, codec: str = "none") -> CachedEntity | None:
        """The entity's stream file for ``codec``, open and checked; None when absent or not intact."""
        data, sidecar, _ = self.paths(snapshot, entity, codec)
        return self.open_checked(data, sidecar, snapshot.entities[entity]["sha256"], codec)

    def open_checked(self, data: Path, sidecar: Path, source_sha256: str, codec: str = "none",
                     hash_unknown: bool = True) -> CachedEntity | None:
        """``data`` open, if intact; ``hash_unknown=False``: only if this process has hashed it already."""
        try:
            meta = json.loads(sidecar.read_text())
            handle = open(data, "rb")
        except (OSError, ValueError):
            return None
        try:
            if self._intact(data, handle, meta, source_sha256, codec, hash_unknown):
                return CachedEntity(data, handle, meta["size"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        handle.close()
        return None

    def _intact(self, path: Path, handle: BinaryIO, meta: Any, source_sha256: str, codec: str, hash_unknown: bool) -> bool:
        if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT or meta.get("source_sha256") != source_sha256:
            return False
        if meta.get("compression", "none") != codec:  # files before compression existed are plain
            return False
        stat = os.fstat(handle.fileno())
        if stat.st_size != meta["size"] or stat.st_size < len(_EOS):
            return False
        key = stat_key(stat)
        known = self._hashes.known(path, key)
        if known is not None:
            return known == meta["sha256"]
        if not hash_unknown:
            return False
        handle.seek(stat.st_size - len(_EOS))
        if handle.read(len(_EOS)) != _EOS:
            return False
        return self._hashes.sha256(path, handle, key) == meta["sha256"]

    def writer(self, snapshot: Snapshot, entity: str, codec: str = "none") -> "CacheWriter":
        return CacheWriter(self, snapshot, entity, codec)

    def build_later(self, snapshot: Snapshot, entity: str, encode: Callable[[Any], Any], codec: str = "none") -> None:
        """Build the entity's ``codec`` file in a background thread, once per process at a time.

        ``encode(writer)`` must return an iterator of the entity's Arrow stream chunks that
        feeds ``writer`` and commits it at the end (a :class:`~.streams.FrameStream` with
        ``tee=writer``). The request that missed the cache streams on its own meanwhile, at
        the uncached speed, instead of paying for hashing and writing; a client leaving
        does not stop the build.
        """
        data, _, _ = self.paths(snapshot, entity, codec)
        with self._mutex:
            if data in self._building:
                return
            self._building.add(data)

        def build() -> None:
            try:
                for _ in encode(self.writer(snapshot, entity, codec)):
                    pass
            except Exception:  # the cache is an optimisation: a failed build only means no file
                pass
            finally:
                with self._mutex:
                    self._building.discard(data)

        threading.Thread(target=build, name=f"arrow-cache {entity}", daemon=True).start()

    def _remember(self, path: Path, sha256: str) -> None:
        self._hashes.remember(path, stat_key(path.stat()), sha256)


class CacheWriter:
    """Writes a stream's bytes as they are sent; ``commit()`` publishes them, ``close()``
    without a commit throws them away. Never raises: the response matters more than the
    cache, so a failure (disk full, say) only stops the writing.

    The build lock is taken on the first write, without waiting: when another request is
    building the same file, this one just streams.
    """

    def __init__(self, cache: ArrowCache, snapshot: Snapshot, entity: str, codec: str = "none") -> None:
        self.cache = cache
        self.source_sha256 = snapshot.entities[entity]["sha256"]
        self.snapshot_id = snapshot.id
        self.entity = entity
        self.codec = codec
        self.data, self.sidecar, self.lock_path = cache.paths(snapshot, entity, codec)
        self._lock: BinaryIO | None = None
        self._file: BinaryIO | None = None
        self._tmp: Path | None = None
        self._digest = hashlib.sha256()
        self._size = 0
        self._started = False

    @property
    def active(self) -> bool:
        return self._file is not None

    def write(self, pieces: list[Any] | Any) -> None:
        if not self._started:
            self._started = True
            self._begin()
        if self._file is None:
            return
        try:
            for piece in pieces if isinstance(pieces, list) else (pieces,):
                self._file.write(piece)
                self._digest.update(piece)
                self._size += memoryview(piece).nbytes
        except (OSError, ValueError):
            self.close()

    def _begin(self) -> None:
        import fcntl

        try:
            self.data.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.lock_path, "ab")
        except OSError:
            return
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another request is building it
            lock.close()
            return
        self._lock = lock
        if self._published():  # built by another request since this one looked
            self._unlock()
            return
        try:
            for stale in self.data.parent.glob(f".{self.data.name}.*.tmp"):  # left by a build that died
                stale.unlink(missing_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.data.parent, prefix=f".{self.data.name}.", suffix=".tmp")
        except OSError:
            self._unlock()
            return
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb", buffering=0)

    def _published(self) -> bool:
        """Whether an intact file is in place (built by another request while this one started)."""
        cached = self.cache.open_checked(self.data, self.sidecar, self.source_sha256, self.codec, hash_unknown=False)
        if cached is None:
            return False
        cached.close()
        return True

    def commit(self) -> bool:
        """Publish the file written (the stream was complete); False if nothing was published."""
        if self._file is None or self._tmp is None:
            self.close()
            return False
        try:
            self._file.close()
            self._file = None
            os.chmod(self._tmp, 0o440)  # like the snapshot: not world-readable
            self.sidecar.unlink(missing_ok=True)  # an old sidecar never describes the new file
            os.replace(self._tmp, self.data)
            self._tmp = None
            digest = self._digest.hexdigest()
            self.cache._remember(self.data, digest)
            write_atomically(self.sidecar, json.dumps({
                "format": CACHE_FORMAT, "snapshot": self.snapshot_id, "entity": self.entity,
                "source_sha256": self.source_sha256, "compression": self.codec, "size": self._size, "sha256": digest,
            }, indent=2) + "\n")
            return True
        except OSError:
            return False
        finally:
            self.close()

    def close(self) -> None:
        """Throw away whatever was not committed and release the build lock."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.unlink(missing_ok=True)
            self._tmp = None
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
