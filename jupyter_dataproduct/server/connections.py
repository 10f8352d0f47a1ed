"""Slow and idle clients: a read timeout per request and a cap on open connections.

uvicorn times out idle keep-alive connections but not a request that is sent slowly (a
"slowloris" holds a connection open by sending a header byte now and then) nor a
connection that never sends anything. :func:`guarded_protocol` makes uvicorn's h11
protocol close a connection whose request (headers and body) is not complete within
``read_timeout`` seconds, and, when ``max_connections`` are open, close the oldest one that
is still sending its request to make room (or, if every connection is busy with a
request, the new one). Each condition is logged once per process, not once per connection:
an attack must not fill the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

DEFAULT_READ_TIMEOUT = 30.0  # seconds for a client to send a whole request (headers and body)
DEFAULT_MAX_CONNECTIONS = 1_000
DEFAULT_KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open

log = logging.getLogger("jupyter_dataproduct.server")


class _Once:
    """Logs each condition the first time it happens (per process)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def warn(self, key: str, message: str) -> None:
        if key not in self.seen:
            self.seen.add(key)
            log.warning(message + " (logged once; further cases are not logged)")


once = _Once()


def guarded_protocol(read_timeout: float = DEFAULT_READ_TIMEOUT,
                     max_connections: int = DEFAULT_MAX_CONNECTIONS) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a request read timeout and a connection cap."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    sending = (h11.IDLE, h11.SEND_BODY)  # the client's request is not complete yet

    class GuardedH11Protocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._read_timer: asyncio.TimerHandle | None = None
            self._request_started = time.monotonic()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()
            if len(self.connections) > max_connections:
                self._make_room()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._read_timer is None and self.conn.their_state is h11.IDLE:
                self._arm()  # the next request on a kept-alive connection begins
            super().data_received(data)
            if self.conn.their_state not in sending:
                self._disarm()

        def _sending(self) -> bool:
            return self.conn.their_state in sending and self._read_timer is not None

        def _arm(self) -> None:
            self._disarm()
            self._request_started = time.monotonic()
            self._read_timer = self.loop.call_later(read_timeout, self._read_timed_out)

        def _disarm(self) -> None:
            if self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None

        def _read_timed_out(self) -> None:
            self._read_timer = None
            once.warn("read-timeout", f"Closed a connection that did not send a whole request within {read_timeout:g} s")
            self._close()

        def _make_room(self) -> None:
            waiting = [c for c in self.connections if isinstance(c, GuardedH11Protocol) and c is not self and c._sending()]
            once.warn("max-connections", f"{max_connections} connections are open: closing the oldest that are still "
                                         "sending their request")
            if waiting:
                min(waiting, key=lambda c: c._request_started)._close()
            else:
                self._close()

        def _close(self) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol
