"""Analysis history: every protocol run is recorded, newest first, so nothing is lost.

Each entry is one small JSON file (``entries/<id>.json``): when, who, the protocol and
version, the snapshot, the bound parameters (cohorts as trees), a summary of the outputs
and a reference to the result. Results (tables as Parquet, values and charts as gzipped
JSON) are stored once per content (``results/<sha256>/``,
so a run repeated a thousand times costs one copy) when they are small (``STORE_BYTES``);
a larger result is not stored, and its provenance re-runs to the identical result.
Entries and results appear by atomic rename, so a reader or a full disk never meets a torn
one; :meth:`History.prune` keeps the history to a count or an age. A recorded entry is
durable when :meth:`History.record` returns: its line in the journal is synced, one sync for
all the entries recorded at about the same time (:mod:`.history_journal`).

Ids start with the UTC time of the run, so the file names sort as the runs happened and a
page of the listing reads only the entries it shows.
"""

from __future__ import annotations

import contextlib
import getpass
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import threading
import uuid
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from .disk import reporting_full_disk
from .errors import DataProductError, ParameterError
from .history_journal import Journal
from .history_journal import wait as wait_durable
from .result import Result
from .snapshot import exclusive_lock, now_iso, write_atomically

STORE_BYTES = 2_000_000  # results larger than this (as stored) are re-run from their provenance
USER_ENV = "DATAPRODUCT_USER"
_ENTRY_SUFFIX = ".json"
_RESULT_FILE = "result.json.gz"


class HistoryEntryNotFoundError(DataProductError):
    code = "history_entry_not_found"
    http_status = 404


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    when: str
    who: str
    provenance: dict[str, Any]
    stored: bool
    summary: dict[str, Any]
    result: str | None = None  # digest of the stored result

    @property
    def protocol(self) -> str:
        return f"{self.provenance['protocol']}@{self.provenance['protocol_version']}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "when": self.when, "who": self.who, "protocol": self.protocol,
            "snapshot": self.provenance["snapshot"], "parameters": self.provenance["parameters"],
            "provenance": self.provenance, "stored": self.stored, "summary": self.summary,
        }


@dataclass(frozen=True)
class PendingEntry:
    """An entry written and visible, and the future of its durability: done once it would
    survive a crash of the machine; its exception is the HistoryNotDurableError (503) or
    DiskFullError of a failed sync (a waiter gives up after ``history_journal.WAIT_SECONDS``)."""

    entry: HistoryEntry
    durable: Future[None]


