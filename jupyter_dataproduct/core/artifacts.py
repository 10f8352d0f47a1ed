"""Artifacts: cohorts, feature sets and result tables saved by name, with provenance.

Layout under the store folder::

    artifacts/objects/<uuid>/artifact.json (+ result.json, tables/*.parquet)
    artifacts/names/<name>                  holds the uuid of the current object

An object is written completely in a temporary folder and renamed into place; then the
name file is replaced atomically. A crash at any point leaves the old artifact (or none)
readable, never a torn one. A reader that finds the object it was reading removed by an
overwrite reads the name again: it gets the old artifact or the new one, never neither.
Names are validated: no path tricks.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Literal

import polars as pl

from .cohort import Cohort
from .errors import ArtifactError, ArtifactNotFoundError, DataProductError, InvalidNameError
from .result import Result
from .snapshot import exclusive_lock, now_iso, write_atomically

ARTIFACT_FILE = "artifact.json"
LOCK_SUFFIX = ".lock"  # the store's lock lives beside it: artifacts.lock
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z")  # \Z: "$" would allow a trailing newline
ArtifactKind = Literal["cohort", "table", "result"]


class ArtifactPermissionError(DataProductError):
    """The caller may not replace or delete this artifact (it belongs to a higher role)."""

    code = "forbidden"
    http_status = 403

    def __init__(self, message: str = "This token is not allowed to do this.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class _MissingObject(ArtifactNotFoundError):
    """A name whose object is not there (removed by an overwrite after the name was read)."""


READ_ATTEMPTS = 20  # re-reads of a name whose object an overwrite removed mid-read

MayChange = Callable[["ArtifactInfo"], bool]  # whether the caller may replace / delete an existing artifact


@dataclass(frozen=True)
class ArtifactInfo:
    name: str
    kind: ArtifactKind
    created: str
    provenance: dict[str, Any]
    description: str
    summary: dict[str, Any]
    path: Path
    saved_by: dict[str, Any] | None = None  # the server's token (id, role, protocols); None: saved locally

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "created": self.created,
            "provenance": self.provenance,
            "description": self.description,
            "summary": self.summary,
            "saved_by": self.saved_by,
        }


def validate_artifact_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name) or ".." in name:
        raise InvalidNameError(
            f"Artifact name {name!r} is not allowed: use letters, digits, '_', '.' or '-' "
            "(up to 100, starting with a letter or digit, no '..').",
            details={"name": name},
        )
    return name


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.names = self.root / "names"

    def list(self) -> list[ArtifactInfo]:
        if not self.names.is_dir():
            return []
        found = []
        for file in sorted(self.names.iterdir()):
            if NAME.match(file.name):
                try:
                    found.append(self.info(file.name))
                except ArtifactNotFoundError:
                    continue
        return sorted(found, key=lambda a: a.created, reverse=True)

    def info(self, name: str) -> ArtifactInfo:
        return self._reading(name, lambda folder: self._info_at(name, folder))

    def read(self, name: str) -> tuple[ArtifactInfo, Cohort | pl.DataFrame | Result]:
        """An artifact's description and value, both of the same version."""
        def both(folder: Path) -> tuple[ArtifactInfo, Any]:
            info = self._info_at(name, folder)
            return info, self._value_at(name, info)

        return self._reading(name, both)

    def _info_at(self, name: str, folder: Path) -> ArtifactInfo:
        meta = json.loads((folder / ARTIFACT_FILE).read_text())
        return ArtifactInfo(
            name=name,
            kind=meta["kind"],
            created=meta["created"],
            provenance=meta.get("provenance", {}),
            description=meta.get("description", ""),
            summary=meta.get("summary", {}),
            path=folder,
            saved_by=meta.get("saved_by"),
        )

    def save_cohort(self, name: str, cohort: Cohort, *, provenance: dict[str, Any], rows: int | None = None,
                    description: str = "", overwrite: bool = False, saved_by: dict[str, Any] | None = None,
                    may_replace: MayChange | None = None) -> ArtifactInfo:
        def write(folder: Path) -> dict[str, Any]:
            (folder / "cohort.json").write_text(json.dumps(cohort.to_json(), indent=2))
            return {"entity": cohort.entity, "definition": cohort.describe(), "rows": rows}

        return self._save(name, "cohort", write, provenance, description, overwrite, saved_by, may_replace)

    def save_table(self, name: str, table: pl.DataFrame, *, provenance: dict[str, Any], description: str = "",
                   overwrite: bool = False, saved_by: dict[str, Any] | None = None,
                   may_replace: MayChange | None = None) -> ArtifactInfo:
        def write(folder: Path) -> dict[str, Any]:
            table.write_parquet(folder / "table.parquet")
            return {"rows": table.height, "columns": table.columns}

        return self._save(name, "table", write, provenance, description, overwrite, saved_by, may_replace)

    def save_result(self, name: str, result: Result, *, description: str = "", overwrite: bool = False,
                    saved_by: dict[str, Any] | None = None, may_replace: MayChange | None = None) -> ArtifactInfo:
        def write(folder: Path) -> dict[str, Any]:
            result.save_to(folder / "result")
            return {"tables": {n: t.height for n, t in result.tables.items()}, "values": list(result.values)}

        return self._save(name, "result", write, result.provenance, description, overwrite, saved_by, may_replace)

    def load(self, name: str) -> Cohort | pl.DataFrame | Result:
        return self.read(name)[1]

    def _value_at(self, name: str, info: ArtifactInfo) -> Cohort | pl.DataFrame | Result:
        if info.kind == "cohort":
            data = json.loads((info.path / "cohort.json").read_text())
            return Cohort(entity=data["entity"], tree=data["tree"], text=data.get("text"), artifact=name)
        if info.kind == "table":
            return pl.read_parquet(info.path / "table.parquet")
        return Result.load_from(info.path / "result")

    def load_cohort(self, name: str) -> Cohort:
        info, value = self.read(name)
        if not isinstance(value, Cohort):
            raise ArtifactError(f"Artifact {name!r} is a {info.kind}, not a cohort.", details={"name": name})
        return value

    def delete(self, name: str, *, may_delete: MayChange | None = None) -> None:
        """Delete an artifact; ``may_delete(info)`` is asked under the lock (403 if false)."""
        validate_artifact_name(name)  # before the lock file is touched
        with exclusive_lock(self._lock_file):
            folder = self._object_folder(name)
            if may_delete is not None and not may_delete(self.info(name)):
                raise ArtifactPermissionError()
            (self.names / name).unlink()
        shutil.rmtree(folder, ignore_errors=True)

    # -- internals ----------------------------------------------------------------------

    def _reading(self, name: str, read: Callable[[Path], Any]) -> Any:
        """``read(object folder)`` of the name's current object; when an overwrite removes
        that object mid-read, again with the object the name now points to."""
        for _ in range(READ_ATTEMPTS):
            try:
                folder = self._object_folder(name)
            except _MissingObject:
                continue  # read the old id, whose object an overwrite just removed (or a dangling name)
            try:
                return read(folder)
            except (OSError, pl.exceptions.ComputeError):
                if self._pointer(name) == folder.name:
                    raise  # the name still points here: a real error, not a race with a writer
        return read(self._object_folder(name))

    def _object_folder(self, name: str) -> Path:
        validate_artifact_name(name)
        try:
            object_id = (self.names / name).read_text().strip()
        except FileNotFoundError:
            raise ArtifactNotFoundError(
                f"No artifact {name!r}; artifacts: {', '.join(sorted(self._names())) or 'none'}",
                details={"name": name},
            ) from None
        folder = self.objects / object_id
        if not (folder / ARTIFACT_FILE).is_file():
            raise _MissingObject(f"Artifact {name!r} is missing its data.", details={"name": name})
        return folder

    def _pointer(self, name: str) -> str | None:
        try:
            return (self.names / name).read_text().strip()
        except FileNotFoundError:
            return None

    def _names(self) -> list[str]:
        return [p.name for p in self.names.iterdir() if NAME.match(p.name)] if self.names.is_dir() else []

    def _save(self, name: str, kind: ArtifactKind, write: Any, provenance: dict[str, Any],
              description: str, overwrite: bool, saved_by: dict[str, Any] | None = None,
              may_replace: MayChange | None = None) -> ArtifactInfo:
        validate_artifact_name(name)
        self._refuse_existing(name, overwrite, may_replace)  # early, before the work of writing
        self.objects.mkdir(parents=True, exist_ok=True)
        self.names.mkdir(parents=True, exist_ok=True)
        object_id = uuid.uuid4().hex
        work = self.objects / f".tmp-{object_id}"
        work.mkdir()
        try:
            summary = write(work)
            meta = {
                "name": name, "kind": kind, "created": _created_now(), "provenance": provenance,
                "description": description, "summary": summary, "saved_by": saved_by,
            }
            (work / ARTIFACT_FILE).write_text(json.dumps(meta, indent=2, default=str))
            work.rename(self.objects / object_id)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        # Publishing the name is checked again under the lock: of two saves racing for a new
        # name one wins and the other is refused, never silently replaced.
        with exclusive_lock(self._lock_file):
            try:
                self._refuse_existing(name, overwrite, may_replace)
            except (ArtifactError, ArtifactPermissionError):
                shutil.rmtree(self.objects / object_id, ignore_errors=True)
                raise
            previous = (self.names / name).read_text().strip() if (self.names / name).exists() else None
            write_atomically(self.names / name, object_id + "\n")
        if previous and previous != object_id:
            shutil.rmtree(self.objects / previous, ignore_errors=True)
        # What was saved, from memory: a concurrent overwrite or delete may already have replaced it.
        return ArtifactInfo(name=name, kind=kind, created=meta["created"], provenance=provenance, description=description,
                            summary=meta["summary"], path=self.objects / object_id, saved_by=saved_by)

    @property
    def _lock_file(self) -> Path:
        return self.root.with_name(self.root.name + LOCK_SUFFIX)

    def _refuse_existing(self, name: str, overwrite: bool, may_replace: MayChange | None = None) -> None:
        if not (self.names / name).exists():
            return
        if may_replace is not None:
            try:
                existing = self.info(name)
            except ArtifactNotFoundError:  # a name without its data: nothing to protect
                existing = None
            if existing is not None and not may_replace(existing):
                raise ArtifactPermissionError()
        if not overwrite:
            raise ArtifactError(
                f"An artifact named {name!r} already exists; pass overwrite=True (--force) to replace it.",
                details={"name": name},
            )


_last_created = ""
_created_lock = threading.Lock()


def _created_now() -> str:
    """The time to the millisecond, later than every artifact this process saved before: the
    list is newest first, and saves in the same millisecond must still list in their order."""
    global _last_created
    with _created_lock:
        created = now_iso()
        if created <= _last_created:
            created = (datetime.fromisoformat(_last_created) + timedelta(milliseconds=1)).isoformat(timespec="milliseconds")
        _last_created = created
    return created
