"""A product behind a ``dataproduct serve`` server, over HTTP (httpx).

``connect("http://127.0.0.1:8750/actg175", token=...)`` gives the same
:class:`~.product.DataProduct` as a folder does: every :class:`~.transport.Transport`
operation is one request, payloads follow :mod:`jupyter_dataproduct.contract.wire`, frames
arrive as an Arrow IPC stream read batch by batch, and errors come back as the very
:class:`~jupyter_dataproduct.core.errors.DataProductError` subclasses the server raised.

The token comes from the ``token`` argument or ``$DATAPRODUCT_TOKEN``. ``compression``
(default ``"lz4"``) lists the Arrow IPC buffer codecs frames may come in, best first
(``"zstd"`` for slow networks: 4-5x fewer bytes, slower to decode; ``"none"``: plain);
pyarrow decompresses them, and a server that does not compress sends plain IPC. A whole
entity (no ``where``, ``columns`` or ``limit``) is asked for as the snapshot's Parquet file
first (several times fewer bytes, decoded by polars on every core), Arrow second (what a
server that cannot send the file answers); ``parquet=False`` asks Arrow for every frame.
"""

from __future__ import annotations

import contextlib
import json
import os
from contextvars import ContextVar
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlsplit

import polars as pl

from ..core.cohort import Cohort
from ..core.errors import DataProductError, MissingDependencyError, ParameterError
from ..core.progress import ProgressEvent
from ..core.result import Result
from ..contract import wire
from ..contract.transport import Transport

TOKEN_ENV = "DATAPRODUCT_TOKEN"
DEFAULT_COMPRESSION = "lz4"  # loopback and LAN: LZ4 decodes fastest; see bench/README.md
API = "/api/products"
HISTORY_PAGE = 500  # entries per request when the whole history is asked for

# Who hears the bytes of results and artifacts arriving (set by `answers_progress`).
_answers_progress: ContextVar[Callable[[ProgressEvent], None] | None] = ContextVar("answers_progress", default=None)


@contextlib.contextmanager
def answers_progress(progress: Callable[[ProgressEvent], None] | None) -> Iterator[None]:
    """Within the block, results and artifacts received from a server report their bytes to
    ``progress`` (a result's tables can be as large as a frame); other calls are unchanged."""
    token = _answers_progress.set(progress)
    try:
        yield
    finally:
        _answers_progress.reset(token)


class RemoteConnectionError(DataProductError):
    """The server could not be reached, or answered something that is not this API."""

    code = "connection_error"
    http_status = 502


