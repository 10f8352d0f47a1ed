"""Analysis history: every protocol run is recorded, newest first, so nothing is lost.

Each entry records when, who, the protocol and version, the snapshot, the bound
parameters (cohorts as trees) and a reference to the result: the result itself when it is
small (up to ``STORE_ROWS`` rows in all), otherwise its provenance, which re-runs to the
identical result.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .errors import DataProductError
from .result import Result
from .snapshot import now_iso, write_atomically

STORE_ROWS = 100_000
USER_ENV = "DATAPRODUCT_USER"


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

    @property
    def protocol(self) -> str:
        return f"{self.provenance['protocol']}@{self.provenance['protocol_version']}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "when": self.when, "who": self.who, "protocol": self.protocol,
            "snapshot": self.provenance["snapshot"], "parameters": self.provenance["parameters"],
            "provenance": self.provenance, "stored": self.stored, "summary": self.summary,
        }


class History:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def record(self, result: Result) -> HistoryEntry:
        when = now_iso()
        entry_id = when.replace(":", "").replace("-", "").replace(".", "")[:18] + "-" + uuid.uuid4().hex[:8]
        folder = self.root / entry_id
        folder.mkdir(parents=True)
        rows = sum(t.height for t in result.tables.values())
        stored = rows <= STORE_ROWS
        if stored:
            result.save_to(folder / "result")
        entry = {
            "id": entry_id, "when": when, "who": current_user(), "provenance": result.provenance,
            "stored": stored, "summary": result.summary()["tables"],
        }
        write_atomically(folder / "entry.json", json.dumps(entry, indent=2, default=str))
        return self._entry(entry)

    def list(self, limit: int | None = None) -> list[HistoryEntry]:
        if not self.root.is_dir():
            return []
        entries = []
        for folder in sorted(self.root.iterdir(), reverse=True):
            file = folder / "entry.json"
            if file.is_file():
                entries.append(self._entry(json.loads(file.read_text())))
            if limit is not None and len(entries) >= limit:
                break
        return entries

    def get(self, entry_id: str) -> HistoryEntry:
        matches = [e for e in self.list() if e.id == entry_id or e.id.startswith(entry_id)] if entry_id else []
        if len(matches) != 1:
            problem = "matches several entries" if matches else "matches no entry"
            raise HistoryEntryNotFoundError(
                f"History entry {entry_id!r} {problem}; `history` lists them.", details={"id": entry_id}
            )
        return matches[0]

    def stored_result(self, entry: HistoryEntry) -> Result | None:
        folder = self.root / entry.id / "result"
        return Result.load_from(folder) if entry.stored and folder.is_dir() else None

    @staticmethod
    def _entry(data: dict[str, Any]) -> HistoryEntry:
        return HistoryEntry(
            id=data["id"], when=data["when"], who=data["who"], provenance=data["provenance"],
            stored=data["stored"], summary=data.get("summary", {}),
        )


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
