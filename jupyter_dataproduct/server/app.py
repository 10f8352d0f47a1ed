"""The application factory and ``serve``: routes come from one module per concern."""

from __future__ import annotations

import os
from typing import Any

import polars as pl
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.errors import DataProductError
from . import artifacts, frames, history, metadata, protocols
from .auth import grants
from .connections import DEFAULT_KEEP_ALIVE, DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT
from ..contract.errors import ServeError
from .openapi import openapi
from .products import Registry
from .requests import MAX_BODY
from .result_memo import DEFAULT_MAX_ENTRIES, ResultMemo
from .runs import RunBudget, RunWorkers
from .responses import json_from_thread, on_error
from .streams import CHUNK_ROWS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8750


async def openapi_json(request: Request) -> Response:
    """The API description as this token may see it (401 without a valid token): its
    products, and run operations for the protocols it may run."""
    found = grants(request)
    names = [served.name for served, _ in found]
    runnable = [(served.product, grant.allows_protocol) for served, grant in found if grant.allows("analyst")]
    return await json_from_thread(openapi, names, runnable)


def create_app(paths: list[str | os.PathLike[str]], *, max_body: int = MAX_BODY, chunk_rows: int = CHUNK_ROWS,
               arrow_cache: bool = True, run_budget: RunBudget | None = RunBudget(),
               result_memo: int = DEFAULT_MAX_ENTRIES, share_plugin_source: bool = False) -> Starlette:
    """A Starlette app serving the products in ``paths`` (folders), each under its manifest name.

    ``arrow_cache``: whole entities requested as Arrow are kept as Arrow IPC stream files in
    each product's store (``arrow-cache/``) and sent from there (see :mod:`.arrow_cache`).
    ``run_budget``: the time and memory one run may use, in worker processes (see
    :mod:`.runs`); ``None`` runs in the server's process, without a budget.
    ``result_memo``: how many results of protocol runs to answer again from memory when the
    same run is asked for again (see :mod:`.result_memo`); 0 runs every call.
    ``share_plugin_source``: readers may read the plugins' files (off: the source endpoint refuses).

    No CORS headers are sent: browsers on other origins cannot call the API.
    """
    registry = Registry(list(paths), arrow_cache=arrow_cache)
    routes = [
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        *metadata.routes, *protocols.routes, *frames.routes, *artifacts.routes, *history.routes,
    ]
    handlers: dict[Any, Any] = {
        DataProductError: on_error, HTTPException: on_error, pl.exceptions.PolarsError: on_error, Exception: on_error,
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.router.redirect_slashes = False  # a redirect would be built from the client's Host header
    app.state.registry = registry
    app.state.max_body = max_body
    app.state.chunk_rows = chunk_rows
    app.state.share_plugin_source = share_plugin_source
    served = [(str(p.product.path), str(p.product.store.root)) for p in registry]
    app.state.run_workers = RunWorkers(run_budget, served) if run_budget is not None else None
    app.state.result_memo = ResultMemo(result_memo) if result_memo > 0 else None
    return app


def listening_socket(host: str, port: int) -> Any:
    """A bound socket for the server. Bound here, before announcing, so the address printed
    is the real one (port 0 asks the system for a free port)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it small answers wait ~40 ms for the
    # client's delayed ACK (Nagle), capping one client at ~25 requests/s.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise ServeError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return listener


def serve(paths: list[str | os.PathLike[str]], host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          log_level: str = "info", announce: Any = None, arrow_cache: bool = True,
          read_timeout: float = DEFAULT_READ_TIMEOUT, max_connections: int = DEFAULT_MAX_CONNECTIONS,
          keep_alive: int = DEFAULT_KEEP_ALIVE, run_budget: RunBudget | None = RunBudget(),
          result_memo: int = DEFAULT_MAX_ENTRIES, share_plugin_source: bool = False) -> None:
    """Run the server until interrupted (uvicorn); ``announce(line)`` tells what is served.

    ``read_timeout``: seconds a client has to send a whole request; ``max_connections``:
    open connections at most (see :mod:`.connections`); ``keep_alive``: seconds an idle
    connection stays open."""
    import uvicorn

    from .connections import guarded_protocol

    app = create_app(paths, arrow_cache=arrow_cache, run_budget=run_budget, result_memo=result_memo,
                     share_plugin_source=share_plugin_source)
    listener = listening_socket(host, port)
    port = listener.getsockname()[1]
    for served in app.state.registry:
        hint = "" if served.tokens.list() else (
            f"  (no tokens yet: dataproduct token create {served.transport.location} --role reader)")
        if announce:
            announce(f"Serving {served.name} at http://{host}:{port}/api/products/{served.name}{hint}")
    config = uvicorn.Config(app, log_level=log_level, server_header=False, proxy_headers=False,
                            timeout_graceful_shutdown=5, timeout_keep_alive=keep_alive,
                            http=guarded_protocol(read_timeout, max_connections))
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        if app.state.run_workers is not None:
            app.state.run_workers.close()
