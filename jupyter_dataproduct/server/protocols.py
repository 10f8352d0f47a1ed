"""Protocols (list, detail with the parameter JSON Schema, run), plugins (list, run), re-runs.

A run answers with the result document of :mod:`..contract.wire`; ``?tables=json`` puts table rows
in the JSON instead of Arrow. A token with a protocol list sees and runs only those
protocols (and plugins of those names).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..core.engine import PLUGIN_VERSION
from ..core.repository import checked_once
from .auth import Call, endpoint
from ..contract.errors import BadRequestError, PluginNotFoundError, SourceNotSharedError
from .requests import expect_object, query_text, read_json, tables_format
from .responses import WhenDurable, json_from_thread
from .result_memo import memo_key
from .runs import run_in_budget
from ..contract.wire import encode_result


@endpoint("reader")
async def list_protocols(call: Call) -> Response:
    return await json_from_thread(lambda: [p for p in call.transport.protocols() if call.grant.allows_protocol(p["name"])])


@endpoint("reader")
async def describe_protocol(call: Call) -> Response:
    ref = call.request.path_params["ref"]
    call.require_protocol(ref)
    return await json_from_thread(call.transport.protocol, ref)


@endpoint("analyst")
async def run_protocol(call: Call) -> Response:
    ref = call.request.path_params["ref"]
    parameters, snapshot, tables = await _run_inputs(call, ref, "The parameters")

    def work() -> dict[str, Any] | WhenDurable:
        memo = getattr(call.request.app.state, "result_memo", None)
        with checked_once():  # the key looks at the protocol three times: one look at the files
            key = memo_key(memo, call.product, ref, parameters, snapshot)
        remembered = memo.answer(call.product, key, tables) if key is not None else None
        if remembered is not None:  # the same run on the same snapshot and code: no worker needed
            return remembered  # the JSON document, encoded, sent once its history entry is durable
        result = run_in_budget(call, "run", ref, parameters, snapshot=snapshot)
        if key is not None:
            memo.remember(call.product, key, result)
        return encode_result(result, tables)

    return await json_from_thread(work)


@endpoint("reader")
async def list_plugins(call: Call) -> Response:
    """The plugins this token may see, their files named inside the product (never the server's folders)."""
    root = call.product.path
    return await json_from_thread(lambda: [{**p, "file": _inside(p.get("file"), root)} for p in call.transport.plugins()
                                           if call.grant.allows_protocol(p["name"])])


@endpoint("reader")
async def describe_plugin(call: Call) -> Response:
    """One plugin with its typed parameters and their JSON Schema (a form for it)."""
    name = call.request.path_params["plugin"]
    call.require_protocol(name)
    root = call.product.path
    return await json_from_thread(lambda: {**(detail := call.transport.plugin(name)), "file": _inside(detail.get("file"), root)})


@endpoint("reader")
async def plugin_source(call: Call) -> Response:
    """A plugin's file, only where the server was started with ``--share-plugin-source``."""
    name = call.request.path_params["plugin"]
    call.require_protocol(name)
    if not call.request.app.state.share_plugin_source:
        raise SourceNotSharedError(
            "This server does not share its plugins' source; its operator can start it with "
            "dataproduct serve --share-plugin-source.", details={"plugin": name[:100]})
    return await json_from_thread(call.transport.plugin_source, name)


def _inside(file: Any, root: Path) -> str | None:
    if not file:
        return None
    try:
        return Path(file).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return Path(str(file)).name  # outside the product (a built-in's module): its name only


@endpoint("analyst")
async def run_plugin(call: Call) -> Response:
    name = call.request.path_params["plugin"]
    arguments, snapshot, tables = await _run_inputs(call, name, "The arguments")

    def work() -> dict[str, Any]:
        broken = any(Path(f).stem == name for f in call.product.repository.plugin_problems(call.product.manifest))
        if name not in call.product.plugins() and not broken:  # a broken plugin reports its own error
            raise PluginNotFoundError(f"No plugin {name[:100]!r}; GET .../plugins lists them.", details={"plugin": name[:100]})
        return encode_result(run_in_budget(call, "run_plugin", name, arguments, snapshot=snapshot), tables)

    return await json_from_thread(work)


@endpoint("analyst")
async def rerun(call: Call) -> Response:
    """Run again exactly what a result's provenance describes (the body is the provenance)."""
    provenance = check_provenance(await read_json(call.request))
    call.require_protocol(provenance["protocol"])
    tables = tables_format(call.request)

    def work() -> dict[str, Any]:
        if provenance["protocol_version"] == PLUGIN_VERSION and provenance["protocol"] not in call.product.plugins():
            raise PluginNotFoundError(f"No plugin {provenance['protocol'][:100]!r}.")
        return encode_result(run_in_budget(call, "rerun", provenance), tables)

    return await json_from_thread(work)


async def _run_inputs(call: Call, name: str, what: str) -> tuple[dict[str, Any], str, str]:
    """For a run of protocol or plugin ``name``: the permission, then the body's values,
    the snapshot and the tables' format."""
    call.require_protocol(name)
    values = expect_object(await read_json(call.request, required=False, default={}), what)
    return values, query_text(call.request, "snapshot", "latest"), tables_format(call.request)


def check_provenance(value: Any) -> dict[str, Any]:
    provenance = expect_object(value, "The provenance")
    for key, kind in (("protocol", str), ("protocol_version", str), ("snapshot", str), ("parameters", dict)):
        if not isinstance(provenance.get(key), kind):
            raise BadRequestError(f"The provenance needs {key!r} ({'an object' if kind is dict else 'a string'}).",
                                  details={"field": key})
    if provenance.get("product") is not None and not isinstance(provenance["product"], str):
        raise BadRequestError("The provenance's 'product' must be a string.", details={"field": "product"})
    return provenance


routes = [
    Route("/api/products/{name}/protocols", list_protocols, methods=["GET"]),
    Route("/api/products/{name}/protocols/{ref}", describe_protocol, methods=["GET"]),
    Route("/api/products/{name}/protocols/{ref}/run", run_protocol, methods=["POST"]),
    Route("/api/products/{name}/plugins", list_plugins, methods=["GET"]),
    Route("/api/products/{name}/plugins/{plugin}", describe_plugin, methods=["GET"]),
    Route("/api/products/{name}/plugins/{plugin}/source", plugin_source, methods=["GET"]),
    Route("/api/products/{name}/plugins/{plugin}/run", run_plugin, methods=["POST"]),
    Route("/api/products/{name}/rerun", rerun, methods=["POST"]),
]
