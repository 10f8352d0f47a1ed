"""Small notebook objects: Snapshot, Plugin, Artifact, HistoryEntry (data + rich display)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import display


@dataclass
class Snapshot:
    id: str
    created: str
    rows: dict[str, int]
    tags: list[str] = field(default_factory=list)
    product: str = ""
    entities: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any], product: str) -> "Snapshot":
        return cls(id=data["id"], created=data["created"], rows=data["rows"], tags=data.get("tags", []),
                   product=product, entities=data.get("entities", {}))

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def __repr__(self) -> str:
        tags = f" [{', '.join(self.tags)}]" if self.tags else ""
        rows = ", ".join(f"{k}={v:,}" for k, v in self.rows.items())
        return f"<Snapshot {self.product}@{self.short_id}{tags} {self.created} ({rows})>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        schema_rows = [
            {"entity": e, "rows": f"{meta['rows']:,}", "columns": ", ".join(c["name"] for c in meta["schema"])}
            for e, meta in self.entities.items()
        ]
        html = display.card(f"Snapshot {self.product}@{self.short_id}", f"created {self.created}",
                            display.tags(self.tags), display.table(schema_rows or [{"entity": k, "rows": v} for k, v in self.rows.items()]),
                            f"<div class='dp-muted'>id {display.escape(self.id)}</div>")
        return {"text/plain": repr(self), "text/html": html}


@dataclass
class Plugin:
    name: str
    language: str
    title: str
    description: str
    file: str | None
    line: int | None
    builtin: bool
    parameters: list[str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Plugin":
        return cls(**{k: data.get(k) for k in ("name", "language", "title", "description", "file", "line", "builtin", "parameters")})

    def __repr__(self) -> str:
        where = "built-in" if self.builtin else f"{self.file}:{self.line}" if self.file else "this session"
        return f"<Plugin {self.name}({', '.join(self.parameters or [])}) [{self.language}] {where}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        html = display.card(f"Plugin {self.name} ({self.language})", self.title,
                            f"<div>parameters: {display.escape(', '.join(self.parameters or []))}</div>",
                            f"<pre class='dp-muted'>{display.escape(self.description)}</pre>" if self.description else "")
        return {"text/plain": repr(self), "text/html": html}


@dataclass
class Artifact:
    """A saved cohort, table or result; ``value`` is what it holds."""

    name: str
    kind: str
    created: str
    provenance: dict[str, Any]
    summary: dict[str, Any]
    description: str = ""
    value: Any = None

    @classmethod
    def from_json(cls, data: dict[str, Any], value: Any = None) -> "Artifact":
        return cls(name=data["name"], kind=data["kind"], created=data["created"], provenance=data.get("provenance", {}),
                   summary=data.get("summary", {}), description=data.get("description", ""), value=value)

    def __repr__(self) -> str:
        return f"<Artifact {self.name} ({self.kind}) {self.created} {self.summary}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        rows = [{"key": k, "value": v} for k, v in {**self.summary, **self.provenance}.items()]
        html = display.card(f"Artifact {self.name} ({self.kind})", f"saved {self.created}", display.table(rows))
        return {"text/plain": repr(self), "text/html": html}


class Listing(list):
    """A list of notebook objects that displays as one table."""

    def __init__(self, items: list[Any], title: str, columns: list[str]) -> None:
        super().__init__(items)
        self.title = title
        self.columns = columns

    def _rows(self) -> list[dict[str, Any]]:
        rows = []
        for item in self:
            data = item if isinstance(item, dict) else vars(item)
            rows.append({c: _short(data.get(c)) for c in self.columns})
        return rows

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": "\n".join(map(repr, self)) or f"({self.title}: none)",
                "text/html": display.card(self.title, f"{len(self)} item(s)", display.table(self._rows(), self.columns))}


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:12]
    if isinstance(value, dict) and value and all(isinstance(v, int) for v in value.values()):
        return ", ".join(f"{k}={v:,}" for k, v in value.items())
    if isinstance(value, dict):
        return display.parameters_text(value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return value
