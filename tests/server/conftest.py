"""A real server for the server and remote-client tests.

One uvicorn server per test session, on 127.0.0.1 and a free port, in a thread; it serves
a copy of ``examples/actg175`` and a synthetic 200,000-patient product (for streams long
enough to break off). Tokens of every role are created the way a user does, with the CLI.
The server is always shut down at the end.
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from jupyter_dataproduct.cli import main as cli
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.server import create_app

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "actg175"
SYNTHETIC_ROWS = 200_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread:
    """uvicorn in a thread: ``start()`` waits until it listens, ``stop()`` until it has exited."""

    def __init__(self, app, port: int) -> None:
        self.config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                     timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name="dataproduct-test-server", daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        if self.thread.is_alive():  # a stuck connection: stop waiting for it
            self.server.force_exit = True
            self.thread.join(5)
        workers = getattr(self.config.app.state, "run_workers", None)
        if workers is not None:  # the run worker processes go with their server
            workers.close()


@pytest.fixture(scope="session")
def served_dirs(tmp_path_factory) -> dict[str, Path]:
    """Built product folders: a copy of the ACTG 175 example and a synthetic large product."""
    root = tmp_path_factory.mktemp("served")
    actg = root / "actg175"
    shutil.copytree(EXAMPLE, actg, ignore=shutil.ignore_patterns(".dataproduct"))
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from generate import write_product
    finally:
        sys.path.remove(str(REPO / "bench"))
    synthetic = write_product(root / "synthetic", SYNTHETIC_ROWS)
    for folder in (actg, synthetic):
        Product.open(folder).build()
    return {"actg175": actg, "actg_synthetic": synthetic}


def create_token(path: Path, role: str, *protocols: str) -> str:
    args = ["token", "create", str(path), "--role", role]
    for name in protocols:
        args += ["--protocol", name]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


@pytest.fixture(scope="session")
def tokens(served_dirs) -> dict[str, str]:
    """Tokens of the ACTG product by role; ``survival_only`` is an analyst limited to one protocol."""
    actg = served_dirs["actg175"]
    return {
        "reader": create_token(actg, "reader"),
        "analyst": create_token(actg, "analyst"),
        "admin": create_token(actg, "admin"),
        "survival_only": create_token(actg, "analyst", "survival"),
        "synthetic_reader": create_token(served_dirs["actg_synthetic"], "reader"),
    }


@pytest.fixture(scope="session")
def server(served_dirs, tokens) -> Iterator[ServerThread]:
    app = create_app([served_dirs["actg175"], served_dirs["actg_synthetic"]], chunk_rows=16_384)
    running = ServerThread(app, free_port()).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def base_url(server) -> str:
    return server.url


@pytest.fixture(scope="session")
def product_url(base_url) -> str:
    """The URL a user connects to: ``http://host:port/<product>``."""
    return f"{base_url}/actg175"


@pytest.fixture
def http(base_url) -> Iterator[httpx.Client]:
    """A bare HTTP client (no token) for the API tests."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def headers(tokens) -> dict[str, dict[str, str]]:
    """``headers["analyst"]``: the Authorization header of each token."""
    return {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}


@pytest.fixture
def serve_copy(tmp_path) -> Iterator:
    """``serve_copy(prepare)``: a fresh built copy of the ACTG example, changed by ``prepare(folder)``,
    served by its own server; yields ``(base_url, admin_headers, folder)``. Stopped at the end."""
    running: list[ServerThread] = []

    def start(prepare=None) -> tuple[str, dict[str, str], Path]:
        folder = tmp_path / f"actg175_{len(running)}"
        shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dataproduct"))
        Product.open(folder).build()
        if prepare is not None:
            prepare(folder)
        token = create_token(folder, "admin")
        running.append(ServerThread(create_app([folder]), free_port()).start())
        return running[-1].url, {"Authorization": f"Bearer {token}"}, folder

    try:
        yield start
    finally:
        for server in running:
            server.stop()


@pytest.fixture
def serve_variant(served_dirs, tmp_path) -> Iterator:
    """``serve_variant({"protocols/x.yaml": "..."}, **create_app_options)``: a copy of the built
    ACTG product (its snapshots and tokens too) with extra files, on its own server; stopped
    at the end of the test. Returns ``(base_url, folder)``."""
    running: list[ServerThread] = []

    def start(files: dict[str, str] | None = None, **options) -> tuple[str, Path]:
        folder = tmp_path / f"variant{len(running)}"
        shutil.copytree(served_dirs["actg175"], folder, ignore=shutil.ignore_patterns("arrow-cache", "history"))
        for relative, text in (files or {}).items():
            (folder / relative).write_text(text)
        server = ServerThread(create_app([folder], **options), free_port()).start()
        running.append(server)
        return server.url, folder

    try:
        yield start
    finally:
        for server in running:
            server.stop()