class History:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.entries_dir = self.root / "entries"
        self.results_dir = self.root / "results"
        self.journal = Journal(self.root, self.entries_dir)
        self._migrated = False
        self._recovered = False

    # -- writing -------------------------------------------------------------------------

    def record(self, result: Result) -> HistoryEntry:
        """Record a run; returns once its entry is visible and durable (see :mod:`.history_journal`)."""
        self._ready()
        when = now_iso()
        entry_id = _new_entry_id(when)
        with reporting_full_disk("the history entry of this run"):
            self.entries_dir.mkdir(parents=True, exist_ok=True)
            with exclusive_lock(self.root / ".lock"):  # prune must not collect a result before its entry exists
                digest = self._store_result(result)
                entry = {
                    "id": entry_id, "when": when, "who": current_user(), "provenance": result.provenance,
                    "stored": digest is not None, "result": digest, "summary": result.summary()["tables"],
                }
                text = json.dumps(entry, separators=(",", ":"), default=str)
                _write_unsynced(self.entries_dir / (entry_id + _ENTRY_SUFFIX), text)
                sequence = self.journal.append(json.loads(text))
        wait_durable(self.journal.durable(sequence))
        return self._entry(entry)

    def record_again(self, entry_id: str) -> HistoryEntry | None:
        """A new entry (now, by the current user) for a run whose result is the stored result of
        entry ``entry_id``: a server answering an identical call on an immutable snapshot from
        memory still records who asked for what. Returns once the entry is durable; None when
        that entry or its stored result is gone (pruned): the caller then runs for real."""
        pending = self.record_again_pending(entry_id)
        if pending is None:
            return None
        wait_durable(pending.durable)
        return pending.entry

    def record_again_pending(self, entry_id: str) -> PendingEntry | None:
        """:meth:`record_again` without waiting: the entry, visible now, and the future of its
        durability, for a caller that waits without a thread (a server's event loop)."""
        self._ready()
        try:
            earlier = json.loads((self.entries_dir / (entry_id + _ENTRY_SUFFIX)).read_text())
        except (OSError, ValueError):
            return None
        digest = earlier.get("result")
        if not earlier.get("stored") or not isinstance(digest, str):
            return None
        when = now_iso()
        new_id = _new_entry_id(when)
        entry = {**earlier, "id": new_id, "when": when, "who": current_user()}
        target = self.entries_dir / (new_id + _ENTRY_SUFFIX)
        # Written beside its place first (a dot file: no reader lists it), so the lock that
        # keeps prune away is held only for the check, the rename and the journal line.
        hidden = self.entries_dir / f".{new_id}.tmp"
        with reporting_full_disk("the history entry of this run"):
            try:
                hidden.write_text(json.dumps(entry, separators=(",", ":"), default=str))
                with exclusive_lock(self.root / ".lock"):
                    if not (self.results_dir / digest).is_dir():
                        hidden.unlink()
                        return None
                    os.replace(hidden, target)
                    sequence = self.journal.append(entry)
            except BaseException:
                hidden.unlink(missing_ok=True)
                raise
        return PendingEntry(self._entry(entry), self.journal.durable(sequence))

    def is_stored(self, entry_id: str) -> bool:
        """Whether entry ``entry_id`` exists and its result is stored (reads that one file)."""
        try:
            return bool(json.loads((self.entries_dir / (entry_id + _ENTRY_SUFFIX)).read_text()).get("stored"))
        except (OSError, ValueError):
            return False

    def _store_result(self, result: Result) -> str | None:
        """The digest of the stored result (stored now or already), or None when too large."""
        files = _result_files(result)
        if sum(len(content) for content in files.values()) > STORE_BYTES:
            return None
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
        key = digest.hexdigest()
        target = self.results_dir / key
        if target.is_dir():
            return key
        work = self.results_dir / f".tmp-{uuid.uuid4().hex}"
        try:
            for name, content in files.items():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                (work / name).write_bytes(content)
            os.rename(work, target)
        except OSError:
            if not target.is_dir():
                raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return key

    def prune(self, *, keep: int | None = None, older_than: timedelta | None = None) -> int:
        """Delete entries beyond the newest ``keep`` and/or older than ``older_than``, then the
        stored results no entry uses any more; the number of entries deleted."""
        if keep is None and older_than is None:
            raise ParameterError("Prune how much? Give --keep or --older-than (keep=N / older_than=timedelta).")
        if keep is not None and keep < 0:
            raise ParameterError(f"keep must be 0 or more, not {keep}.")
        self._ready()  # before the lock below: migrating and recovering take it too
        if not self.entries_dir.is_dir():
            return 0
        with exclusive_lock(self.root / ".lock"):
            names = self._names()
            doomed = set(names[keep:]) if keep is not None else set()
            if older_than is not None:
                cutoff = datetime.now(timezone.utc) - older_than
                doomed |= {n for n in names if _time_of(n) <= cutoff}
            for name in doomed:
                (self.entries_dir / name).unlink(missing_ok=True)
            self.journal.forget({name.removesuffix(_ENTRY_SUFFIX) for name in doomed})
            used = {self._read(n).result for n in names if n not in doomed}
            if self.results_dir.is_dir():
                for folder in self.results_dir.iterdir():
                    if folder.name not in used:
                        shutil.rmtree(folder, ignore_errors=True)
        return len(doomed)

    # -- reading -------------------------------------------------------------------------

    def list(self, limit: int | None = None, offset: int = 0) -> list[HistoryEntry]:
        """Entries newest first; a page of ``limit`` entries from ``offset`` reads only those."""
        names = self._names()[offset:]
        return [self._read(name) for name in (names if limit is None else names[:limit])]

    def count(self) -> int:
        return len(self._names())

    def get(self, entry_id: str) -> HistoryEntry:
        matches = [n for n in self._names() if n.startswith(entry_id)] if entry_id else []
        if len(matches) != 1:
            problem = "matches several entries" if matches else "matches no entry"
            raise HistoryEntryNotFoundError(
                f"History entry {entry_id[:100]!r} {problem}; `history` lists them.", details={"id": entry_id[:100]}
            )
        return self._read(matches[0])

    def stored_result(self, entry: HistoryEntry) -> Result | None:
        folder = self.results_dir / entry.result if entry.result else None
        if folder is None or not folder.is_dir():
            return None
        return _load_result(folder, entry.provenance)

    def _ready(self) -> None:
        """Once per process: entries of older versions moved, entries a system crash lost restored."""
        if not self._migrated:
            self._migrate_legacy()
        if not self._recovered:
            self._recovered = True
            if self.journal.needs_recovery():
                with exclusive_lock(self.root / ".lock"):
                    self.journal.recover(lambda entry: write_atomically(
                        self.entries_dir / (entry["id"] + _ENTRY_SUFFIX), json.dumps(entry, separators=(",", ":"))))

    def _names(self) -> list[str]:
        """Entry file names, newest first."""
        self._ready()
        if not self.entries_dir.is_dir():
            return []
        return sorted((n for n in os.listdir(self.entries_dir) if n.endswith(_ENTRY_SUFFIX) and not n.startswith(".")),
                      reverse=True)

    def _migrate_legacy(self) -> None:
        """Move entries of older versions (``<id>/entry.json``, result in ``<id>/result/``) into
        this layout, once: nothing recorded is lost."""
        self._migrated = True
        legacy = [p for p in self.root.glob("[0-9]*") if (p / "entry.json").is_file()] if self.root.is_dir() else []
        if not legacy:
            return
        self.entries_dir.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.root / ".lock"):
            for folder in legacy:
                data = json.loads((folder / "entry.json").read_text())
                stored = folder / "result"
                digest = self._store_result(Result.load_from(stored)) if data.get("stored") and stored.is_dir() else None
                data.update(stored=digest is not None, result=digest)
                write_atomically(self.entries_dir / (data["id"] + _ENTRY_SUFFIX), json.dumps(data, separators=(",", ":")))
                shutil.rmtree(folder, ignore_errors=True)

    def _read(self, name: str) -> HistoryEntry:
        return self._entry(json.loads((self.entries_dir / name).read_text()))

    @staticmethod
    def _entry(data: dict[str, Any]) -> HistoryEntry:
        return HistoryEntry(
            id=data["id"], when=data["when"], who=data["who"], provenance=data["provenance"],
            stored=data["stored"], summary=data.get("summary", {}), result=data.get("result"),
        )