class RemoteTransport(Transport):
    """``url`` is ``http(s)://host:port[/prefix]/<product>`` (or without the product when the
    server serves exactly one)."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float | None = 300.0,
                 verify: bool | str = True, headers: dict[str, str] | None = None, transport: Any = None,
                 compression: str = DEFAULT_COMPRESSION, parquet: bool = True) -> None:
        try:
            import httpx
        except ImportError:
            raise MissingDependencyError(
                'Remote products need httpx: pip install "jupyter-dataproduct[remote]".'
            ) from None
        self._httpx = httpx
        try:
            self._compression = ",".join(wire.parse_compression(compression))
        except (ValueError, AttributeError):
            raise ParameterError(f"compression lists codecs among {', '.join(wire.ARROW_CODECS)}, best first "
                                 f"(e.g. 'zstd,lz4'), not {str(compression)[:50]!r}.",
                                 details={"parameter": "compression", "allowed": list(wire.ARROW_CODECS)}) from None
        if not isinstance(parquet, bool):
            raise ParameterError(f"parquet is True (whole entities as the snapshot's Parquet file) or False (as Arrow), "
                                 f"not {str(parquet)[:50]!r}.", details={"parameter": "parquet", "allowed": [True, False]})
        self._parquet = parquet
        root, name = _split_url(url)
        token = token or os.environ.get(TOKEN_ENV)
        all_headers = {"User-Agent": "jupyter-dataproduct", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(base_url=root, headers=all_headers, timeout=timeout, verify=verify,
                                    transport=transport, follow_redirects=False)
        if name is None:
            products = [p["name"] for p in self._request("GET", API).json()["products"]]
            if len(products) != 1:
                raise ParameterError(
                    f"{url} serves {len(products)} products ({', '.join(products) or 'none for this token'}); "
                    "add one to the URL, e.g. " + f"{root}/{products[0] if products else 'NAME'}.",
                    details={"products": products},
                )
            name = products[0]
        self.name = name
        self.location = f"{root}/{name}"
        self._base = f"{API}/{quote(name, safe='')}"

    # -- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "RemoteTransport":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except self._httpx.TransportError as exc:
            raise RemoteConnectionError(f"Cannot reach {self._client.base_url}: {exc}") from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    def _json(self, method: str, path: str = "", **kwargs: Any) -> Any:
        return self._decoded(self._request(method, self._base + path, **kwargs).content)

    def _decoded(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except ValueError:
            raise RemoteConnectionError(f"{self.location} answered something that is not JSON.") from None

    def _result(self, method: str, path: str, **kwargs: Any) -> Result:
        return wire.decode_result(self._answer(method, path, **kwargs))

    def _answer(self, method: str, path: str, **kwargs: Any) -> Any:
        """A JSON answer that may be large (a result, an artifact): read as a stream while
        someone listens for its progress (:func:`answers_progress`), else at once."""
        progress = _answers_progress.get()
        if progress is None:
            return self._json(method, path, **kwargs)
        with self._stream(method, path, **kwargs) as response:
            counter = _ByteCounter.reading(response, progress)
            try:
                body = b"".join(counter)
            except self._httpx.HTTPError as exc:
                raise RemoteConnectionError(f"The answer from {self.location} broke off: {exc}") from None
            counter.finish()
        return self._decoded(body)

    # -- metadata and snapshots ------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        data = self._json("GET")
        data["location"] = self.location
        return data

    def role(self) -> str:
        """The token's role for this product (``reader``, ``analyst`` or ``admin``), as the server lists it."""
        for item in self._request("GET", API).json().get("products", []):
            if item.get("name") == self.name and isinstance(item.get("role"), str):
                return item["role"]
        return "reader"  # listed without a role (an older server): assume the least

    def snapshots(self) -> list[dict[str, Any]]:
        return self._json("GET", "/snapshots")

    def snapshot(self, ref: str) -> dict[str, Any]:
        return self._json("GET", f"/snapshots/{_seg(ref)}")

    def build(self, progress: Callable[[ProgressEvent], None] | None = None, force: bool = False) -> dict[str, Any]:
        if progress is None:
            return self._json("POST", "/snapshots", json={"force": force})
        with self._stream("POST", "/snapshots", json={"force": force}, headers={"Accept": wire.NDJSON}) as response:
            for line in response.iter_lines():
                if not line.strip():
                    continue
                event = json.loads(line)
                if "progress" in event:
                    progress(ProgressEvent(**event["progress"]))
                elif "error" in event:
                    raise _error_from(event["error"], 500)
                elif "result" in event:
                    return event["result"]
        raise RemoteConnectionError("The build's progress stream ended without a result.")

    def verify(self, ref: str) -> dict[str, Any]:
        return self._json("GET", f"/snapshots/{_seg(ref)}/verify")

    def diff(self, a: str, b: str) -> dict[str, Any]:
        return self._json("GET", "/diff", params={"a": a, "b": b})

    def tag(self, name: str, ref: str) -> dict[str, Any]:
        return self._json("PUT", f"/tags/{_seg(name)}", json={"snapshot": ref})

    # -- protocols and runs ----------------------------------------------------------------------

    def protocols(self) -> list[dict[str, Any]]:
        return self._json("GET", "/protocols")

    def protocol(self, ref: str) -> dict[str, Any]:
        return self._json("GET", f"/protocols/{_seg(ref)}")

    def run(self, ref: str, parameters: dict[str, Any], snapshot: str) -> Result:
        return self._result("POST", f"/protocols/{_seg(ref)}/run", json=parameters, params={"snapshot": snapshot})

    def run_plugin(self, name: str, arguments: dict[str, Any], snapshot: str) -> Result:
        return self._result("POST", f"/plugins/{_seg(name)}/run", json=arguments, params={"snapshot": snapshot})

    def rerun(self, provenance: dict[str, Any]) -> Result:
        return self._result("POST", "/rerun", json=provenance)

    # -- frames ------------------------------------------------------------------------------------

    def frame(self, entity: str, where: Any, columns: list[str] | None, snapshot: str, limit: int | None,
              progress: Callable[[ProgressEvent], None] | None = None) -> pl.DataFrame:
        """The frame, streamed; ``progress`` hears bytes received (of ``Content-Length`` when known).

        A whole entity comes as the snapshot's Parquet file when the server can send it (it
        lists Arrow as the second choice), any other frame as an Arrow IPC stream."""
        import pyarrow as pa

        body = {"where": where, "columns": columns, "snapshot": snapshot, "limit": limit}
        whole = where is None and not columns and limit is None
        accept = f"{wire.PARQUET}, {wire.ARROW_STREAM};q=0.5" if whole and self._parquet else wire.ARROW_STREAM
        with self._stream("POST", f"/entities/{_seg(entity)}/frame", json=body, headers={"Accept": accept},
                          params={wire.COMPRESSION_PARAM: self._compression}) as response:
            # The body as it arrives (no decoding layer unless the server compressed it), copied
            # once, message by message, into the Arrow buffers the frame keeps.
            counter = _ByteCounter.reading(response, progress)
            parquet = response.headers.get("content-type", "").split(";")[0].strip() == wire.PARQUET
            try:
                if parquet:
                    return self._parquet_frame(counter)
                table = pa.ipc.open_stream(_ResponseFile(iter(counter))).read_all()
                counter.finish()
            except (pa.ArrowInvalid, OSError, self._httpx.HTTPError) as exc:  # OSError: the stream ended early
                raise RemoteConnectionError(f"The frame stream from {self.location} broke off: {exc}") from None
        # One chunk per record batch, as a local frame has one per row group; no copy here.
        return pl.from_arrow(table, rechunk=False)  # type: ignore[return-value]

    def _parquet_frame(self, counter: "_ByteCounter") -> pl.DataFrame:
        """The entity's Parquet file, received whole (its footer comes last), then decoded on every core."""
        data = b"".join(counter)
        counter.finish()
        if counter.total and len(data) != counter.total:
            raise OSError(f"{len(data):,} of {counter.total:,} bytes arrived")
        try:
            return pl.read_parquet(data)
        except pl.exceptions.PolarsError as exc:
            raise RemoteConnectionError(f"The Parquet file from {self.location} cannot be read: {exc}") from None

    def _stream(self, method: str, path: str, **kwargs: Any) -> Any:
        return _Streaming(self, method, self._base + path, kwargs)

    # -- plugins, artifacts, history ---------------------------------------------------------------

    def plugins(self) -> list[dict[str, Any]]:
        return self._json("GET", "/plugins")

    def plugin(self, name: str) -> dict[str, Any]:
        return self._json("GET", f"/plugins/{_seg(name)}")

    def plugin_source(self, name: str) -> dict[str, Any]:
        """The plugin's file, where the server shares sources (``dataproduct serve --share-plugin-source``)."""
        return self._json("GET", f"/plugins/{_seg(name)}/source")

    def artifacts(self) -> list[dict[str, Any]]:
        return self._json("GET", "/artifacts")

    def save_result(self, name: str, result: Result, overwrite: bool) -> dict[str, Any]:
        """The server saves the result it computed (by history entry, else by re-running the provenance)."""
        provenance = {k: v for k, v in result.provenance.items() if k != "history_id"}
        body = {"kind": "result", "history_id": result.provenance.get("history_id"), "provenance": provenance,
                "overwrite": overwrite}
        return self._json("PUT", f"/artifacts/{_seg(name)}", json=body)

    def save_cohort(self, name: str, entity: str, cohort: Any, snapshot: str, overwrite: bool) -> dict[str, Any]:
        body = {"kind": "cohort", "entity": entity, "cohort": cohort, "snapshot": snapshot, "overwrite": overwrite}
        return self._json("PUT", f"/artifacts/{_seg(name)}", json=body)

    def load_artifact(self, name: str) -> tuple[dict[str, Any], Any]:
        payload = self._answer("GET", f"/artifacts/{_seg(name)}")
        value = payload["value"]
        if payload["kind"] == "cohort":
            loaded: Any = Cohort(entity=value["entity"], tree=value["tree"], text=value.get("text"), artifact=name)
        elif payload["kind"] == "result":
            loaded = wire.decode_result(value)
        else:
            loaded = wire.decode_table(value)
        return payload["artifact"], loaded

    def delete_artifact(self, name: str) -> None:
        self._json("DELETE", f"/artifacts/{_seg(name)}")

    def history(self, limit: int | None, offset: int = 0) -> list[dict[str, Any]]:
        """A page of the history; ``limit=None``: every entry, fetched a page at a time."""
        if limit is not None:
            return self._json("GET", "/history", params={"limit": limit, "offset": offset})
        entries: list[dict[str, Any]] = []
        while True:
            page = self._json("GET", "/history", params={"limit": HISTORY_PAGE, "offset": offset + len(entries)})
            entries += page
            if len(page) < HISTORY_PAGE:
                return entries

    def history_result(self, entry_id: str) -> Result:
        return self._result("GET", f"/history/{_seg(entry_id)}/result")

    def __repr__(self) -> str:
        return f"<RemoteTransport {self.location}>"


