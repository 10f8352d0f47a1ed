"""The OpenAPI 3.1 description of the HTTP API, served at ``/api/openapi.json``.

Written by hand, next to the endpoints it describes; ``tests/server`` checks that every
route is described and fuzzes the API against this description. It needs a token and
shows only what that token may see: the ``name`` parameter lists the products the token
is valid for, and each protocol the token may run has its own
``.../protocols/<protocol>/run`` operation whose request body is the protocol's parameter
JSON Schema: the data contract, in the API description. Pick-lists over data are capped
(``core.parameters.MAX_CHOICES``) and computed once per snapshot.
"""

from __future__ import annotations

from typing import Any, Callable

from .._version import __version__

ERROR = {"$ref": "#/components/schemas/Error"}
OBJECT = {"type": "object"}
STRING = {"type": "string", "minLength": 1}


def _path(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema or STRING}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or {"type": "string"}}


SNAPSHOT_Q = _query("snapshot", "Snapshot: 'latest' (default), a tag, an id or a unique id prefix.")
TABLES_Q = _query("tables", "How result tables travel: base64 Arrow IPC (default) or JSON rows.",
                  {"type": "string", "enum": ["arrow", "json"]})
REF = _path("ref", "Protocol name, or name@version (protocols) / snapshot tag, id, id prefix or 'latest' (snapshots).")


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "Malformed request (bad JSON, wrong types, bad query values)", 401: "Missing or invalid token",
            403: "The token's role or protocol list does not allow this", 404: "Not found",
            406: "No acceptable format", 409: "Ambiguous snapshot prefix", 413: "Request body too large",
            415: "The body is not JSON", 422: "Invalid parameters, names or data"}
    return {str(s): _json(ERROR, text[s]) for s in statuses}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, role: str | None, responses: dict[str, Any], *, parameters: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None, statuses: tuple[int, ...] = (400, 401, 403, 404, 422)) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {**responses, **_errors(*statuses)}}
    if role:
        op["description"] = f"Needs a token with role {role} or higher."
    else:
        op["security"] = []
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = body
    return op


def protocol_paths(product: Any, allows: Callable[[str], bool] = lambda name: True) -> dict[str, Any]:
    """One run operation per protocol of a core ``Product`` that ``allows(name)``, its body
    the parameter schema."""
    from ..core.errors import DataProductError

    paths: dict[str, Any] = {}
    try:
        protocols = product.protocols().latest()
    except DataProductError:
        return paths
    for loaded in protocols:
        spec = loaded.spec
        if not allows(spec.name):
            continue
        try:
            schema = product.parameter_schema(spec.key)
        except DataProductError:
            continue
        schema.pop("$schema", None)
        schema.pop("$defs", None)
        schema = _rewrite_refs(schema)
        paths[f"/api/products/{product.name}/protocols/{spec.name}/run"] = {"post": _op(
            f"Run {spec.name} {spec.version}: {spec.title or spec.name}", "analyst",
            {"200": _json({"$ref": "#/components/schemas/Result"})},
            parameters=[SNAPSHOT_Q, TABLES_Q], body=_body(schema, required=False),
            statuses=(400, 401, 403, 404, 409, 413, 415, 422))}
    return paths


