"""Analysis history: every run, newest first; the result of an entry (stored, or re-run)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from .auth import Call, endpoint
from .requests import query_int, tables_format
from .responses import json_from_thread
from .wire import encode_result


PAGE = 100  # entries per page when the request gives no ?limit=


@endpoint("reader")
async def list_history(call: Call) -> Response:
    """Newest first, one page at a time (``?limit=`` entries from ``?offset=``)."""
    limit = query_int(call.request, "limit", minimum=1, maximum=100_000) or PAGE
    offset = query_int(call.request, "offset", minimum=0) or 0
    return await json_from_thread(call.transport.history, limit, offset)


@endpoint("analyst")
async def history_result(call: Call) -> Response:
    entry_id = call.request.path_params["entry"]
    tables = tables_format(call.request)

    def work() -> dict[str, Any]:
        entry = call.product.history.get(entry_id)
        call.require_protocol(entry.provenance["protocol"])
        return encode_result(call.product.history_result(entry), tables)

    return await json_from_thread(work)


routes = [
    Route("/api/products/{name}/history", list_history, methods=["GET"]),
    Route("/api/products/{name}/history/{entry}/result", history_result, methods=["GET"]),
]
