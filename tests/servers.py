"""``dataproduct serve`` in its own process, as a user runs it, for tests."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx

ANNOUNCED = re.compile(r"Serving \S+ at (http://127\.0\.0\.1:(\d+))/api/products/")


@contextlib.contextmanager
def dataproduct_serve(*products: Path, options: tuple[str, ...] = (), log: Path | None = None) -> Iterator[str]:
    """Serve ``products`` on a free port (``--port 0``, more ``options`` if given); yield the base
    URL it announced once it answers its health check. The server's log goes to ``log`` (if
    given). The server is always stopped."""
    errors = open(log, "w") if log is not None else subprocess.DEVNULL
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_dataproduct.cli", "serve", *map(str, products), "--port", "0", "--log-level", "warning",
         *options],
        stdout=subprocess.PIPE, stderr=errors, text=True,
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        match = ANNOUNCED.match(line)
        assert match and match.group(2) != "0", f"dataproduct serve announced: {line!r}"
        base = match.group(1)
        deadline = time.monotonic() + 120  # a child Python importing polars on a loaded CI machine
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "dataproduct serve did not answer"
            time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        server.wait(10)
        if log is not None:
            errors.close()
