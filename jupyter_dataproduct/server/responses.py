"""JSON responses and the one error shape: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
from dataclasses import dataclass
from typing import Any, Awaitable

import polars as pl
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..core.disk import is_full_disk
from ..core.errors import DataProductError, DiskFullError
from ..core.history_journal import WAIT_SECONDS, not_durable_in_time
from ..contract.errors import InternalError, MethodNotAllowedError, NotFoundError, QueryError
from ..contract.wire import JSON, dumps

log = logging.getLogger("jupyter_dataproduct.server")

# What an error answer shows of its details: enough to name what was wrong, never the
# client's whole value sent back (nor a walk deep enough to exhaust the stack).
MAX_MESSAGE = 4_000  # characters
MAX_TEXT = 1_000  # characters of a string in the details
MAX_ITEMS = 50  # items of a list or object in the details
MAX_DEPTH = 8  # nesting in the details
INTERNAL = b'{"error":{"code":"internal_error","message":"Internal server error; the server log has the details.","details":{}}}'


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, media_type=JSON, headers=headers)


def error_response(exc: DataProductError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="dataproduct"'} if exc.http_status == 401 else None
    if exc.http_status == 503:
        headers = {"Retry-After": "60"}
    return json_response({"error": exc.to_dict()}, exc.http_status, headers)


async def on_error(request: Request, exc: Exception) -> Response:
    """Every exception becomes the JSON error shape; unexpected ones are logged, not shown.

    Messages name files by their place in the product (``<product>/plugins/x.py``), never
    by the server's folders. This handler never fails: if an error cannot be shown, the
    answer is a plain internal error."""
    try:
        return _answer(request, exc)
    except Exception:  # noqa: BLE001 - the last line of defence must not raise
        log.exception("Could not render an error answer for %s", type(exc).__name__)
        return Response(INTERNAL, status_code=500, media_type=JSON)


def _answer(request: Request, exc: Exception) -> Response:
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


@dataclass(frozen=True)
class WhenDurable:
    """A JSON document to answer once ``durable`` is done: the future of the sync of the
    history entry the answer names (:meth:`History.record_again_pending`)."""

    body: bytes
    durable: concurrent.futures.Future[None]


async def json_from_thread(func: Any, *args: Any, status: int = 200) -> Response:
    """Call ``func(*args)`` in a worker thread and answer its value as JSON (encoded there too;
    a value of ``bytes`` is taken as a JSON document already encoded). A :class:`WhenDurable`
    is answered once its history entry is durable, awaited here: no thread waits for the disk."""
    context = contextvars.copy_context()  # the request's context (who is acting) goes along
    body = await in_thread(context.run, lambda: _encoded(func(*args)))
    if isinstance(body, WhenDurable):
        await until_durable(body.durable)
        body = body.body
    return Response(body, status_code=status, media_type=JSON)


async def until_durable(durable: concurrent.futures.Future[None]) -> None:
    """Await a history entry's sync (resolved by the journal's committer thread); its error if
    the sync failed, HistoryNotDurableError (503) after ``WAIT_SECONDS``."""
    try:
        await asyncio.wait_for(asyncio.wrap_future(durable), WAIT_SECONDS)
    except TimeoutError:
        raise not_durable_in_time() from None


# The server's threads for blocking work (file reads, runs handed to a worker process, history
# entries). asyncio's own executor hand-off: a small call spends about half the CPU that
# anyio's run_sync (Starlette's run_in_threadpool) spends on its limiter and cancel scopes.
THREADS = 40  # as many as Starlette's default thread limit
_executor: concurrent.futures.ThreadPoolExecutor | None = None


def in_thread(func: Any, *args: Any) -> Awaitable[Any]:
    """``func(*args)`` in one of the server's threads, awaited."""
    global _executor
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(THREADS, thread_name_prefix="dataproduct-server")
    return asyncio.get_running_loop().run_in_executor(_executor, func, *args)


def _encoded(value: Any) -> bytes | WhenDurable:
    return value if isinstance(value, (bytes, WhenDurable)) else dumps(value)


def _scrubbed(request: Request, exc: DataProductError) -> DataProductError:
    """The error as a client may see it: no server folders, and bounded in size and depth."""
    registry = getattr(request.app.state, "registry", None)
    folders = []
    for served in registry or []:
        folders += [(str(served.product.store.root), f"<{served.name} store>"), (str(served.product.path), f"<{served.name}>")]
    folders.sort(key=lambda pair: -len(pair[0]))  # the store may sit inside the product folder

    def text(value: str, limit: int) -> str:
        for folder, name in folders:
            value = value.replace(folder, name)
        return value if len(value) <= limit else value[: limit - 3] + "..."

    def scrub(value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return text(value, MAX_TEXT)
        if isinstance(value, (dict, list, tuple)) and depth >= MAX_DEPTH:
            return "..."
        if isinstance(value, dict):
            items = list(value.items())
            return {text(str(k), 100): scrub(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if isinstance(value, (list, tuple)):
            return [scrub(v, depth + 1) for v in value[:MAX_ITEMS]] + (["..."] if len(value) > MAX_ITEMS else [])
        if value is None or isinstance(value, (bool, float)):
            return value
        if isinstance(value, int):  # str() of a 5,000-digit integer raises
            return value if abs(value) < 2**63 else "(a number too large to show)"
        return text(str(value), MAX_TEXT)

    details = exc.details if isinstance(exc.details, dict) else {}
    clean = DataProductError(text(str(exc.message), MAX_MESSAGE), details=scrub(details))
    clean.code, clean.http_status = exc.code, exc.http_status  # type: ignore[misc]
    return clean
