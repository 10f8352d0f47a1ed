"""Entity frames: rows of an entity matching a cohort, chosen columns, related entities joined.

``GET .../entities/{entity}/frame?where=age >= 40&columns=pidnum,age&limit=100`` or
``POST`` the same as a JSON body (``where`` may then be a condition tree). The answer
streams as Arrow IPC (default), CSV, JSON or NDJSON (``?format=`` or the Accept header);
the header ``X-Dataproduct-Snapshot`` names the snapshot read. ``?compression=lz4,zstd``
(the codecs the client reads, best first; GET and POST) has an Arrow frame's buffers
compressed with the first; ``X-Dataproduct-Compression`` says which (``none`` without the
parameter, so clients that never ask - apache-arrow JS - get plain IPC). A whole entity as Arrow
(no ``where``, ``columns``, ``join`` or ``limit``) is sent from the store's Arrow cache
(:mod:`.arrow_cache`) with a ``Content-Length``; the first such request starts building it.
A whole entity may also be asked for as Parquet (``?format=parquet``, or
``application/vnd.apache.parquet`` in the Accept header, best listed before Arrow): the
snapshot's own file is sent as it is, checked first (:mod:`.parquet_files`). Only whole
entities: a filtered frame encoded as Parquet on the fly costs more than it saves (see
bench/README.md), so ``format=parquet`` with ``where``, ``columns``, ``join`` or ``limit``
is a 400, and in an Accept header Parquet is passed over for the next type listed.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from .auth import Call, endpoint
from .parquet_files import EntityFile
from ..contract.errors import BadRequestError, NotAcceptableError
from .requests import expect_object, field, query_int, query_text, read_json, string_list
from .streams import CHUNK_ROWS, FORMATS, ClosingStreamingResponse, FrameStream, body, file_body, negotiate
from ..contract.wire import ARROW_CODECS, ARROW_STREAM, COMPRESSION_HEADER, COMPRESSION_PARAM, PARQUET, parse_compression


@endpoint("reader")
async def frame(call: Call) -> Response:
    request = call.request
    entity = request.path_params["entity"]
    formats = negotiate(request)
    if request.method == "POST":
        spec = expect_object(await read_json(request, required=False, default={}))
        where: Any = field(spec, "where", (str, dict))
        columns = string_list(spec, "columns")
        join = string_list(spec, "join")
        limit = field(spec, "limit", int)
        if limit is not None and limit < 0:
            raise BadRequestError("'limit' must be 0 or more.", details={"field": "limit"})
        snapshot = field(spec, "snapshot", str, "latest")
    else:
        where = query_text(request, "where")
        columns = _split(query_text(request, "columns"))
        join = _split(query_text(request, "join"))
        limit = query_int(request, "limit")
        snapshot = query_text(request, "snapshot", "latest")
    whole = where is None and not columns and not join and limit is None
    formats = formats if whole else _without_parquet(formats)
    fmt = next((f for f in formats if f in FORMATS), None)  # the streamed format, if Parquet cannot be sent
    codec = _compression(request, fmt or "arrow")
    chunk_rows = getattr(request.app.state, "chunk_rows", CHUNK_ROWS)
    cache = call.served.arrow_cache if fmt == "arrow" and whole else None

    def start() -> tuple[str, Any]:
        pinned = call.product.snapshot(snapshot)
        if formats[0] == "parquet":
            file = call.served.parquet_files.open(pinned, entity)
            if file is not None:
                return pinned.id, file
            if fmt is None:
                raise NotAcceptableError(
                    f"Entity {entity!r} of snapshot {pinned.short_id} has no one Parquet file to send (it is stored "
                    f"in parts, or in object storage); ask for {_either(FORMATS)} instead.",
                    details={"parameter": "format", "allowed": list(FORMATS)})
        assert fmt is not None  # Parquet came first, or there is a streamed format
        lazy = call.product.frame(entity, where, columns, join=join, snapshot=pinned.id, limit=limit)
        if cache is None:
            return pinned.id, FrameStream(lazy, fmt, chunk_rows, compression=codec).open()
        cached = cache.open(pinned, entity, codec)
        if cached is not None:
            return pinned.id, cached
        # This request streams at the uncached speed; a thread writes the file for the next ones.
        cache.build_later(pinned, entity, lambda writer: FrameStream(lazy, fmt, chunk_rows, tee=writer,
                                                                     compression=codec).open().chunks(), codec)
        return pinned.id, FrameStream(lazy, fmt, chunk_rows, compression=codec).open()

    snapshot_id, stream = await run_in_threadpool(start)
    headers = {"X-Dataproduct-Snapshot": snapshot_id, "Cache-Control": "no-store"}
    if isinstance(stream, EntityFile):
        headers["Content-Length"] = str(stream.size)
        return ClosingStreamingResponse(file_body(stream.handle, stream.size), media_type=PARQUET, headers=headers)
    if fmt == "arrow":
        headers[COMPRESSION_HEADER] = codec
    if isinstance(stream, FrameStream):
        return ClosingStreamingResponse(body(stream), media_type=stream.media_type, headers=headers)
    headers["Content-Length"] = str(stream.size)
    return ClosingStreamingResponse(file_body(stream.handle, stream.size), media_type=ARROW_STREAM, headers=headers)


def _without_parquet(formats: list[str]) -> list[str]:
    """The formats for a filtered frame: Parquet only ever sends a whole entity's file."""
    left = [f for f in formats if f != "parquet"]
    if not left:
        raise BadRequestError("format parquet sends a whole entity as its snapshot file; with where, columns, join or "
                              f"limit ask for {_either(FORMATS)} (arrow is the default).",
                              details={"parameter": "format", "allowed": list(FORMATS)})
    return left


def _compression(request: Any, fmt: str) -> str:
    """The codec for the Arrow buffers: the first the client lists (all three are supported)."""
    text = request.query_params.get(COMPRESSION_PARAM)
    try:
        codecs = parse_compression(text)
    except ValueError as exc:
        raise BadRequestError(str(exc), details={"parameter": COMPRESSION_PARAM, "allowed": list(ARROW_CODECS)}) from None
    if fmt != "arrow":  # text formats are never compressed: fine if the client accepts that
        if "none" not in codecs:
            raise BadRequestError(f"compression applies to Arrow frames only, not {fmt}; add none to accept {fmt} as it is.",
                                  details={"parameter": COMPRESSION_PARAM, "format": fmt})
        return "none"
    return codecs[0]


def _either(names: Any) -> str:
    """``a, b, c or d``."""
    names = list(names)
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


routes = [Route("/api/products/{name}/entities/{entity}/frame", frame, methods=["GET", "POST"])]
