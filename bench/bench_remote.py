"""Reading an entity locally vs through the HTTP server, and small protocol calls per second.

The server runs as its own process (``dataproduct serve``) on 127.0.0.1, as deployed;
client and server share this machine's cores. Figures, each next to its baseline from
the same run:

- frame throughput in MB/s of the resulting polars frame (``estimated_size``), for a
  local ``Product.frame().collect()``, a remote Arrow IPC stream (``connect(url).frame``)
  and remote JSON (download + ``pl.read_json``). The whole-entity Arrow read is timed
  cold (``remote_arrow_cold_s``: the first read, streamed from Parquet while a server
  thread writes the Arrow cache file beside it), warm (``remote_arrow_s``: sent from the cache file) and against a second
  server run with ``--no-arrow-cache`` (``remote_arrow_uncached_s``: Parquet decoded per
  request); ``remote_arrow_drain_s`` is the warm Arrow body read and dropped (server and
  transport, without the client's decoding). Each Arrow figure is given per IPC buffer
  codec the client asks for (``--codecs``, default ``none,lz4,zstd``: ``remote_arrow_s[lz4]``),
  with the bytes on the wire and the ratio to the local read; ``parquet`` in ``--codecs``
  times the client's default for whole entities instead, the snapshot's Parquet file sent
  as it is (``remote_arrow_s[parquet]``: not Arrow, named so to sit in the same table); JSON reads
  at most ``--json-rows`` rows (10M rows of JSON is ~4 GB of text), compared with the same
  rows read locally;
- small protocol calls (``cd4_response`` on the ACTG 175 example) per second: local,
  then remote with 1 and ``--clients`` concurrent clients (threads, one connection each).

    python bench/bench_remote.py --rows 10000000 --clients 8
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import EXAMPLE, write_product  # noqa: E402

from jupyter_dataproduct.client.remote import DEFAULT_COMPRESSION, RemoteTransport  # noqa: E402
from jupyter_dataproduct.core.product import Product  # noqa: E402
from jupyter_dataproduct.server.tokens import TokenStore  # noqa: E402

MB = 1_000_000


def best_of(repeat: int, function):
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - started)
    return min(times), value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(paths: list[Path], port: int, *options: str) -> subprocess.Popen:
    command = [sys.executable, "-c", "from jupyter_dataproduct.cli import main; main()", "serve", *map(str, paths),
               "--port", str(port), "--log-level", "warning", *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def wait_for_cache(product: Path, codec: str = DEFAULT_COMPRESSION, timeout: float = 600) -> None:
    """Until the server's background thread has published the entity's Arrow cache file for ``codec``."""
    deadline = time.monotonic() + timeout
    cache = product / ".dataproduct" / "arrow-cache"
    pattern = "patients-" + "?" * 64 + ("" if codec == "none" else f".{codec}") + ".json"
    while not (list(cache.rglob(pattern)) and not list(cache.rglob("*.tmp"))):
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not build its Arrow cache")
        time.sleep(0.1)


def frames(url: str, uncached_url: str, token: str, path: Path, repeat: int, json_rows: int,
           codecs: list[str], skip_calls: bool = False) -> dict[str, object]:
    product = Product.open(path)
    local_s, local = best_of(repeat, lambda: product.frame("patients").collect())
    size = local.estimated_size() / MB
    frame_path = f"/api/products/{Path(urlsplit(url).path).name}/entities/patients/frame"
    figures: dict[str, object] = {}
    wire: dict[str, float] = {}
    remotes = {codec: _client(url, token, codec) for codec in codecs}
    for codec, remote in remotes.items():
        # Uncached first: the client's first 1 GB costs page faults on a fresh VM, which would
        # otherwise be charged to whichever read comes first.
        with _client(uncached_url, token, codec) as uncached:
            uncached_s, received = best_of(repeat, lambda: uncached.frame("patients", None, None, "latest", None))
        assert received.equals(local)
        del received
        cold_s, received = best_of(1, lambda: remote.frame("patients", None, None, "latest", None))  # starts the cache
        assert received.equals(local)
        del received
        if codec != "parquet":  # the snapshot's file: nothing to build
            wait_for_cache(path, codec)  # built by a server thread beside that first read
        figures.update({f"remote_arrow_cold_s[{codec}]": round(cold_s, 3),
                        f"remote_arrow_uncached_s[{codec}]": round(uncached_s, 3)})
    # Warm reads round-robin with the local one (local, none, lz4, zstd, local, ...), so all
    # see the same machine; best of ``repeat`` each.
    warm: dict[str, list[float]] = {"local": [], **{codec: [] for codec in codecs}}
    for _ in range(repeat):
        warm["local"].append(best_of(1, lambda: product.frame("patients").collect())[0])
        for codec, remote in remotes.items():
            elapsed, received = best_of(1, lambda: remote.frame("patients", None, None, "latest", None))
            assert received.equals(local)
            del received
            warm[codec].append(elapsed)
    local_s = min(local_s, *warm["local"])
    for codec, remote in remotes.items():
        def arrow_bytes() -> int:
            params = {"format": "parquet"} if codec == "parquet" else {"compression": codec}
            with httpx.stream("GET", f"{url.rsplit('/', 1)[0]}{frame_path}", params=params,
                              headers={"Authorization": f"Bearer {token}"}, timeout=None) as response:
                assert response.headers.get("x-dataproduct-compression", "parquet") == codec
                return sum(len(c) for c in response.iter_raw())

        drain_s, wire_bytes = best_of(repeat, arrow_bytes)  # server + transport alone: the body read and dropped
        wire[codec] = wire_bytes / MB
        arrow_s = min(warm[codec])
        cold_s, uncached_s = figures[f"remote_arrow_cold_s[{codec}]"], figures[f"remote_arrow_uncached_s[{codec}]"]
        figures.update({
            f"remote_arrow_s[{codec}]": round(arrow_s, 3), f"remote_arrow_MB/s[{codec}]": round(size / arrow_s),
            f"remote_arrow_wire_MB[{codec}]": round(wire[codec], 1),
            f"remote_arrow_drain_s[{codec}]": round(drain_s, 3),
            f"arrow_vs_local[{codec}]": f"{arrow_s / local_s:.2f}x",
            f"arrow_cold_vs_local[{codec}]": f"{cold_s / local_s:.2f}x",  # type: ignore[operator]
            f"arrow_uncached_vs_local[{codec}]": f"{uncached_s / local_s:.2f}x",  # type: ignore[operator]
        })
        remote.close()
    arrow_s = min(v for k, v in figures.items() if k.startswith("remote_arrow_s["))
    subset_s, subset = best_of(repeat, lambda: product.frame("patients", limit=json_rows).collect())
    subset_size = subset.estimated_size() / MB

    def json_read() -> pl.DataFrame:
        response = httpx.get(f"{url.rsplit('/', 1)[0]}{frame_path}",
                             params={"format": "json", "limit": json_rows},
                             headers={"Authorization": f"Bearer {token}"}, timeout=None)
        wire["json"] = len(response.content) / MB
        return pl.read_json(io.BytesIO(response.content))

    json_s, parsed = best_of(max(1, repeat - 1), json_read)
    assert parsed.height == subset.height
    return {
        "rows": local.height, "frame_MB": round(size, 1),
        "local_s": round(local_s, 3), "local_MB/s": round(size / local_s),
        **figures,
        "json_rows": subset.height, "local_subset_MB/s": round(subset_size / subset_s),
        "remote_json_s": round(json_s, 3), "remote_json_MB/s": round(subset_size / json_s, 1),
        "remote_json_wire_MB": round(wire["json"], 1),
        "json_vs_local": f"{json_s / subset_s:.0f}x slower",
        "arrow_vs_json": f"{(subset_size / json_s) and (size / arrow_s) / (subset_size / json_s):.0f}x faster",
    }


def _client(url: str, token: str, codec: str) -> RemoteTransport:
    """The client reading whole entities as Arrow with ``codec``, or (``parquet``) as the snapshot's file."""
    if codec == "parquet":
        return RemoteTransport(url, token, timeout=None)
    return RemoteTransport(url, token, timeout=None, compression=codec, parquet=False)


