"""JSON responses and the one error shape: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

import polars as pl
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..core.disk import is_full_disk
from ..core.errors import DataProductError, DiskFullError
from .errors import InternalError, MethodNotAllowedError, NotFoundError, QueryError
from .wire import JSON, dumps

def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, media_type=JSON, headers=headers)


def error_response(exc: DataProductError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="dataproduct"'} if exc.http_status == 401 else None
    return json_response({"error": exc.to_dict()}, exc.http_status, headers)


async def on_error(request: Request, exc: Exception) -> Response:
    """Every exception becomes the JSON error shape; unexpected ones are logged, not shown.

    Messages name files by their place in the product (``<product>/plugins/x.py``), never
    by the server's folders."""
    if isinstance(exc, DataProductError):
        return error_response(_scrubbed(request, exc))
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return error_response(NotFoundError("No such endpoint; see /api/openapi.json."))
        if exc.status_code == 405:
            return error_response(MethodNotAllowedError(f"{request.method} is not allowed here."))
        return json_response({"error": {"code": "http_error", "message": str(exc.detail), "details": {}}}, exc.status_code)
    if is_full_disk(exc):  # whatever wrote: the one error for a full disk, never a 422 or 500
        return error_response(DiskFullError("The disk is full: the server could not write what this request needs."))
    if isinstance(exc, pl.exceptions.PolarsError):
        # The query engine refused the request's query (a value of the wrong kind, say).
        return error_response(_scrubbed(request, QueryError(f"The query failed: {str(exc).splitlines()[0][:300]}")))
    return error_response(InternalError("Internal server error; the server log has the details."))


async def json_from_thread(func: Any, *args: Any, status: int = 200) -> Response:
    """Call ``func(*args)`` in a worker thread and answer its value as JSON (encoded there too)."""
    import contextvars

    from starlette.concurrency import run_in_threadpool

    context = contextvars.copy_context()  # the request's context (who is acting) goes along
    body = await run_in_threadpool(context.run, lambda: dumps(func(*args)))
    return Response(body, status_code=status, media_type=JSON)


def _scrubbed(request: Request, exc: DataProductError) -> DataProductError:
    registry = getattr(request.app.state, "registry", None)
    if registry is None:
        return exc
    folders = []
    for served in registry:
        folders += [(str(served.product.store.root), f"<{served.name} store>"), (str(served.product.path), f"<{served.name}>")]
    folders.sort(key=lambda pair: -len(pair[0]))  # the store may sit inside the product folder

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for folder, name in folders:
                value = value.replace(folder, name)
            return value
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    clean = DataProductError(scrub(exc.message), details=scrub(exc.details))
    clean.code, clean.http_status = exc.code, exc.http_status  # type: ignore[misc]
    return clean
