"""Frames streamed batch by batch: Arrow IPC stream (default), CSV, JSON or NDJSON.

The query runs in polars' streaming engine (``collect_batches``); each batch is encoded
and sent before the next is computed, so the body is never built in memory. The query is
planned and its first batch computed *before* the response starts, so a bad filter or
column still gets a proper JSON error with its status code. If the client goes away, the
stream stops after the batch in flight.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Iterator

import polars as pl
import pyarrow as pa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from ..contract.errors import BadRequestError, NotAcceptableError
from ..contract.wire import ARROW_STREAM, CSV, JSON, NDJSON, PARQUET

FORMATS = {"arrow": ARROW_STREAM, "csv": CSV, "json": JSON, "ndjson": NDJSON}  # streamed batch by batch
FILE_FORMATS = {"parquet": PARQUET}  # a whole entity's snapshot file, sent as it is (:mod:`.parquet_files`)
ALLOWED = {**FORMATS, **FILE_FORMATS}
CHUNK_ROWS = 131_072
WRITE_BYTES = 1 << 20  # the most handed to the socket at once
SMALL_PIECE = 1 << 16  # smaller pieces of an Arrow batch are joined, bigger ones sent as they are
_ACCEPT = {ARROW_STREAM: "arrow", "application/vnd.apache.arrow.file": "arrow", CSV: "csv", JSON: "json", NDJSON: "ndjson",
           "application/jsonl": "ndjson", PARQUET: "parquet", "*/*": "arrow", "application/*": "arrow",
           "text/*": "csv"}


def negotiate(request: Request) -> list[str]:
    """The formats the client takes, best first: ``?format=`` alone; else the acceptable
    types of the Accept header by quality; else Arrow. (Parquet, a whole entity's file, is
    never chosen for a wildcard: a client gets it only by naming it.)"""
    chosen = request.query_params.get("format")
    if chosen:
        if chosen not in ALLOWED:
            raise BadRequestError(f"format must be one of {', '.join(ALLOWED)}, not {chosen[:50]!r}.",
                                  details={"parameter": "format", "allowed": list(ALLOWED)})
        return [chosen]
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return ["arrow"]
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.lower() in _ACCEPT and quality > 0:
            ranked.append((-quality, position, _ACCEPT[media.lower()]))
    if not ranked:
        raise NotAcceptableError(f"Frames are sent as {', '.join(ALLOWED.values())}; the Accept header allows none of them.")
    return list(dict.fromkeys(fmt for _, _, fmt in sorted(ranked)))


class _Sink:
    """A write-only file for pyarrow's IPC writer; each batch's pieces are taken out after it.

    pyarrow hands over the column buffers themselves (``pa.Buffer``): they are sent as they
    are, never copied here; only the small pieces between them are joined.
    """

    closed = False

    def __init__(self) -> None:
        self._parts: list[tuple[Any, int]] = []
        self._position = 0

    def write(self, data: Any) -> int:
        size = len(data) if isinstance(data, (bytes, pa.Buffer)) else memoryview(data).nbytes
        self._parts.append((data, size))
        self._position += size
        return size

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> list[Any]:
        """The pieces written since the last call: big column buffers as they are, the small
        pieces between them (message headers, tiny columns) joined."""
        pieces: list[Any] = []
        small: list[Any] = []
        for part, size in self._parts:
            if size < SMALL_PIECE:
                small.append(part)
                continue
            if small:
                pieces.append(b"".join(small))
                small = []
            pieces.append(part)
        if small:
            pieces.append(b"".join(small))
        self._parts = []
        return pieces


class FrameStream:
    """One frame on its way out: ``open()`` (blocking) then iterate the encoded chunks."""

    def __init__(self, lazy: pl.LazyFrame, fmt: str, chunk_rows: int = CHUNK_ROWS, tee: Any = None,
                 compression: str = "none") -> None:
        self.lazy = lazy
        self.compression = compression  # Arrow only: the IPC buffer codec (lz4, zstd) or none
        self.tee = tee  # a CacheWriter: gets every chunk; committed only when the stream ran to its end
        self.format = fmt
        self.media_type = FORMATS[fmt]
        self.chunk_rows = chunk_rows
        self.cancelled = False
        self.complete = False  # set before the last chunk of an Arrow stream (its end marker)
        self._batches: Iterator[pl.DataFrame] | None = None
        self._first: pl.DataFrame | None = None
        self._schema: pl.Schema | None = None

    def open(self) -> "FrameStream":
        """Plan the query and compute the first batch (errors surface here, before any byte is sent)."""
        self._schema = self.lazy.collect_schema()
        self._batches = iter(self.lazy.collect_batches(chunk_size=self.chunk_rows))
        self._first = next(self._batches, None)
        return self

    def batches(self) -> Iterator[pl.DataFrame]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        for batch in self._batches or ():
            if self.cancelled:
                return
            yield batch

    def chunks(self) -> Iterator[Any]:
        """Encoded chunks: ``bytes``, or for Arrow a list of buffers per record batch."""
        tee = self.tee
        try:
            for chunk in getattr(self, f"_{self.format}")():
                if tee is not None:
                    tee.write(chunk)
                    if self.complete and not self.cancelled:  # a cancelled stream ends early but looks complete
                        tee.commit()  # before the last chunk is handed on
                yield chunk
        finally:
            self._batches = None  # dropping the iterator stops the query
            if tee is not None:
                tee.close()

    def _arrow(self) -> Iterator[list[Any]]:
        sink = _Sink()
        writer: pa.ipc.RecordBatchStreamWriter | None = None
        schema: pa.Schema | None = None
        options = pa.ipc.IpcWriteOptions(compression=None if self.compression == "none" else self.compression)
        for batch in self.batches():
            table = batch.to_arrow()
            if writer is None:
                schema = table.schema
                writer = pa.ipc.new_stream(sink, schema, options=options)
            elif not table.schema.equals(schema):
                table = table.cast(schema)
            writer.write_table(table)
            yield sink.take()
        if writer is None:  # no rows: the schema alone
            writer = pa.ipc.new_stream(sink, pl.DataFrame(schema=self._schema).to_arrow().schema, options=options)
        writer.close()
        self.complete = True
        yield sink.take()

    def _csv(self) -> Iterator[bytes]:
        header = True
        for batch in self.batches():
            yield batch.write_csv(include_header=header).encode()
            header = False
        if header:
            yield pl.DataFrame(schema=self._schema).write_csv(include_header=True).encode()

    def _json(self) -> Iterator[bytes]:
        yield b"["
        separator = b""
        for batch in self.batches():
            if batch.height:
                yield separator + batch.write_json().encode()[1:-1]
                separator = b","
        yield b"]"

    def _ndjson(self) -> Iterator[bytes]:
        for batch in self.batches():
            if batch.height:
                yield batch.write_ndjson().encode()


class ClosingStreamingResponse(StreamingResponse):
    """A ``StreamingResponse`` that closes its body iterator however the response ends.

    When the client goes away, Starlette cancels the send in progress and leaves the body
    generator suspended at its ``yield``; its ``finally`` (stopping the query, closing a file,
    discarding a cache file half written) would wait for the garbage collector. Here it runs
    at once."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                await close()