class _Streaming:
    """``with transport._stream(...) as response``: errors raised as our errors, the body unread."""

    def __init__(self, transport: RemoteTransport, method: str, url: str, kwargs: dict[str, Any]) -> None:
        self._context = transport._client.stream(method, url, **kwargs)
        self._httpx = transport._httpx
        self._base_url = transport._client.base_url

    def __enter__(self) -> Any:
        try:
            response = self._context.__enter__()
        except self._httpx.TransportError as exc:
            raise RemoteConnectionError(f"Cannot reach {self._base_url}: {exc}") from None
        if response.status_code >= 400:
            response.read()
            self._context.__exit__(None, None, None)
            raise _error(response)
        return response

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)


class _ResponseFile:
    """A read-only file over the chunks of a streamed response, for pyarrow's stream reader.

    pyarrow asks for whole messages (a record batch's body at once): a read the chunk at
    hand covers is a view of it; a bigger one is gathered, with one copy, into a buffer
    from pyarrow's memory pool that becomes the columns' memory (``read_all`` keeps it).
    """

    closed = False

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

    def read(self, size: int = -1) -> Any:
        import pyarrow as pa

        if size is None or size < 0:
            return b"".join([self._pending, *self._chunks])
        if size <= self._pending.nbytes:
            out, self._pending = self._pending[:size], self._pending[size:]
            return out
        buffer = pa.allocate_buffer(size)
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < size:
            if not self._pending:
                chunk = next(self._chunks, None)
                if chunk is None:
                    return buffer.slice(0, filled)
                self._pending = memoryview(chunk)
                continue
            step = min(size - filled, self._pending.nbytes)
            view[filled:filled + step] = self._pending[:step]
            self._pending = self._pending[step:]
            filled += step
        return buffer


