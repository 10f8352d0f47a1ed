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
        assert httpx.get(f"{base}/api/health", timeout=60).json()["status"] == "ok"


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


# -- slow clients (slowloris) --------------------------------------------------------------------


def half_sent(base: str, what: bytes = b"GET /api/health HTTP/1.1\r\nHost: x\r\n") -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    sock.sendall(what)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1024) == b""  # waits (at most the socket's timeout) for the server to close it
    except ConnectionResetError:
        return True  # closed with a reset: as closed
    except TimeoutError:
        return False
    finally:
        sock.close()


def test_half_sent_requests_are_timed_out(served_dirs, tokens, tmp_path):
    with dataproduct_serve(served_dirs["actg175"], options=("--read-timeout", "1"), log=tmp_path / "log") as base:
        slow = [half_sent(base) for _ in range(10)]  # headers never finished
        body = (f"POST /api/products/actg175/rerun HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tokens['admin']}\r\n"
                "Content-Length: 100\r\nContent-Type: application/json\r\n\r\n{\"a\"")
        slow.append(half_sent(base, body.encode()))  # the body never finished
        slow.append(half_sent(base, b""))  # says nothing at all
        closed = [closed_by_server(sock) for sock in slow]
        assert all(closed), closed
        assert httpx.get(f"{base}/api/health", timeout=60).status_code == 200
    log = (tmp_path / "log").read_text()
    assert log.count("did not send a whole request") == 1 and "Traceback" not in log, log[-2000:]


def test_a_connection_flood_does_not_lock_out_other_clients(served_dirs, tmp_path):
    with dataproduct_serve(served_dirs["actg175"], options=("--max-connections", "20", "--read-timeout", "60"),
                           log=tmp_path / "log") as base:
        flood = [half_sent(base) for _ in range(60)]
        try:
            for _ in range(3):
                assert httpx.get(f"{base}/api/health", timeout=10).status_code == 200
            for sock in flood:
                sock.settimeout(0.2)
            closed = sum(closed_by_server(sock) for sock in flood)
        finally:
            for sock in flood:
                sock.close()
    assert closed >= 40  # the oldest half-sent ones made room; at most 20 stay open
    log = (tmp_path / "log").read_text()
    assert log.count("connections are open") == 1, log[-2000:]