def _add_links(paths: dict[str, Any], p: str) -> None:
    """OpenAPI links between operations (a run's history entry, a saved artifact, a listed
    snapshot), so clients and stateful fuzzers can follow one answer to the next request."""
    ids = {(f"{p}/history/{{entry}}/result", "get"): "historyResult", (f"{p}/rerun", "post"): "rerun",
           (f"{p}/artifacts/{{artifact}}", "get"): "loadArtifact", (f"{p}/artifacts/{{artifact}}", "delete"): "deleteArtifact",
           (f"{p}/snapshots/{{ref}}", "get"): "snapshotDetail"}
    for (path, method), operation_id in ids.items():
        paths[path][method]["operationId"] = operation_id
    for path, item in paths.items():
        if not path.startswith("/api/products/") or not (path.endswith("/run") or path == f"{p}/rerun"):
            continue
        # A protocol's own run operation names its product in the path itself.
        name = "$request.path.name" if "{name}" in path else path.split("/")[3]
        item["post"]["responses"]["200"]["links"] = {
            "HistoryResult": {"operationId": "historyResult",
                              "parameters": {"name": name, "entry": "$response.body#/provenance/history_id"}},
            "Rerun": {"operationId": "rerun", "parameters": {"name": name}, "requestBody": "$response.body#/provenance"},
        }
    artifact = {"name": "$request.path.name", "artifact": "$request.path.artifact"}
    paths[f"{p}/artifacts/{{artifact}}"]["put"]["responses"]["201"]["links"] = {
        "Load": {"operationId": "loadArtifact", "parameters": artifact},
        "Delete": {"operationId": "deleteArtifact", "parameters": artifact},
    }
    paths[f"{p}/snapshots"]["get"]["responses"]["200"]["links"] = {
        "Detail": {"operationId": "snapshotDetail", "parameters": {"name": "$request.path.name", "ref": "$response.body#/0/id"}},
    }


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: ("#/components/schemas/cohort_tree" if k == "$ref" and v == "#/$defs/cohort_tree" else _rewrite_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def openapi(names: list[str] | None = None,
            products: list[tuple[Any, Callable[[str], bool]]] | None = None) -> dict[str, Any]:
    """The description; ``products`` (a core Product and which of its protocols to show)
    add one run operation per protocol shown."""
    from ..core.parameters import COHORT_TREE_SCHEMA

    name = _path("name", "The product's name.", {"type": "string", "enum": names} if names else STRING)
    result = {"$ref": "#/components/schemas/Result"}
    cohort = {"oneOf": [{"type": "string"}, {"type": "object"}]}
    frame_formats = {
        "application/vnd.apache.arrow.stream": {"schema": {"type": "string", "format": "binary"}},
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": OBJECT}},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
    }
    frame_response = {"200": {"description": "The rows, streamed batch by batch (Arrow IPC by default); a whole entity "
                                             "asked for as Parquet: the snapshot's own file, with Content-Length.",
                              "headers": {"X-Dataproduct-Snapshot": {"schema": {"type": "string"}, "description": "Snapshot id read."},
                                          "X-Dataproduct-Compression": {
                                              "schema": {"type": "string", "enum": ["none", "lz4", "zstd"]},
                                              "description": "Arrow frames: the IPC buffer codec used (none: plain)."}},
                              "content": frame_formats}}
    frame_query = [
        _query("format", "arrow (default), csv, json or ndjson; else the Accept header decides. parquet: a whole "
               "entity (no where, columns, join or limit) as the snapshot's Parquet file, sent as it is (400 for a "
               "filtered frame, 406 for an entity stored in parts or in object storage).",
               {"type": "string", "enum": ["arrow", "csv", "json", "ndjson", "parquet"]}),
        _query("compression", "Arrow only: the IPC buffer codecs the client reads, best first (lz4, zstd, none; "
               "comma-separated); the first is used. Absent: plain IPC, which every Arrow reader reads."),
    ]
    p = "/api/products/{name}"
    paths: dict[str, Any] = {
        "/api/health": {"get": _op("Liveness and server version (no token).", None,
                                   {"200": _json({"type": "object", "properties": {"status": {"type": "string"}, "version": {"type": "string"}}})},
                                   statuses=())},
        "/api/openapi.json": {"get": _op("This description: what this token may see.", "reader", {"200": _json(OBJECT)},
                                         statuses=(401,))},
        "/api/products": {"get": _op("The served products this token may read.", "reader",
                                     {"200": _json({"type": "object", "properties": {"products": {"type": "array", "items": OBJECT}}})},
                                     statuses=(401,))},
        p: {"get": _op("Product metadata: manifest, entities, columns, relations.", "reader", {"200": _json(OBJECT)},
                       parameters=[name])},
        f"{p}/snapshots": {
            "get": _op("Snapshots, newest first.", "reader", {"200": _json({"type": "array", "items": OBJECT})}, parameters=[name]),
            "post": _op("Build a snapshot (a no-op when nothing changed). With Accept: application/x-ndjson, progress "
                        "events stream as lines and the last line is {\"result\": ...} or {\"error\": ...}.", "admin",
                        {"200": {"description": "The build's outcome", "content": {
                            "application/json": {"schema": OBJECT}, "application/x-ndjson": {"schema": {"type": "string"}}}}},
                        parameters=[name],
                        body=_body({"type": "object", "properties": {"force": {"type": "boolean"}}}, required=False),
                        statuses=(400, 401, 403, 404, 413, 415, 422)),
        },
        f"{p}/snapshots/{{ref}}": {"get": _op("One snapshot: rows, schema, tags.", "reader", {"200": _json(OBJECT)},
                                              parameters=[name, REF], statuses=(401, 403, 404, 409, 422))},
        f"{p}/snapshots/{{ref}}/verify": {"get": _op("Recompute the snapshot's hashes.", "analyst",
                                                     {"200": _json(OBJECT)}, parameters=[name, REF], statuses=(401, 403, 404, 409, 422))},
        f"{p}/diff": {"get": _op("Schema and row-count changes between snapshots a and b.", "reader", {"200": _json(OBJECT)},
                                 parameters=[name, {**_query("a", "First snapshot."), "required": True},
                                             _query("b", "Second snapshot (default latest).")],
                                 statuses=(400, 401, 403, 404, 409, 422))},
        f"{p}/tags/{{tag}}": {"put": _op("Point a tag at a snapshot.", "admin", {"200": _json(OBJECT)},
                                         parameters=[name, _path("tag", "Tag name.")],
                                         body=_body({"type": "object", "properties": {"snapshot": {"type": "string"}}}, required=False),
                                         statuses=(400, 401, 403, 404, 409, 413, 415, 422))},
        f"{p}/protocols": {"get": _op("Protocols (newest versions) this token may see.", "reader",
                                      {"200": _json({"type": "array", "items": OBJECT})}, parameters=[name])},
        f"{p}/protocols/{{ref}}": {"get": _op("A protocol with its parameter JSON Schema (the data contract) and outputs.",
                                              "reader", {"200": _json(OBJECT)}, parameters=[name, REF])},
        f"{p}/protocols/{{ref}}/run": {"post": _op(
            "Run a protocol. The body is the parameters object; the answer is the result document.", "analyst",
            {"200": _json(result)}, parameters=[name, REF, SNAPSHOT_Q, TABLES_Q],
            body=_body({"type": "object", "additionalProperties": True}, required=False),
            statuses=(400, 401, 403, 404, 409, 413, 415, 422))},
        f"{p}/plugins": {"get": _op("Plugins and built-in algorithms.", "reader",
                                    {"200": _json({"type": "array", "items": OBJECT})}, parameters=[name])},
        f"{p}/plugins/{{plugin}}": {"get": _op(
            "A plugin with its kind, typed parameters and their JSON Schema.", "reader", {"200": _json(OBJECT)},
            parameters=[name, _path("plugin", "Plugin name.")])},
        f"{p}/plugins/{{plugin}}/source": {"get": _op(
            "A plugin's source file (403 unless the server runs with --share-plugin-source).", "reader",
            {"200": _json(OBJECT)}, parameters=[name, _path("plugin", "Plugin name.")])},
        f"{p}/plugins/{{plugin}}/run": {"post": _op(
            "Run a plugin directly; the body is its arguments.", "analyst", {"200": _json(result)},
            parameters=[name, _path("plugin", "Plugin name."), SNAPSHOT_Q, TABLES_Q],
            body=_body({"type": "object", "additionalProperties": True}, required=False),
            statuses=(400, 401, 403, 404, 409, 413, 415, 422))},
        f"{p}/rerun": {"post": _op("Run exactly what a result's provenance describes.", "analyst", {"200": _json(result)},
                                   parameters=[name, TABLES_Q], body=_body({"$ref": "#/components/schemas/Provenance"}),
                                   statuses=(400, 401, 403, 404, 409, 413, 415, 422))},
        f"{p}/entities/{{entity}}/frame": {
            "get": _op("Rows of an entity matching a cohort, chosen columns, related entities joined.", "reader",
                       frame_response, parameters=[
                           name, _path("entity", "Entity name."), *frame_query,
                           _query("where", "Cohort text, e.g. age >= 40 and arms in (1, 2), or @saved_cohort."),
                           _query("columns", "Comma-separated columns."), _query("join", "Comma-separated related entities."),
                           _query("limit", "At most this many rows.", {"type": "integer", "minimum": 0}), SNAPSHOT_Q],
                       statuses=(400, 401, 403, 404, 406, 409, 422)),
            "post": _op("The same, the request as a JSON body (where may be a condition tree).", "reader",
                        frame_response, parameters=[name, _path("entity", "Entity name."), *frame_query],
                        body=_body({"$ref": "#/components/schemas/FrameRequest"}, required=False),
                        statuses=(400, 401, 403, 404, 406, 409, 413, 415, 422)),
        },
        f"{p}/artifacts": {"get": _op("Saved cohorts, tables and results, newest first.", "reader",
                                      {"200": _json({"type": "array", "items": OBJECT})}, parameters=[name])},
        f"{p}/artifacts/{{artifact}}": {
            "get": _op("An artifact and its value (cohort JSON, table or result document).", "reader",
                       {"200": _json({"type": "object", "properties": {"artifact": OBJECT, "kind": {"type": "string"}, "value": {}}})},
                       parameters=[name, _path("artifact", "Artifact name."), TABLES_Q]),
            "put": _op("Save a cohort, or a result (by history entry or provenance; the server recomputes it).", "analyst",
                       {"201": _json(OBJECT, "Saved")}, parameters=[name, _path("artifact", "Artifact name.")],
                       body=_body({"$ref": "#/components/schemas/SaveArtifact"}),
                       statuses=(400, 401, 403, 404, 409, 413, 415, 422)),
            "delete": _op("Delete an artifact.", "analyst", {"200": _json(OBJECT)},
                          parameters=[name, _path("artifact", "Artifact name.")]),
        },
        f"{p}/history": {"get": _op("Every run, newest first.", "reader", {"200": _json({"type": "array", "items": OBJECT})},
                                    parameters=[name, _query("limit", "At most this many entries (default 100).",
                                                             {"type": "integer", "minimum": 1, "maximum": 100000}),
                                                _query("offset", "Skip this many newest entries.",
                                                       {"type": "integer", "minimum": 0})])},
        f"{p}/history/{{entry}}/result": {"get": _op("The result of a history entry (stored, or re-run).", "analyst",
                                                     {"200": _json(result)}, parameters=[name, _path("entry", "History entry id or prefix."), TABLES_Q])},
    }
    for product, allows in products or []:
        paths.update(protocol_paths(product, allows))
    _add_links(paths, p)
    return {
        "openapi": "3.1.0",
        "info": {"title": "jupyter-dataproduct server", "version": __version__,
                 "description": "Remote data products: metadata, snapshots, protocols, frames (Arrow IPC streams), "
                                "artifacts and history. Errors are {\"error\": {\"code\", \"message\", \"details\"}}."},
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token from `dataproduct token create PATH --role ...`."}},
            "schemas": {
                "cohort_tree": _rewrite_refs(COHORT_TREE_SCHEMA),
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message", "details"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": OBJECT}}}},
                "Table": {"type": "object", "required": ["rows", "columns"], "properties": {
                    "rows": {"type": "integer"}, "columns": {"type": "array", "items": {"type": "string"}},
                    "media_type": {"const": "application/vnd.apache.arrow.stream"}, "encoding": {"const": "base64"},
                    "data": {"type": "string", "description": "Arrow IPC stream, base64"},
                    "records": {"type": "array", "items": OBJECT, "description": "With ?tables=json"},
                    "schema": {"type": "object", "description": "With ?tables=json: each column's type "
                               "(int, float, string, bool, date, datetime, category, other); categories with 'levels'",
                               "additionalProperties": OBJECT}}},
                "Result": {"type": "object", "required": ["provenance", "tables", "values", "charts"], "properties": {
                    "provenance": {"$ref": "#/components/schemas/Provenance"},
                    "tables": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Table"}},
                    "values": OBJECT, "charts": {"type": "object", "additionalProperties": OBJECT}}},
                "Provenance": {"type": "object", "required": ["protocol", "protocol_version", "snapshot", "parameters"],
                               "properties": {"product": {"type": "string"}, "product_version": {"type": "string"},
                                              "snapshot": {"type": "string"}, "protocol": {"type": "string"},
                                              "protocol_version": {"type": "string"}, "parameters": OBJECT,
                                              "engine_version": {"type": "string"}, "history_id": {"type": "string"}}},
                "FrameRequest": {"type": "object", "properties": {
                    "where": cohort, "columns": {"type": "array", "items": {"type": "string"}},
                    "join": {"type": "array", "items": {"type": "string"}}, "limit": {"type": "integer", "minimum": 0},
                    "snapshot": {"type": "string"}}},
                "SaveArtifact": {"type": "object", "required": ["kind"], "properties": {
                    "kind": {"type": "string", "enum": ["cohort", "result"]}, "entity": {"type": "string"}, "cohort": cohort,
                    "snapshot": {"type": "string"}, "description": {"type": "string"}, "overwrite": {"type": "boolean"},
                    "history_id": {"type": "string"}, "provenance": {"$ref": "#/components/schemas/Provenance"}}},
            },
        },
    }