def _result_files(result: Result) -> dict[str, bytes]:
    """A result as the files that store it (relative path -> bytes), without its provenance."""
    files = {}
    for name, table in result.tables.items():
        buffer = io.BytesIO()
        table.write_parquet(buffer)
        files[f"tables/{name}.parquet"] = buffer.getvalue()
    # sort_keys makes equal results byte-equal; the orders say how the protocol listed them.
    payload = {"tables": list(result.tables), "values": result.values, "charts": result.charts,
               "value_order": list(result.values), "chart_order": list(result.charts)}
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
    # Charts carry their data inline (a Kaplan-Meier chart is most of a survival result): gzip
    # shrinks them ~10x. mtime=0 keeps equal results byte-equal, so they are stored once.
    files[_RESULT_FILE] = gzip.compress(text, mtime=0)
    return files


def _load_result(folder: Path, provenance: dict[str, Any]) -> Result:
    payload = json.loads(gzip.decompress((folder / _RESULT_FILE).read_bytes()))
    tables = {name: pl.read_parquet(folder / "tables" / f"{name}.parquet") for name in payload["tables"]}
    values, charts = payload["values"], payload["charts"]
    values = {name: values[name] for name in payload.get("value_order", values)}
    charts = {name: charts[name] for name in payload.get("chart_order", charts)}
    return Result(provenance=dict(provenance), tables=tables, values=values, charts=charts)


def _write_unsynced(path: Path, text: str) -> None:
    """Write a small file so readers see all of it or nothing (a temporary file renamed into place).
    Not synced: the history journal makes the entry durable (see :mod:`.history_journal`)."""
    hidden = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        hidden.write_text(text)
        os.replace(hidden, path)
    except BaseException:
        hidden.unlink(missing_ok=True)
        raise


_id_lock = threading.Lock()
_last_id = ""


def _new_entry_id(when: str) -> str:
    """``<UTC time to the millisecond>-<8 hex>``, greater than every id this process made before.

    Runs recorded in the same millisecond must still list in the order they ran (prune keeps
    the newest by name), so a clash takes the last id's time and the next suffix. The random
    suffix starts in the lower half of its range, leaving room to count up, and keeps ids of
    different processes apart."""
    global _last_id
    stamp = when.replace(":", "").replace("-", "").replace(".", "")[:18]
    with _id_lock:
        new_id = f"{stamp}-{secrets.randbelow(0x80000000):08x}"
        if new_id <= _last_id:
            last_stamp, last_suffix = _last_id.split("-")
            new_id = f"{last_stamp}-{int(last_suffix, 16) + 1:08x}"
        _last_id = new_id
    return new_id


def _time_of(name: str) -> datetime:
    """When the entry ``name`` was recorded (its id starts with the time)."""
    return datetime.strptime(name[:18], "%Y%m%dT%H%M%S%f").replace(tzinfo=timezone.utc)


# Who is acting in this thread or task, when it is not this process's user: a server sets it
# per request (the token's id) so history says which client ran what.
_acting_user: ContextVar[str | None] = ContextVar("dataproduct_acting_user", default=None)


@contextlib.contextmanager
def acting_as(who: str) -> Iterator[None]:
    """Record runs inside this block as done by ``who``."""
    reset = _acting_user.set(who)
    try:
        yield
    finally:
        _acting_user.reset(reset)


def current_user() -> str:
    return _acting_user.get() or os.environ.get(USER_ENV) or _login_name()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