async def body(stream: FrameStream) -> AsyncIterator[Any]:
    """The chunks, each computed in a worker thread while the one before is being sent.

    Chunks go out as memoryviews of at most ``WRITE_BYTES`` (no copy here; a slice the
    socket takes whole is never copied into the event loop's write buffer). Stops early
    if the client goes away.
    """
    chunks = stream.chunks()

    def produce() -> Any:
        return next(chunks, None)

    pending: asyncio.Future[Any] | None = asyncio.ensure_future(run_in_threadpool(produce))
    try:
        while True:
            assert pending is not None
            chunk = await pending
            if chunk is None:
                pending = None
                return
            pending = asyncio.ensure_future(run_in_threadpool(produce))  # the next chunk, while this one is sent
            for piece in chunk if isinstance(chunk, list) else (chunk,):
                view = memoryview(piece)
                if view.nbytes <= WRITE_BYTES:
                    if view.nbytes:
                        yield view
                    continue
                for start in range(0, view.nbytes, WRITE_BYTES):
                    yield view[start:start + WRITE_BYTES]
    finally:
        stream.cancelled = True
        if pending is None or pending.done():
            _finish(chunks, pending)
        else:  # still running in its worker thread; it stops at the next batch
            pending.add_done_callback(lambda future: _finish(chunks, future))


async def file_body(handle: Any, size: int, piece: int = WRITE_BYTES) -> AsyncIterator[bytes]:
    """``size`` bytes of an open file as ``bytes`` of ``piece`` bytes, each read in a worker
    thread while the one before is sent; the file is closed at the end or when the client
    goes away. ``bytes`` (not views) pass through the HTTP layer without another copy."""
    remaining = size

    def produce() -> bytes:
        return handle.read(min(piece, remaining))

    pending: asyncio.Future[bytes] | None = None
    try:
        while remaining > 0:
            if pending is None:
                pending = asyncio.ensure_future(run_in_threadpool(produce))
            data = await pending
            if not data:
                raise OSError(f"{getattr(handle, 'name', 'the cache file')} ended {remaining} bytes early")
            remaining -= len(data)
            pending = asyncio.ensure_future(run_in_threadpool(produce)) if remaining > 0 else None
            yield data
    finally:
        if pending is None or pending.done():
            handle.close()
        else:
            pending.add_done_callback(lambda future: (future.cancelled() or future.exception(), handle.close()))


def _finish(chunks: Iterator[Any], future: asyncio.Future[Any] | None) -> None:
    if future is not None and not future.cancelled():
        future.exception()  # retrieved: a failure after the client left is nobody's to see
    try:
        chunks.close()
    except ValueError:  # pragma: no cover - still running
        pass