def calls(url: str, token: str, path: Path, clients: int, seconds: float) -> dict[str, object]:
    parameters = {"threshold": 50}
    product = Product.open(path)

    def rate(function, threads: int) -> float:
        stop = time.perf_counter() + seconds
        counts = [0] * threads

        def loop(i: int) -> None:
            call = function()
            while time.perf_counter() < stop:
                call()
                counts[i] += 1

        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(loop, range(threads)))
        return sum(counts) / (time.perf_counter() - started)

    local = rate(lambda: (lambda: product.run("cd4_response", parameters)), 1)

    def remote_call():
        transport = RemoteTransport(url, token)
        return lambda: transport.run("cd4_response", parameters, "latest")

    one = rate(remote_call, 1)
    many = rate(remote_call, clients)
    return {"protocol": "cd4_response (ACTG 175, 2,139 patients)", "local_calls/s": round(local, 1),
            "remote_1_client_calls/s": round(one, 1), f"remote_{clients}_clients_calls/s": round(many, 1),
            "remote_1_vs_local": f"{local / one:.2f}x slower", f"remote_{clients}_vs_1": f"{many / one:.2f}x"}


def run(rows: int, repeat: int, clients: int, json_rows: int, seconds: float, folder: Path,
        codecs: list[str], skip_calls: bool = False) -> dict[str, object]:
    started = time.perf_counter()
    synthetic = write_product(folder / "synthetic", rows)
    Product.open(synthetic).build()
    actg = folder / "actg175"
    shutil.copytree(EXAMPLE, actg, ignore=shutil.ignore_patterns(".dataproduct"))
    Product.open(actg).build()
    prepared = time.perf_counter() - started
    tokens = {p: TokenStore.for_product(p).create("analyst")[0] for p in (synthetic, actg)}
    port, uncached_port = free_port(), free_port()
    server = start_server([synthetic, actg], port)
    uncached = start_server([synthetic], uncached_port, "--no-arrow-cache")
    try:
        base = f"http://127.0.0.1:{port}"
        report = {"cpus": os.cpu_count(), "prepare_s": round(prepared, 1)}
        report["frames"] = frames(f"{base}/actg_synthetic", f"http://127.0.0.1:{uncached_port}/actg_synthetic",
                                  tokens[synthetic], synthetic, repeat, json_rows, codecs)
        if not skip_calls:
            report["calls"] = calls(f"{base}/actg175", tokens[actg], actg, clients, seconds)
        return report
    finally:
        for process in (server, uncached):
            process.terminate()
            process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json-rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="Duration of each calls/s measurement.")
    parser.add_argument("--codecs", default="none,lz4,zstd",
                        help="Arrow IPC buffer codecs the client asks for, each measured (none: plain; "
                             "parquet: whole entities as the snapshot's Parquet file, the client's default).")
    parser.add_argument("--skip-calls", action="store_true", help="Measure the frames only.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-remote-") as folder:
        report = run(args.rows, args.repeat, args.clients, args.json_rows, args.seconds, Path(folder),
                     [c.strip() for c in args.codecs.split(",") if c.strip()], args.skip_calls)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for section, values in report.items():
        if isinstance(values, dict):
            print(f"[{section}]")
            width = max(len(k) for k in values)
            for key, value in values.items():
                print(f"  {key:<{width}}  {value}")
        else:
            print(f"{section}  {values}")


if __name__ == "__main__":
    main()