# -- errors ---------------------------------------------------------------------------------------


class _ByteCounter:
    """Chunks passed through while ``progress`` hears the bytes received (every 4 MB, and at
    the end: Arrow stops reading at the end-of-stream marker, before the iterator ends)."""

    def __init__(self, chunks: Iterator[bytes], total: int, progress: Callable[[ProgressEvent], None] | None) -> None:
        self.chunks, self.total, self.progress = chunks, total, progress
        self.done = 0

    @classmethod
    def reading(cls, response: Any, progress: Callable[[ProgressEvent], None] | None) -> "_ByteCounter":
        """A streamed response's body as it arrives, of its ``Content-Length`` (0: not given):
        raw (no decoding layer, no copy) unless the server compressed it."""
        chunks = response.iter_bytes() if response.headers.get("content-encoding") else response.iter_raw()
        return cls(chunks, int(response.headers.get("content-length") or 0), progress)

    def __iter__(self) -> Iterator[bytes]:
        reported = 0
        for chunk in self.chunks:
            self.done += len(chunk)
            if self.progress is not None and self.done - reported >= PROGRESS_BYTES:
                self.progress(ProgressEvent(self.done, self.total, f"{self.done / 1e6:,.0f} MB"))
                reported = self.done
            yield chunk

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(ProgressEvent(self.done, self.total or self.done, f"{self.done / 1e6:,.0f} MB"))


PROGRESS_BYTES = 4 << 20


def _error(response: Any) -> DataProductError:
    try:
        error = response.json()["error"]
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return RemoteConnectionError(
            f"{response.request.url} answered HTTP {response.status_code} without an error document; "
            "is this a dataproduct server?", details={"status": response.status_code})
    return _error_from(error, response.status_code)


def _error_from(error: dict[str, Any], status: int) -> DataProductError:
    code, message, details = error.get("code", "error"), error.get("message", ""), error.get("details") or {}
    cls = _error_classes().get(code)
    if cls is not None:
        try:
            return cls(message, details=details)
        except TypeError:
            pass
    exc = DataProductError(message, details=details)
    exc.code, exc.http_status = code, status  # type: ignore[misc]
    return exc


def _error_classes() -> dict[str, type[DataProductError]]:
    from ..core import history  # noqa: F401 - registers HistoryEntryNotFoundError
    from ..contract import errors  # noqa: F401 - the HTTP layer's errors

    found: dict[str, type[DataProductError]] = {}
    pending = [DataProductError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def _split_url(url: str) -> tuple[str, str | None]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParameterError(f"{url!r} is not an http(s) URL of a dataproduct server.")
    path = parts.path.rstrip("/")
    if API + "/" in path:
        prefix, _, rest = path.partition(API + "/")
        name: str | None = rest.split("/")[0] or None
    else:
        prefix, _, last = path.rpartition("/")
        name = last or None
    return f"{parts.scheme}://{parts.netloc}{prefix}", name


def _seg(value: str) -> str:
    """One URL path segment: nothing in it can climb out of its place (``..`` included)."""
    text = quote(str(value), safe="@")
    return text.replace(".", "%2E") if set(text) <= {"."} else text
