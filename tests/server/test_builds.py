"""Builds requested over HTTP run in a child process: a build that crashes (the way polars'
SQL parser once segfaulted) is that request's error, and the server goes on serving."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import httpx

from jupyter_dataproduct.core.product import Product
from tests.server.conftest import EXAMPLE, create_token
from tests.servers import dataproduct_serve

P = "/api/products/actg175"


def build_workers(folder: Path) -> list[int]:
    """Processes building ``folder`` for a server (found by their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"jupyter_dataproduct.server.build_worker" in command and str(folder).encode() in command:
                found.append(int(entry.name))
    return found


def test_a_crashing_build_is_an_error_and_the_server_survives(tmp_path):
    folder = tmp_path / "actg175"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dataproduct"))
    Product.open(folder).build()
    admin = {"Authorization": f"Bearer {create_token(folder, 'admin')}"}
    with dataproduct_serve(folder) as base, httpx.Client(base_url=base, headers=admin, timeout=120) as http:
        answer: dict = {}

        def build() -> None:
            answer["response"] = http.post(f"{P}/snapshots", json={"force": True}, headers={"Accept": "application/x-ndjson"})

        requesting = threading.Thread(target=build)
        requesting.start()
        deadline = time.monotonic() + 60
        while not (workers := build_workers(folder)):
            assert time.monotonic() < deadline and requesting.is_alive(), "no build process appeared"
            time.sleep(0.005)
        os.kill(workers[0], signal.SIGSEGV)
        requesting.join(120)
        lines = [json.loads(line) for line in answer["response"].text.splitlines()]
        assert lines[-1]["error"]["code"] == "build_crashed", lines[-1]
        assert "signal 11" in lines[-1]["error"]["message"]
        assert http.get("/api/health").status_code == 200
        assert http.get(f"{P}/protocols").status_code == 200
        again = http.post(f"{P}/snapshots", json={"force": True})
        assert again.status_code == 200 and again.json()["snapshot"]["rows"]["patients"] == 2139
        assert not build_workers(folder)
