"""Health, the catalog, product metadata, snapshots (list, detail, verify, diff, tag, build)."""

from __future__ import annotations

import queue
import threading
from typing import Any, Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .._version import __version__
from ..core.errors import DataProductError
from .auth import Call, endpoint, grants
from .build_worker import build_in_child
from ..contract.errors import BadRequestError, InternalError
from .requests import expect_object, field, query_text, read_json
from .responses import json_from_thread, json_response
from ..contract.wire import NDJSON, dumps


async def health(request: Request) -> Response:
    """No token needed: the server is up, and its version (clients compare it with theirs)."""
    return json_response({"status": "ok", "version": __version__})


async def catalog(request: Request) -> Response:
    """The served products this token may read."""
    found = grants(request)

    def describe() -> list[dict[str, Any]]:
        items = []
        for served, grant in found:
            manifest = served.product.manifest
            items.append({"name": served.name, "version": manifest.version, "title": manifest.title,
                          "description": manifest.description, "role": grant.role,
                          "url": f"/api/products/{served.name}"})
        return items

    return json_response({"products": await run_in_threadpool(describe)})


@endpoint("reader")
async def info(call: Call) -> Response:
    data = await run_in_threadpool(call.transport.info)
    data["location"] = f"/api/products/{call.served.name}"  # never the server's folder
    return json_response(data)


@endpoint("reader")
async def snapshots(call: Call) -> Response:
    return await json_from_thread(call.transport.snapshots)


@endpoint("reader")
async def snapshot(call: Call) -> Response:
    return await json_from_thread(call.transport.snapshot, call.request.path_params["ref"])


@endpoint("analyst")  # re-hashes every file of the snapshot: not for every reader to repeat at will
async def verify(call: Call) -> Response:
    return await json_from_thread(call.transport.verify, call.request.path_params["ref"])


@endpoint("reader")
async def diff(call: Call) -> Response:
    a = query_text(call.request, "a")
    b = query_text(call.request, "b", "latest")
    if a is None:
        raise BadRequestError("diff needs ?a=SNAPSHOT (and optionally &b=SNAPSHOT, default latest).", details={"parameter": "a"})
    return await json_from_thread(call.transport.diff, a, b)


@endpoint("admin")
async def tag(call: Call) -> Response:
    body = expect_object(await read_json(call.request, required=False, default={}))
    ref = field(body, "snapshot", str, "latest")
    return await json_from_thread(call.transport.tag, call.request.path_params["tag"], ref)


@endpoint("admin")
async def build(call: Call) -> Response:
    """Build a snapshot. With ``Accept: application/x-ndjson`` progress events stream as
    lines ``{"progress": {...}}`` and the last line is ``{"result": ...}`` or ``{"error": ...}``."""
    body = expect_object(await read_json(call.request, required=False, default={}))
    force = field(body, "force", bool, False)
    if NDJSON not in call.request.headers.get("accept", ""):
        return json_response(await run_in_threadpool(lambda: _build(call, force)))
    return StreamingResponse(_build_events(call, force), media_type=NDJSON)


def _build(call: Call, force: bool, progress: Any = None) -> dict[str, Any]:
    """Build in a child process (a crash there is this request's error, not the server's end)."""
    product = call.product
    built = build_in_child(product.path, product.store.root, force=force, progress=progress)
    return {"created": built["created"], "snapshot": call.transport.snapshot(built["id"])}


def _build_events(call: Call, force: bool) -> Iterator[bytes]:
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def work() -> None:
        try:
            result = _build(
                call, force,
                progress=lambda e: events.put({"progress": {"done": e.done, "total": e.total, "message": e.message}}))
            events.put({"result": result})
        except DataProductError as exc:
            events.put({"error": exc.to_dict()})
        except Exception:
            events.put({"error": InternalError("Internal server error; the server log has the details.").to_dict()})
            raise
        finally:
            events.put(None)

    threading.Thread(target=work, name="dataproduct-build", daemon=True).start()
    while (event := events.get()) is not None:
        yield dumps(event) + b"\n"


routes = [
    Route("/api/health", health, methods=["GET"]),
    Route("/api/products", catalog, methods=["GET"]),
    Route("/api/products/{name}", info, methods=["GET"]),
    Route("/api/products/{name}/snapshots", snapshots, methods=["GET"]),
    Route("/api/products/{name}/snapshots", build, methods=["POST"]),
    Route("/api/products/{name}/snapshots/{ref}", snapshot, methods=["GET"]),
    Route("/api/products/{name}/snapshots/{ref}/verify", verify, methods=["GET"]),
    Route("/api/products/{name}/diff", diff, methods=["GET"]),
    Route("/api/products/{name}/tags/{tag}", tag, methods=["PUT"]),
]

