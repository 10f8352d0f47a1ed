"""``dataproduct serve`` as a user runs it: in its own process, announcing where it listens."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx

from tests.servers import dataproduct_serve


def test_port_0_announces_the_port_it_got_and_serves_there(served_dirs):
    # dataproduct_serve asserts the announced port is a real one, then that it answers there.
    with dataproduct_serve(served_dirs["actg175"]) as base:
        assert httpx.get(f"{base}/api/health").json()["status"] == "ok"


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
