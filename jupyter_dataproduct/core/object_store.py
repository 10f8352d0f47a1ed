"""Snapshots in S3-compatible object storage: the local layout under ``s3://bucket/<prefix>/``.

Object storage has no atomic rename, so publishing is ordered instead: every entity file
(or part) first, each uploaded in one PUT with its SHA-256 (the server checks it and keeps
it), and ``snapshot.json`` last with a conditional write (``If-None-Match: *``) that refuses
a second publish. A reader lists only snapshots whose ``snapshot.json`` exists, so it never
sees a half-published one. ``verify`` compares the stored checksums without downloading
(``deep=True`` downloads and re-hashes). Tags are small objects written conditionally too.

Credentials and the endpoint come from the environment or the standard AWS configuration
(``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, ``~/.aws/...``), never from the manifest.
A product's own local folder (``root``) still holds what is not a snapshot: builds being
staged (``tmp/``), artifacts, history, tokens.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from .errors import (
    IntegrityError,
    MissingDependencyError,
    ParameterError,
    SnapshotExistsError,
    SnapshotNotFoundError,
    StorageError,
)
from .progress import Steps
from .snapshot import SHORT_ID, SNAPSHOT_FILE, Snapshot, SnapshotInfo, resolve_ref, validate_tag_name
from .storage import CREDENTIALS_HELP, S3_URL

_CHUNK = 8 * 1024 * 1024
_CLIENTS: dict[tuple[str, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_MISSING = ("404", "NoSuchKey", "NotFound")
_PRECONDITION = ("412", "PreconditionFailed", "ConditionalRequestConflict")
_REFUSED = ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken")


def _client() -> Any:
    """One boto3 client per environment (endpoint, region, profile): creating one costs ~50 ms."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise MissingDependencyError(
            "Snapshots in object storage need boto3: pip install 'jupyter-dataproduct[s3]'.",
            details={"extra": "s3"},
        ) from None
    key = tuple(os.environ.get(k, "") for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION",
                                                "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID"))
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            # Few retries and a short connect timeout: a wrong endpoint is an error within seconds, not minutes.
            config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60)
            _CLIENTS[key] = boto3.client("s3", config=config)
        return _CLIENTS[key]


def storage_options() -> dict[str, str]:
    """What polars needs to read ``s3://`` (credentials stay in the environment)."""
    options: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["aws_endpoint_url"] = endpoint
        if endpoint.startswith("http://"):
            options["aws_allow_http"] = "true"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["aws_region"] = region
    return options


def manifest_bytes(info: dict[str, Any]) -> bytes:
    """``snapshot.json`` as published (verify compares the store's checksum of these bytes)."""
    return json.dumps(info, indent=2, sort_keys=True).encode()


def _b64_sha256_to_hex(value: str) -> str:
    return base64.b64decode(value).hex()


def _hex_to_b64(value: str) -> str:
    return base64.b64encode(bytes.fromhex(value)).decode()


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _is_missing(exc: Exception) -> bool:
    return _error_code(exc) in _MISSING


def _is_precondition(exc: Exception) -> bool:
    return _error_code(exc) in _PRECONDITION


@dataclass(frozen=True)
class ObjectSnapshot(SnapshotInfo):
    """A published snapshot in object storage (the same interface as a local :class:`Snapshot`)."""

    store: "ObjectSnapshotStore"
    info: dict[str, Any]

    @property
    def url(self) -> str:
        return self.store.url_of(self.store.snapshot_key(self.id, ""))

    def entity_url(self, entity: str) -> str:
        """The entity's object, or the folder of its parts (what Spark reads)."""
        return self.store.url_of(self.store.snapshot_key(self.id, self.entity_meta(entity)["file"]))

    def scan(self, entity: str) -> pl.LazyFrame:
        """Lazy frame of one entity (all its parts), read from object storage."""
        urls = [self.store.url_of(self.store.snapshot_key(self.id, p["file"])) for p in self.entity_parts(entity)]
        return pl.scan_parquet(urls[0] if len(urls) == 1 else urls, storage_options=storage_options())

    def verify(self, deep: bool = False) -> list[dict[str, str]]:
        """Compare each file's stored SHA-256 with ``snapshot.json`` (a HEAD per file, nothing
        downloaded); ``deep``: download and re-hash every file."""
        folder = self.store.snapshot_key(self.id, "")
        problems = self.content_problems(lambda relative: self.store.file_sha256(folder + relative, deep=deep),
                                         self.store.list_files(folder))
        # snapshot.json itself: what this process read (and caches) must still be what the store holds.
        read = self.store.read_sha256.get(self.id) or hashlib.sha256(manifest_bytes(self.info)).hexdigest()
        if self.store.file_sha256(folder + SNAPSHOT_FILE, deep=deep) != read:
            problems.insert(0, {"file": SNAPSHOT_FILE, "problem": "changed in the store (sha256 differs from the one read)"})
        return problems


