"""The JSON the sidebar's API answers, as TypedDicts (mirrored in ``labextension/src/types.ts``)
and the functions that shape client payloads into them. See ``docs/lab-api.md``."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class ErrorBody(TypedDict):
    code: str
    message: str


class ProductEntry(TypedDict):
    name: str
    title: str
    version: str
    kind: Literal["folder", "server"]
    location: str
    origin: Literal["config", "connections", "found"]
    health: Literal["ok", "error"]
    error: NotRequired[ErrorBody]
    connect: str


class ColumnInfo(TypedDict):
    name: str
    type: str
    title: NotRequired[str]
    unit: NotRequired[str]
    labels: NotRequired[dict[str, str]]
    collection: NotRequired[str]
    description: NotRequired[str]


class EntityInfo(TypedDict):
    name: str
    title: str
    key: list[str]
    rows: NotRequired[int]
    columns: list[ColumnInfo]


class ProductInfo(TypedDict):
    name: str
    title: str
    version: str
    description: str
    entities: list[EntityInfo]
    collections: list[str]


class ParameterSummary(TypedDict):
    name: str
    type: str
    required: bool


class ProtocolSummary(TypedDict):
    name: str
    version: str
    title: str
    description: str
    parameters: list[ParameterSummary]
    tests: int


class ProtocolDetail(ProtocolSummary):
    schema: dict[str, Any]


COLUMN_FIELDS = ("title", "unit", "labels", "collection", "description")
PARAMETER_FIELDS = ("default", "title", "description", "entity", "choices", "choices_from", "minimum", "maximum",
                    "column_types", "min_items", "max_items")


def product_info(info: dict[str, Any], rows: dict[str, int]) -> ProductInfo:
    """A client's ``info`` as the panel's data dictionary (rows from the latest snapshot, if any)."""
    entities: list[EntityInfo] = []
    collections: list[str] = []
    for name, entity in info.get("entities", {}).items():
        columns: list[ColumnInfo] = []
        for column, meta in entity.get("columns", {}).items():
            item: ColumnInfo = {"name": column, "type": meta.get("type", "string")}
            item.update({k: meta[k] for k in COLUMN_FIELDS if meta.get(k)})  # type: ignore[typeddict-item]
            if "labels" in item:
                item["labels"] = {str(k): str(v) for k, v in item["labels"].items()}
            if meta.get("collection") and meta["collection"] not in collections:
                collections.append(meta["collection"])
            columns.append(item)
        key = entity.get("key", [])
        described: EntityInfo = {"name": name, "title": entity.get("title") or name,
                                 "key": [key] if isinstance(key, str) else list(key), "columns": columns}
        if name in rows:
            described["rows"] = rows[name]
        entities.append(described)
    return {"name": info["name"], "title": info.get("title") or info["name"], "version": info.get("version", ""),
            "description": (info.get("description") or "").strip(), "entities": entities, "collections": collections}


def protocol_summary(meta: dict[str, Any]) -> ProtocolSummary:
    return {"name": meta["name"], "version": meta["version"], "title": meta.get("title") or meta["name"],
            "description": (meta.get("description") or "").strip(),
            "parameters": [{"name": n, "type": p["type"], "required": _required(p)}
                           for n, p in meta.get("parameters", {}).items()],
            "tests": int(meta.get("tests", 0))}


def protocol_detail(meta: dict[str, Any]) -> ProtocolDetail:
    detail: dict[str, Any] = dict(protocol_summary(meta))
    detail["parameters"] = [
        {"name": n, "type": p["type"], "required": _required(p),
         **{k: p[k] for k in PARAMETER_FIELDS if p.get(k) not in (None, "", [])}}
        for n, p in meta.get("parameters", {}).items()
    ]
    detail["schema"] = meta.get("schema", {})
    if meta.get("versions"):
        detail["versions"] = meta["versions"]
    return detail  # type: ignore[return-value]


def _required(parameter: dict[str, Any]) -> bool:
    required = parameter.get("required")
    return bool(required) if required is not None else parameter.get("default") is None


# -- Snapshots section (lab/snapshots.py) ---------------------------------------------------

SHORT_ID = 12


class SnapshotEntry(TypedDict):
    id: str
    short: str
    created: str
    rows: dict[str, int]
    tags: list[str]
    product_version: NotRequired[str]


class SnapshotList(TypedDict):
    snapshots: list[SnapshotEntry]
    role: Literal["reader", "analyst", "admin"]
    actions: list[str]


def snapshot_entry(snapshot: dict[str, Any]) -> SnapshotEntry:
    """A snapshot as the panel lists it (local and remote transports answer the same shape)."""
    rows = snapshot.get("rows")
    if not isinstance(rows, dict):
        rows = {n: e.get("rows") for n, e in (snapshot.get("entities") or {}).items()}
    entry: dict[str, Any] = {"id": snapshot["id"], "short": snapshot["id"][:SHORT_ID], "created": snapshot.get("created", ""),
                             "rows": rows, "tags": list(snapshot.get("tags") or [])}
    if snapshot.get("product_version"):
        entry["product_version"] = snapshot["product_version"]
    return entry  # type: ignore[return-value]


# -- Artifacts section (lab/artifacts.py) ---------------------------------------------------


class ArtifactEntry(TypedDict):
    name: str
    kind: str
    created: str
    entity: NotRequired[str]
    summary: NotRequired[Any]  # a text or {rows, columns, ...}
    description: NotRequired[str]
    provenance: NotRequired[dict[str, Any]]


class ArtifactList(TypedDict):
    artifacts: list[ArtifactEntry]
    role: Literal["reader", "analyst", "admin"]
    actions: list[str]


# -- History section ---------------------------------------------------------------------------

class HistoryEntry(TypedDict):
    id: str
    when: str
    who: str
    protocol: str  # the name, without its version
    version: str
    snapshot: str
    parameters: dict[str, Any]  # as recorded: cohorts as {entity, tree, text, artifact?}
    stored: bool


class HistoryPage(TypedDict):
    entries: list[HistoryEntry]
    offset: int
    more: bool
    role: Literal["reader", "analyst", "admin"]
    actions: list[str]  # as SnapshotList: rerun and save_result need an analyst


def history_entry(entry: dict[str, Any]) -> HistoryEntry:
    """A client's history entry as the panel lists it (no result, no output summary)."""
    provenance = entry.get("provenance") or {}
    protocol = provenance.get("protocol") or str(entry.get("protocol", "")).split("@", 1)[0]
    return {"id": entry["id"], "when": entry.get("when", ""), "who": entry.get("who", ""), "protocol": protocol,
            "version": str(provenance.get("protocol_version", "")), "snapshot": entry.get("snapshot") or "",
            "parameters": entry.get("parameters") or {}, "stored": bool(entry.get("stored"))}


