"""An answered run is in the history: a server killed (SIGKILL) in the middle of many clients'
calls leaves every answered call's entry, exactly once and readable, and serves again."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.server.tokens import TokenStore
from tests.servers import ANNOUNCED

from .conftest import EXAMPLE


def start_serve(folder):
    server = subprocess.Popen([sys.executable, "-m", "jupyter_dataproduct.cli", "serve", str(folder), "--port", "0",
                               "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    match = ANNOUNCED.match(server.stdout.readline())
    assert match, "dataproduct serve did not announce its address"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{match.group(1)}/api/health", timeout=1).status_code == 200:
                return server, match.group(1)
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "dataproduct serve did not answer"
        time.sleep(0.05)


def test_a_server_killed_mid_load_keeps_every_answered_call_in_history(tmp_path):
    folder = tmp_path / "actg175"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dataproduct"))
    Product.open(folder).build()
    token = TokenStore.for_product(folder).create("analyst")[0]
    server, base = start_serve(folder)
    answered: list[str] = []
    stop = threading.Event()
    url = f"{base}/api/products/actg175/protocols/cd4_response/run"

    def client(i: int) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            n = 0
            while not stop.is_set():
                n += 1
                # mostly the same call (answered from the memo), now and then a new one (a run in a worker)
                threshold = 50 if n % 4 else (i * 97 + n) % 1001
                try:
                    response = http.post(url, json={"threshold": threshold})
                except httpx.TransportError:
                    return  # the server is gone
                assert response.status_code == 200, response.text
                answered.append(response.json()["provenance"]["history_id"])

    try:
        with ThreadPoolExecutor(8) as pool:
            clients = [pool.submit(client, i) for i in range(8)]
            deadline = time.monotonic() + 120
            while len(answered) < 150 and time.monotonic() < deadline:
                time.sleep(0.05)
            server.send_signal(signal.SIGKILL)
            server.wait(30)
            stop.set()
            for done in clients:
                done.result()
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
            server.wait(30)
    assert len(answered) >= 150 and len(set(answered)) == len(answered)
    history = Product.open(folder).history
    listed = [entry.id for entry in history.list()]
    assert len(listed) == len(set(listed))
    assert set(answered) <= set(listed)  # every answered call is recorded (unanswered ones may be too)
    for name in (folder / ".dataproduct" / "history" / "entries").glob("*.json"):
        entry = json.loads(name.read_text())  # intact, not torn
        assert entry["provenance"]["protocol"] == "cd4_response" and entry["stored"]

    server, base = start_serve(folder)  # and it serves again, recording on
    try:
        again = httpx.post(url.replace(url.split("/api")[0], base), json={"threshold": 50},
                           headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert again.status_code == 200
        assert again.json()["provenance"]["history_id"] in {e.id for e in Product.open(folder).history.list()}
    finally:
        server.terminate()
        server.wait(30)
