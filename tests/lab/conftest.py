"""A real Jupyter Server with the Data Products extension (pytest-jupyter's ``jp_fetch``).

pytest-jupyter's fixtures and hooks are imported in this folder only: registered for the
whole suite they clash with Playwright's sync API in the browser tests.

- ``root``: the Jupyter root, holding built copies of the tiny product and of ACTG 175
  (``products/tiny``, ``products/actg175``: found by the search).
- ``connections_file``: ``$DATAPRODUCT_CONNECTIONS`` for this test (the file the panel writes).
- ``api``: ``await api("products")`` -> (status, JSON) for any verb, errors included.
- ``served_actg``: a real ``dataproduct serve`` of ACTG 175 and an analyst token for it.
- ``slow_server``: a product server that holds every request until released.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from jupyter_dataproduct.cli import main as cli
from jupyter_dataproduct.core.product import Product
from tests.servers import dataproduct_serve

# Imported, not listed in ``pytest_plugins`` (pytest allows that only in the top conftest):
# the fixtures and the async-test hooks then apply to this folder only.
from pytest_jupyter.jupyter_server import *  # noqa: E402,F401,F403

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "actg175"


@pytest.fixture
def lab_settings() -> dict[str, Any]:
    """``c.DataProductLab`` for this test (override it in a test module to configure products)."""
    # A loaded CI machine can take longer than the 5 s default to read a local product's details
    # (the list would show it as not answering); tests of the timeout set their own.
    return {"health_timeout": 60.0}


@pytest.fixture
def jp_server_config(lab_settings, connections_file):
    return {"ServerApp": {"jpserver_extensions": {"jupyter_dataproduct": True}}, "DataProductLab": lab_settings}


@pytest.fixture
def connections_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "config" / "connections.json"
    monkeypatch.setenv("DATAPRODUCT_CONNECTIONS", str(path))
    # the extension tells kernels its configured products in this variable: undone after the test
    monkeypatch.setenv("DATAPRODUCT_LAB_PRODUCTS", "[]")
    return path


@pytest.fixture(scope="session")
def built_actg(tmp_path_factory) -> Path:
    """ACTG 175 built once; tests copy it (snapshot included)."""
    target = tmp_path_factory.mktemp("built") / "actg175"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dataproduct"))
    Product.open(target).build()
    return target


@pytest.fixture
def root(jp_root_dir: Path, tiny_dir: Path, built_actg: Path, connections_file) -> Path:
    """The Jupyter root with ``products/tiny`` and ``products/actg175`` (both built) in it."""
    target = jp_root_dir / "products" / "tiny"
    shutil.copytree(tiny_dir, target)
    Product.open(target).build()
    shutil.copytree(built_actg, jp_root_dir / "products" / "actg175", symlinks=True)
    return jp_root_dir


@pytest.fixture
def api(jp_fetch, root):
    async def call(*parts: str, method: str = "GET", body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method in ("POST", "PUT"):
            kwargs["body"] = "{}"
        # pytest-jupyter's default is 20 s: a run or a build on a loaded CI machine can take longer.
        kwargs.setdefault("request_timeout", 120)
        response = await jp_fetch("dataproduct", *parts, method=method, raise_error=False, **kwargs)
        text = response.body.decode()
        return response.code, (json.loads(text) if text else None)

    return call


@pytest.fixture(scope="session")
def served_actg(built_actg: Path, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """``dataproduct serve`` of a built ACTG 175 copy: (the product's URL, an analyst token)."""
    folder = tmp_path_factory.mktemp("served") / "actg175"
    shutil.copytree(built_actg, folder, symlinks=True)
    result = CliRunner().invoke(cli, ["token", "create", str(folder), "--role", "analyst"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    with dataproduct_serve(folder) as base:
        yield f"{base}/actg175", token


class SlowServer:
    """An HTTP server that holds every request until ``release()``: a product that hangs."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.waiting = threading.Semaphore(0)
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                outer.waiting.release()
                outer.released.wait(30)
                body = json.dumps({"error": {"code": "not_found", "message": "gone", "details": {}}}).encode()
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slow"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def slow_server() -> Iterator[SlowServer]:
    server = SlowServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.release()
        server.server.shutdown()
        server.server.server_close()
