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