class ObjectSnapshotStore:
    """The snapshots of one product under ``s3://bucket/prefix``; ``root`` is the product's
    local folder (builds are staged in its ``tmp/``)."""

    def __init__(self, url: str, client: Any = None, root: Path | None = None) -> None:
        self.url = url.rstrip("/")
        match = S3_URL.match(self.url)
        if not match:
            raise ParameterError(
                f"{url!r} is not an object storage location; write s3://bucket/prefix.",
                details={"url": url},
            )
        self.bucket = match.group("bucket")
        self.prefix = (match.group("prefix") or "").strip("/")
        self.client = client if client is not None else _client()
        self.root = Path(root) if root is not None else None
        self._infos: dict[str, dict[str, Any]] = {}  # snapshot.json by id: published snapshots never change
        self.read_sha256: dict[str, str] = {}  # the SHA-256 of the snapshot.json bytes read, by id

    def __repr__(self) -> str:
        return f"ObjectSnapshotStore({self.url!r})"

    @property
    def tmp_dir(self) -> Path:
        if self.root is None:
            raise ParameterError("This object store has no local folder to stage builds in.")
        return self.root / "tmp"

    # -- keys ----------------------------------------------------------------------------

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p != "")

    def snapshot_key(self, snapshot: str, relative: str) -> str:
        return self.key("snapshots", snapshot, relative) + ("/" if relative == "" or relative.endswith("/") else "")

    def url_of(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    # -- errors ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _talking(self, what: str) -> Iterator[None]:
        """Turn the store's refusals into one clear StorageError; a missing object and a failed
        condition pass through (callers decide what they mean)."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - botocore's errors have no common base we can import lazily
            if _storage_failure(exc):
                raise self._storage_error(exc, what) from None
            raise

    def _storage_error(self, exc: Exception, what: str) -> StorageError:
        code = _error_code(exc)
        endpoint = getattr(getattr(self.client, "meta", None), "endpoint_url", "?")
        details = {"store": self.url, "endpoint": endpoint, "code": code or type(exc).__name__}
        if code == "NoSuchBucket":
            text = (f"Bucket {self.bucket!r} does not exist at {endpoint}; create it, or correct snapshots.url "
                    "in dataproduct.yaml (or AWS_ENDPOINT_URL).")
        elif code in _REFUSED:
            text = (f"{endpoint} refused to let us {what} in {self.url} ({code}): check the credentials "
                    "in the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE) and their permissions.")
        elif type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
            text = f"No credentials to {what} in {self.url}: {CREDENTIALS_HELP}."
        elif type(exc).__name__ in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError"):
            text = (f"Cannot reach the object store at {endpoint} to {what} in {self.url}: check "
                    "AWS_ENDPOINT_URL and the network.")
        else:
            text = f"The object store could not {what} in {self.url}: {code or type(exc).__name__}: {str(exc)[:200]}"
        return StorageError(text, details=details)

    # -- publishing -----------------------------------------------------------------------

    def publish(self, snapshot: Snapshot, steps: Steps | None = None) -> ObjectSnapshot:
        """Upload a local snapshot: files first (with SHA-256), ``snapshot.json`` last, once."""
        if not self.upload(snapshot.path, snapshot.info, steps):
            raise self._exists(snapshot.id)
        return self.get(snapshot.id)

    def upload(self, folder: Path, info: dict[str, Any], steps: Steps | None = None) -> bool:
        """Publish the snapshot whose files are in ``folder``; False when one with its id is
        already published (checked before, and refused by the conditional write after)."""
        snapshot = info["id"]
        if self.exists(snapshot):
            return False
        parts = [part for name in info["entities"] for part in _Info(info).entity_parts(name)]
        if steps is not None:  # one step per file; the caller counts the step of snapshot.json
            steps.total += len(parts)
        sent = 0
        total = sum(int(p.get("bytes") or 0) for p in parts)
        for number, part in enumerate(parts, 1):
            size = int(part.get("bytes") or 0)
            if steps is not None:
                steps.begin(f"upload {part['file']} ({number} of {len(parts)}, {_size(sent)} of {_size(total)})")
            with open(folder / part["file"], "rb") as body, self._talking("upload a file"):
                # One PUT per file: the stored checksum is then the whole file's SHA-256 (a
                # multipart upload keeps a checksum of checksums, which verify could not compare).
                self.client.put_object(
                    Bucket=self.bucket, Key=self.snapshot_key(snapshot, part["file"]), Body=body,
                    ChecksumAlgorithm="SHA256", ChecksumSHA256=_hex_to_b64(part["sha256"]),
                )
            sent += size
            if steps is not None:
                steps.finish(f"uploaded {part['file']} ({_size(sent)} of {_size(total)})")
        manifest = manifest_bytes(info)
        if steps is not None:
            steps.begin(f"publish {SNAPSHOT_FILE}")
        try:
            with self._talking("publish a snapshot"):
                self.client.put_object(
                    Bucket=self.bucket, Key=self.snapshot_key(snapshot, SNAPSHOT_FILE), Body=manifest,
                    IfNoneMatch="*", ChecksumAlgorithm="SHA256",
                )
        except Exception as exc:
            if _is_precondition(exc):  # another publisher finished first
                return False
            raise
        if steps is not None:
            steps.finish(f"published {SNAPSHOT_FILE}")
        return True

    def _exists(self, snapshot: str) -> SnapshotExistsError:
        return SnapshotExistsError(
            f"Snapshot {snapshot[:SHORT_ID]} is already published in {self.url}; published snapshots are never replaced.",
            details={"snapshot": snapshot, "store": self.url},
        )

    # -- reading --------------------------------------------------------------------------

    def exists(self, snapshot: str) -> bool:
        try:
            with self._talking("read"):
                self.client.head_object(Bucket=self.bucket, Key=self.snapshot_key(snapshot, SNAPSHOT_FILE))
        except Exception as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def ids(self) -> list[str]:
        """Ids of the published snapshots (those whose snapshot.json exists)."""
        found = []
        for key in self._keys(self.key("snapshots") + "/"):
            parts = key[len(self.key("snapshots")) + 1:].split("/")
            if len(parts) == 2 and parts[1] == SNAPSHOT_FILE:
                found.append(parts[0])
        return found

    def get(self, snapshot: str) -> ObjectSnapshot:
        info = self._infos.get(snapshot)
        if info is None:
            try:
                with self._talking("read a snapshot"):
                    body = self.client.get_object(Bucket=self.bucket, Key=self.snapshot_key(snapshot, SNAPSHOT_FILE))["Body"].read()
            except Exception as exc:
                if _is_missing(exc):
                    raise SnapshotNotFoundError(f"No snapshot with id {snapshot} in {self.url}.") from None
                raise
            try:
                info = json.loads(body)
            except json.JSONDecodeError as exc:
                raise IntegrityError(f"Snapshot {snapshot[:SHORT_ID]}: snapshot.json is corrupt ({exc}).") from None
            self.read_sha256[snapshot] = hashlib.sha256(body).hexdigest()
            self._infos[snapshot] = info
        return ObjectSnapshot(self, info)

    def list(self) -> list[ObjectSnapshot]:
        """All snapshots, newest first."""
        return sorted((self.get(i) for i in self.ids()), key=lambda s: (s.created, s.id), reverse=True)

    def latest(self) -> ObjectSnapshot | None:
        """The newest snapshot, or None (each snapshot.json is read once per process)."""
        return next(iter(self.list()), None)

    def resolve(self, ref: str) -> ObjectSnapshot:
        """Find a snapshot by tag, ``latest``, full id or unique id prefix."""
        return resolve_ref(self, ref, where=f" in {self.url}", empty=f"{self.url} holds no snapshot yet; publish one first.")

    # -- tags -----------------------------------------------------------------------------

    def tags(self) -> dict[str, str]:
        tags = {}
        for key in self._keys(self.key("tags") + "/"):
            name = key.rsplit("/", 1)[-1]
            try:
                with self._talking("read a tag"):
                    tags[name] = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode().strip()
            except Exception as exc:
                if not _is_missing(exc):  # deleted between listing and reading: not a tag any more
                    raise
        return tags

    def tags_by_snapshot(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for tag, target in sorted(self.tags().items()):
            found.setdefault(target, []).append(tag)
        return found

    def tag(self, name: str, ref: str) -> ObjectSnapshot:
        """Point tag ``name`` at ``ref``: a conditional write, so two writers cannot both win."""
        validate_tag_name(name)
        snapshot = self.resolve(ref)
        key = self.key("tags", name)
        condition: dict[str, str] = {"IfNoneMatch": "*"}
        try:
            with self._talking("read a tag"):
                condition = {"IfMatch": self.client.head_object(Bucket=self.bucket, Key=key)["ETag"]}
        except Exception as exc:
            if not _is_missing(exc):
                raise
        try:
            with self._talking("write a tag"):
                self.client.put_object(Bucket=self.bucket, Key=key, Body=(snapshot.id + "\n").encode(), **condition)
        except Exception as exc:
            if _is_precondition(exc):
                raise SnapshotExistsError(
                    f"Tag {name!r} was changed by someone else while it was being set; read it and try again.",
                    details={"tag": name},
                ) from None
            raise
        return snapshot

    def untag(self, name: str) -> None:
        validate_tag_name(name)
        tags = self.tags()
        if name not in tags:
            raise SnapshotNotFoundError(f"No tag {name!r} in {self.url}; tags: {sorted(tags) or 'none'}")
        with self._talking("delete a tag"):
            self.client.delete_object(Bucket=self.bucket, Key=self.key("tags", name))

    # -- objects --------------------------------------------------------------------------

    def file_sha256(self, key: str, deep: bool = False) -> str | None:
        """The object's SHA-256 (hex): the stored checksum, or a download when ``deep`` or
        when none was stored. None when the object is missing."""
        try:
            with self._talking("read"):
                head = self.client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise
        stored = head.get("ChecksumSHA256")
        if stored and "-" not in stored and not deep:  # "-N": a multipart upload's composite checksum
            return _b64_sha256_to_hex(stored)
        digest = hashlib.sha256()
        with self._talking("download a file"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            for chunk in iter(lambda: body.read(_CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def list_files(self, prefix_key: str) -> list[str]:
        """Keys under a folder, relative to it."""
        return [key[len(prefix_key):] for key in self._keys(prefix_key)]

    def _keys(self, prefix_key: str) -> list[str]:
        keys = []
        with self._talking("list"):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix_key):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys


@dataclass(frozen=True)
class _Info(SnapshotInfo):
    """A ``snapshot.json`` not yet published (to read its parts before upload)."""

    info: dict[str, Any]


def _storage_failure(exc: Exception) -> bool:
    """A refusal or failure of the store (not a missing object, not a failed condition)."""
    code = _error_code(exc)
    if code:
        return code not in _MISSING and code not in _PRECONDITION
    return type(exc).__module__.startswith(("botocore", "urllib3")) or isinstance(exc, ConnectionError)


def _size(count: int) -> str:
    """Bytes for people: 812 B, 3.4 MB."""
    if count < 1000:
        return f"{count} B"
    value, unit = float(count), "B"
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000:
            break
    return f"{value:,.1f} {unit}"
