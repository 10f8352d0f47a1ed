"""``dataproduct serve`` as a user runs it: in its own process, announcing where it listens."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import httpx


def test_port_0_announces_the_port_it_got_and_serves_there(served_dirs):
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_dataproduct.cli", "serve", str(served_dirs["actg175"]), "--port", "0",
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = server.stdout.readline()
        match = re.match(r"Serving actg175 at http://127\.0\.0\.1:(\d+)/api/products/actg175", line)
        assert match, line
        port = int(match.group(1))
        assert port != 0
        for _ in range(100):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except httpx.TransportError:
                continue
        assert response.status_code == 200
    finally:
        server.terminate()
        server.wait(10)


def test_a_taken_port_is_a_clear_error(served_dirs):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "jupyter_dataproduct.cli", "serve", str(served_dirs["actg175"]), "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode != 0
    assert f"Cannot listen on 127.0.0.1:{port}: Address already in use" in result.stdout + result.stderr


def test_the_listening_socket_sends_small_answers_at_once():
    from jupyter_dataproduct.server.app import listening_socket

    listener = listening_socket("127.0.0.1", 0)
    try:
        assert listener.getsockname()[1] != 0
        # Inherited by accepted connections: no ~40 ms Nagle/delayed-ACK wait per answer.
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        listener.close()
