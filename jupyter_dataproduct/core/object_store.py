"""Snapshots in S3-compatible object storage: the local layout under ``s3://bucket/<prefix>/``.

Object storage has no atomic rename, so publishing is ordered instead: every entity file
first, each uploaded with its SHA-256 (the server checks it and keeps it), and
``snapshot.json`` last with a conditional write (``If-None-Match: *``) that refuses a
second publish. A reader lists only snapshots whose ``snapshot.json`` exists, so it never
sees a half-published one. ``verify`` compares the stored checksums without downloading
(``deep=True`` downloads and re-hashes). Tags are small objects written conditionally too.

Credentials and the endpoint come from the environment or the standard AWS configuration
(``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, ``~/.aws/...``), never from the manifest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .errors import (
    IntegrityError,
    MissingDependencyError,
    ParameterError,
    SnapshotExistsError,
    SnapshotNotFoundError,
)
from .snapshot import SHORT_ID, SNAPSHOT_FILE, Snapshot, SnapshotInfo, resolve_ref, snapshot_id, validate_tag_name

_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(?P<prefix>[^?#]*))?\Z")
_HEX = re.compile(r"^[0-9a-f]+$")
_CHUNK = 8 * 1024 * 1024


def _client() -> Any:
    try:
        import boto3
    except ImportError:
        raise MissingDependencyError(
            "Snapshots in object storage need boto3: pip install 'jupyter-dataproduct[s3]'.",
            details={"extra": "s3"},
        ) from None
    return boto3.client("s3")  # endpoint, region and credentials from the environment


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


def _b64_sha256_to_hex(value: str) -> str:
    return base64.b64decode(value).hex()


def _hex_to_b64(value: str) -> str:
    return base64.b64encode(bytes.fromhex(value)).decode()


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _is_missing(exc: Exception) -> bool:
    return _error_code(exc) in ("404", "NoSuchKey", "NotFound")


def _is_precondition(exc: Exception) -> bool:
    return _error_code(exc) in ("412", "PreconditionFailed", "ConditionalRequestConflict")


@dataclass(frozen=True)
class ObjectSnapshot(SnapshotInfo):
    """A published snapshot in object storage (the same interface as a local :class:`Snapshot`)."""

    store: "ObjectSnapshotStore"
    info: dict[str, Any]

    @property
    def url(self) -> str:
        return self.store.url_of(self.store.snapshot_key(self.id, ""))

    def entity_url(self, entity: str) -> str:
        return self.store.url_of(self.store.snapshot_key(self.id, self.entity_meta(entity)["file"]))

    def scan(self, entity: str) -> pl.LazyFrame:
        """Lazy frame of one entity, read from object storage."""
        return pl.scan_parquet(self.entity_url(entity), storage_options=storage_options())

    def verify(self, deep: bool = False) -> list[dict[str, str]]:
        """Compare each file's stored SHA-256 with the manifest's (``deep``: download and re-hash)."""
        problems = []
        expected = snapshot_id(self.info["config_hash"], {k: v["fingerprint"] for k, v in self.info["sources"].items()})
        if expected != self.id:
            problems.append({"file": SNAPSHOT_FILE, "problem": "snapshot.json was edited: its id does not match its content"})
        listed = {SNAPSHOT_FILE}
        for meta in self.entities.values():
            listed.add(meta["file"])
            found = self.store.file_sha256(self.store.snapshot_key(self.id, meta["file"]), deep=deep)
            if found is None:
                problems.append({"file": meta["file"], "problem": "missing"})
            elif found != meta["sha256"]:
                problems.append({"file": meta["file"], "problem": "changed (sha256 differs)"})
        for relative in self.store.list_files(self.store.snapshot_key(self.id, "")):
            if relative not in listed:
                problems.append({"file": relative, "problem": "unexpected file (not part of the snapshot)"})
        return problems


@dataclass
class ObjectSnapshotStore:
    """The snapshots of one product under ``s3://bucket/prefix``."""

    url: str
    client: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        match = _URL.match(self.url.rstrip("/"))
        if not match:
            raise ParameterError(
                f"{self.url!r} is not an object storage location; write s3://bucket/prefix.",
                details={"url": self.url},
            )
        self.bucket = match.group("bucket")
        self.prefix = (match.group("prefix") or "").strip("/")
        if self.client is None:
            self.client = _client()

    # -- keys ----------------------------------------------------------------------------

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p != "")

    def snapshot_key(self, snapshot: str, relative: str) -> str:
        return self.key("snapshots", snapshot, relative) + ("/" if relative == "" else "")

    def url_of(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    # -- publishing -----------------------------------------------------------------------

    def publish(self, snapshot: Snapshot) -> ObjectSnapshot:
        """Upload a local snapshot: files first (with SHA-256), ``snapshot.json`` last, once."""
        if self.exists(snapshot.id):
            raise self._exists(snapshot.id)
        for meta in snapshot.entities.values():
            with open(snapshot.path / meta["file"], "rb") as body:
                self.client.put_object(
                    Bucket=self.bucket, Key=self.snapshot_key(snapshot.id, meta["file"]), Body=body,
                    ChecksumAlgorithm="SHA256", ChecksumSHA256=_hex_to_b64(meta["sha256"]),
                )
        manifest = json.dumps(snapshot.info, indent=2, sort_keys=True).encode()
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.snapshot_key(snapshot.id, SNAPSHOT_FILE), Body=manifest,
                IfNoneMatch="*", ChecksumAlgorithm="SHA256",
            )
        except Exception as exc:
            if _is_precondition(exc):  # another publisher finished first
                raise self._exists(snapshot.id) from None
            raise
        return ObjectSnapshot(self, snapshot.info)

    def _exists(self, snapshot: str) -> SnapshotExistsError:
        return SnapshotExistsError(
            f"Snapshot {snapshot[:SHORT_ID]} is already published in {self.url}; published snapshots are never replaced.",
            details={"snapshot": snapshot, "store": self.url},
        )

    # -- reading --------------------------------------------------------------------------

    def exists(self, snapshot: str) -> bool:
        try:
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
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.snapshot_key(snapshot, SNAPSHOT_FILE))["Body"].read()
        except Exception as exc:
            if _is_missing(exc):
                raise SnapshotNotFoundError(f"No snapshot with id {snapshot} in {self.url}.") from None
            raise
        try:
            return ObjectSnapshot(self, json.loads(body))
        except json.JSONDecodeError as exc:
            raise IntegrityError(f"Snapshot {snapshot[:SHORT_ID]}: snapshot.json is corrupt ({exc}).") from None

    def list(self) -> list[ObjectSnapshot]:
        """All snapshots, newest first."""
        return sorted((self.get(i) for i in self.ids()), key=lambda s: (s.created, s.id), reverse=True)

    def resolve(self, ref: str) -> ObjectSnapshot:
        """Find a snapshot by tag, ``latest``, full id or unique id prefix."""
        return resolve_ref(self, ref, where=f" in {self.url}", empty=f"{self.url} holds no snapshot yet; publish one first.")

    # -- tags -----------------------------------------------------------------------------

    def tags(self) -> dict[str, str]:
        tags = {}
        for key in self._keys(self.key("tags") + "/"):
            name = key.rsplit("/", 1)[-1]
            tags[name] = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode().strip()
        return tags

    def tag(self, name: str, ref: str) -> ObjectSnapshot:
        """Point tag ``name`` at ``ref``: a conditional write, so two writers cannot both win."""
        validate_tag_name(name)
        snapshot = self.resolve(ref)
        key = self.key("tags", name)
        condition: dict[str, str] = {"IfNoneMatch": "*"}
        try:
            condition = {"IfMatch": self.client.head_object(Bucket=self.bucket, Key=key)["ETag"]}
        except Exception as exc:
            if not _is_missing(exc):
                raise
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=(snapshot.id + "\n").encode(), **condition)
        except Exception as exc:
            if _is_precondition(exc):
                raise SnapshotExistsError(
                    f"Tag {name!r} was changed by someone else while it was being set; read it and try again.",
                    details={"tag": name},
                ) from None
            raise
        return snapshot

    # -- objects --------------------------------------------------------------------------

    def file_sha256(self, key: str, deep: bool = False) -> str | None:
        """The object's SHA-256 (hex): the stored checksum, or a download when ``deep`` or
        when none was stored. None when the object is missing."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise
        stored = head.get("ChecksumSHA256")
        if stored and "-" not in stored and not deep:  # "-N": a multipart upload's composite checksum
            return _b64_sha256_to_hex(stored)
        digest = hashlib.sha256()
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        for chunk in iter(lambda: body.read(_CHUNK), b""):
            digest.update(chunk)
        return digest.hexdigest()

    def list_files(self, prefix_key: str) -> list[str]:
        """Keys under a folder, relative to it."""
        return [key[len(prefix_key):] for key in self._keys(prefix_key)]

    def _keys(self, prefix_key: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        keys = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix_key):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys
