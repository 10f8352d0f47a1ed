"""Analysis history: every run, newest first; the result of an entry (stored, or re-run).

A protocol-limited token sees only the entries of its protocols (:mod:`.access`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from .access import may_see
from .auth import Call, endpoint
from .requests import query_int, tables_format
from .responses import json_from_thread
from .runs import run_in_budget
from ..contract.wire import encode_result


PAGE = 100  # entries per page when the request gives no ?limit=


@endpoint("reader")
async def list_history(call: Call) -> Response:
    """Newest first, one page at a time (``?limit=`` entries from ``?offset=``); a protocol-limited
    token's pages hold only the entries of its protocols."""
    limit = query_int(call.request, "limit", minimum=1, maximum=100_000) or PAGE
    offset = query_int(call.request, "offset", minimum=0) or 0
    if call.grant.protocols is None:
        return await json_from_thread(call.transport.history, limit, offset)

    def visible() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        skipped = start = 0
        while len(found) < limit:
            page = call.transport.history(PAGE * 5, start)
            if not page:
                break
            start += len(page)
            for entry in page:
                if not may_see(call.grant, entry["provenance"]):
                    continue
                if skipped < offset:
                    skipped += 1
                elif len(found) < limit:
                    found.append(entry)
        return found

    return await json_from_thread(visible)


@endpoint("analyst")
async def history_result(call: Call) -> Response:
    entry_id = call.request.path_params["entry"]
    tables = tables_format(call.request)

    def work() -> dict[str, Any]:
        entry = call.product.history.get(entry_id)
        call.require_protocol(entry.provenance["protocol"])
        return encode_result(run_in_budget(call, "history_result", entry), tables)

    return await json_from_thread(work)


routes = [
    Route("/api/products/{name}/history", list_history, methods=["GET"]),
    Route("/api/products/{name}/history/{entry}/result", history_result, methods=["GET"]),
]
