"""What one small protocol call costs the server, in-process: CPU per call of the ASGI app
(no HTTP server, no sockets, one caller), and of the parts of a call answered from the memo.

    python bench/bench_calls.py [--calls 200] [--repeat 5]

Serves a built copy of ``examples/actg175``; the call is ``cd4_response`` with the same
threshold every time (answered from the memo, as a repeated call is). Rows: CPU ms per call
(best of ``--repeat`` rounds of ``--calls`` calls; process time, so the history journal's
sync thread counts too) and wall ms, with ``/api/health`` (the framework's floor) and a
protocol description (auth, a thread hand-off, JSON) as the baselines of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "actg175"


def asgi_caller(app, token: str):
    """``await call(method, path, body)``: one request through the ASGI app, checked to be a 200."""

    async def call(method: str, path: str, body: bytes = b"") -> None:
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode()),
                             (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2), "state": {}}
        await app(scope, receive, send)
        assert sent[0]["status"] == 200, sent

    return call


def per_call(func, calls: int, repeat: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per call of ``func()``, best of ``repeat`` rounds."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(calls):
            func()
        best = min(best, (1000 * (time.process_time() - cpu) / calls, 1000 * (time.perf_counter() - wall) / calls))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=8, help="callers in flight at once for the memo row")
    args = parser.parse_args()

    from jupyter_dataproduct.core.product import Product
    from jupyter_dataproduct.server.app import create_app
    from jupyter_dataproduct.server.tokens import TokenStore

    import os

    print(f"{os.cpu_count()} CPUs, load average {[round(x, 1) for x in os.getloadavg()]}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as folder:
        product_dir = Path(folder) / "actg175"
        shutil.copytree(EXAMPLE, product_dir, ignore=shutil.ignore_patterns(".dataproduct"))
        Product.open(product_dir).build()
        token = TokenStore.for_product(product_dir).create("analyst")[0]
        app = create_app([product_dir])
        call = asgi_caller(app, token)
        loop = asyncio.new_event_loop()
        run = ("POST", "/api/products/actg175/protocols/cd4_response/run", b'{"threshold": 50}')
        rows = {}
        for name, request in (("GET /api/health (framework floor)", ("GET", "/api/health")),
                              ("GET a protocol's description (auth, thread, JSON)",
                               ("GET", "/api/products/actg175/protocols/cd4_response")),
                              ("POST cd4_response run, the same call again (memo)", run)):
            for _ in range(20):
                loop.run_until_complete(call(*request))
            rows[name] = per_call(lambda: loop.run_until_complete(call(*request)), args.calls, args.repeat)
        n = max(1, args.concurrent)

        async def together() -> None:  # n callers, each making calls one after the other
            async def caller() -> None:
                for _ in range(args.calls // n):
                    await call(*run)
            await asyncio.gather(*(caller() for _ in range(n)))

        calls = (args.calls // n) * n
        rows[f"POST cd4_response run, memo, {n} callers at once"] = per_call(
            lambda: loop.run_until_complete(together()), 1, args.repeat)
        rows[f"POST cd4_response run, memo, {n} callers at once"] = tuple(
            x / calls for x in rows[f"POST cd4_response run, memo, {n} callers at once"])
        loop.close()

        try:  # the parts, where this version has them (the whole-call rows run on older versions too)
            from jupyter_dataproduct.core.repository import checked_once
        except ImportError:
            checked_once = None
        if checked_once is not None:
            _parts(rows, product_dir, checked_once, args.calls, args.repeat)
    base = rows["GET a protocol's description (auth, thread, JSON)"][0]
    for name, (cpu, wall) in rows.items():
        print(f"{name}: CPU {cpu:.3f} ms/call ({cpu / base:.2f}x a description), wall {wall:.3f} ms")
    print(f"load average at the end {[round(x, 1) for x in os.getloadavg()]}")


def _parts(rows: dict, product_dir: Path, checked_once, calls: int, repeat: int) -> None:
    """CPU of the parts of a call answered from the memo, called directly."""
    from jupyter_dataproduct.core.product import Product
    from jupyter_dataproduct.server.result_memo import ResultMemo

    product, memo = Product.open(product_dir), ResultMemo()
    key = memo.key(product, "cd4_response", {"threshold": 50}, "latest")
    memo.remember(product, key, product.run("cd4_response", {"threshold": 50}))

    def memo_key() -> None:
        with checked_once():
            memo.key(product, "cd4_response", {"threshold": 50}, "latest")

    entry = product.history.list(1)[0].id
    journal = product.history.journal
    rows["  of which: the memo key (bind, code stamp)"] = per_call(memo_key, calls, repeat)
    rows["  of which: the history entry (record_again, durable)"] = per_call(
        lambda: product.history.record_again(entry), calls, repeat)
    if hasattr(product.history, "record_again_pending"):  # this version: the server awaits the sync
        rows["  the history entry without waiting for its sync"] = per_call(
            lambda: product.history.record_again_pending(entry), calls, repeat)
    else:
        wait, journal.wait_durable = journal.wait_durable, lambda sequence: None
        rows["  the history entry without waiting for its sync"] = per_call(
            lambda: product.history.record_again(entry), calls, repeat)
        journal.wait_durable = wait


if __name__ == "__main__":
    sys.exit(main())