# -- Plugins section ---------------------------------------------------------------------------


class PluginEntry(TypedDict):
    name: str
    title: str
    description: str
    language: Literal["python", "r"]
    kind: Literal["python", "r", "notebook"]
    builtin: bool
    parameters: list[str]
    path: NotRequired[str]  # the file relative to the Jupyter root: JupyterLab's editor opens it
    file: NotRequired[str]  # otherwise the file as the product names it (a server's: inside the product)


class PluginDetail(ProtocolDetail):
    language: str
    kind: str
    builtin: bool
    plugin: Literal[True]


class PluginSource(TypedDict):
    name: str
    language: str
    kind: str
    editable: bool
    path: NotRequired[str]
    file: NotRequired[str]
    text: NotRequired[str]


def plugin_entry(meta: dict[str, Any], path: str | None) -> PluginEntry:
    file = meta.get("file") or ""
    kind = "notebook" if file.endswith(".ipynb") else meta.get("language", "python")
    entry: dict[str, Any] = {"name": meta["name"], "title": meta.get("title") or meta["name"],
                             "description": (meta.get("description") or "").strip(),
                             "language": meta.get("language", "python"), "kind": kind,
                             "builtin": bool(meta.get("builtin")), "parameters": list(meta.get("parameters", []))}
    if path is not None:
        entry["path"] = path
    elif file and not entry["builtin"]:
        entry["file"] = file.rsplit("/", 1)[-1] if file.startswith("/") else file  # never a server's folders
    return entry  # type: ignore[return-value]


def plugin_detail_payload(meta: dict[str, Any]) -> PluginDetail:
    """A plugin as the form shows a protocol: the same keys, plus ``plugin: true`` and its language."""
    detail = protocol_detail({"name": meta["name"], "version": "plugin", "title": meta.get("title") or meta["name"],
                              "description": meta.get("description") or "", "parameters": meta["parameter_types"],
                              "schema": meta["schema"], "tests": 0})
    detail.update({"language": meta["language"], "kind": meta["kind"], "builtin": bool(meta.get("builtin")),
                   "plugin": True})  # type: ignore[typeddict-unknown-key]
    return detail  # type: ignore[return-value]
