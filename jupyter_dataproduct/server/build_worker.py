"""Builds requested over HTTP, run in a child process so that a crash (a native library's
segfault, the memory killer) ends that build, not the server.

The child is ``python -m jupyter_dataproduct.server.build_worker PRODUCT STORE [--force]``;
it writes one JSON object per line on stdout: ``{"progress": {...}}`` while it works, then
``{"result": {"created", "id"}}`` or ``{"error": {...}, "status": N}``. The parent turns a
child that ends without its last line into a :class:`BuildCrashedError`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

from ..core.errors import DataProductError
from ..core.progress import ProgressEvent

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the child imports this very copy of the package


class BuildCrashedError(DataProductError):
    """The build's process died (a crash in a native library, or killed); nothing was published."""

    code = "build_crashed"
    http_status = 500


def build_in_child(product_path: Path, store_root: Path, *, force: bool = False,
                   progress: Callable[[ProgressEvent], None] | None = None) -> dict[str, Any]:
    """Build in a child process; ``{"created", "id"}``, or the build's own error raised here."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", __name__, str(product_path), str(store_root), *(["--force"] if force else [])]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, text=True) as child:
        assert child.stdout is not None
        last: dict[str, Any] = {}
        for line in child.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not ours (a library printing): the answer lines are JSON
            if "progress" in message:
                if progress is not None:
                    progress(ProgressEvent(**message["progress"]))
            else:
                last = message
        code = child.wait()
    if "result" in last:
        return last["result"]
    if "error" in last:
        raise _error_from(last)
    how = f"signal {-code} ({signal.Signals(-code).name})" if code < 0 else f"exit code {code}"
    raise BuildCrashedError(
        f"The build process ended without an answer ({how}); nothing was published. The server log may say more.",
        details={"exit": code},
    )


def _error_from(message: dict[str, Any]) -> DataProductError:
    """The child's error, as the same code, status and message here."""
    error = message["error"]
    rebuilt = DataProductError(error["message"], details=error.get("details"))
    rebuilt.code, rebuilt.http_status = error["code"], message.get("status", 500)  # type: ignore[misc]
    return rebuilt


def _main(argv: list[str]) -> int:
    from ..core.product import Product

    product_path, store_root = Path(argv[0]), Path(argv[1])

    def emit(value: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(value, default=str) + "\n")
        sys.stdout.flush()

    def report(event: ProgressEvent) -> None:
        emit({"progress": {"done": event.done, "total": event.total, "message": event.message}})

    try:
        result = Product(product_path, store_root).build(progress=report, force="--force" in argv[2:])
    except DataProductError as exc:
        emit({"error": exc.to_dict(), "status": exc.http_status})
        return 1
    emit({"result": {"created": result.created, "id": result.snapshot.id}})
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
