"""The server's Arrow cache of whole entities (``<store>/arrow-cache``).

Each test serves its own copy of the synthetic 200,000-patient product (built once by the
session fixture), so the cache files seen are the ones these requests made. Tests taking
``codec`` run for the plain file (``none``: what a client that never asks for compression,
such as apache-arrow JS, gets) and for the LZ4 and ZSTD files.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import polars as pl
import pytest
from click.testing import CliRunner

from tests.server.conftest import ServerThread, free_port
from jupyter_dataproduct.cli import main as cli
from jupyter_dataproduct.client.remote import RemoteTransport
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.server import create_app

FRAME = "/api/products/actg_synthetic/entities/patients/frame"
CODECS = ["none", "lz4", "zstd"]


@pytest.fixture(scope="module")
def product_copy(served_dirs, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cached") / "synthetic"
    shutil.copytree(served_dirs["actg_synthetic"], folder, ignore=shutil.ignore_patterns("arrow-cache"))
    return folder


@pytest.fixture(scope="module")
def local(product_copy) -> pl.DataFrame:
    return Product.open(product_copy).frame("patients").collect()


def _server(folder: Path, **options) -> ServerThread:
    return ServerThread(create_app([folder], chunk_rows=16_384, **options), free_port()).start()


@pytest.fixture(scope="module")
def cached_server(product_copy):
    running = _server(product_copy)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def plain_server(product_copy):
    running = _server(product_copy, arrow_cache=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def cache_dir(product_copy) -> Path:
    """The product's cache folder, emptied before the test."""
    folder = Product.open(product_copy).store.root / "arrow-cache"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


@pytest.fixture(scope="module")
def auth(tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['synthetic_reader']}"}


def _read(server: ServerThread, tokens, codec: str = "none", **kwargs) -> pl.DataFrame:
    with RemoteTransport(f"{server.url}/actg_synthetic", tokens["synthetic_reader"], timeout=60,
                         compression=codec) as remote:
        return remote.frame("patients", kwargs.get("where"), kwargs.get("columns"), "latest", kwargs.get("limit"))


def _files(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*") if p.is_file() and p.suffix != ".lock") if cache_dir.exists() else []


def _params(codec: str) -> dict[str, str]:
    """The query of a client asking for ``codec``; a plain client asks for nothing."""
    return {} if codec == "none" else {"compression": codec}


def _cache_file(cache_dir: Path, codec: str = "none", timeout: float = 120) -> Path:
    """The one cache file of ``codec``, once its background build has finished (file, sidecar, no temp)."""
    pattern = "*-" + "?" * 64 + ("" if codec == "none" else f".{codec}") + ".arrows"
    deadline = time.monotonic() + timeout
    while True:
        found = list(cache_dir.rglob(pattern)) if cache_dir.exists() else []
        building = list(cache_dir.rglob("*.tmp")) if cache_dir.exists() else []
        if len(found) == 1 and found[0].with_suffix(".json").exists() and not building:
            return found[0]
        assert time.monotonic() < deadline, (found, building)
        time.sleep(0.05)


def _rebuilt(data: Path, timeout: float = 120) -> dict:
    """The sidecar once the file has been rebuilt to match it again."""
    import hashlib

    deadline = time.monotonic() + timeout
    while True:
        try:
            meta = _sidecar(data)
            if meta["size"] == data.stat().st_size and hashlib.sha256(data.read_bytes()).hexdigest() == meta["sha256"]:
                return meta
        except (OSError, ValueError):
            pass
        assert time.monotonic() < deadline, "the damaged cache file was not rebuilt"
        time.sleep(0.05)


def _sidecar(data: Path) -> dict:
    return json.loads(data.with_suffix(".json").read_text())


@pytest.mark.parametrize("codec", CODECS)
def test_the_cache_is_built_by_the_first_whole_read_and_then_reused(cached_server, tokens, auth, local, cache_dir, codec):
    assert _read(cached_server, tokens, codec).equals(local)  # streamed from Parquet; the file is built beside it
    data = _cache_file(cache_dir, codec)
    snapshot = Product.open(cache_dir.parent.parent).snapshot()
    assert data.parent.name == snapshot.id and snapshot.entities["patients"]["sha256"] in data.name
    assert _sidecar(data)["size"] == data.stat().st_size and _sidecar(data)["compression"] == codec
    first = data.stat()
    assert _read(cached_server, tokens, codec).equals(local)  # sent from the file
    response = httpx.get(cached_server.url + FRAME, params=_params(codec), headers=auth, timeout=60)
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.apache.arrow.stream"
    assert int(response.headers["content-length"]) == len(response.content) == first.st_size
    assert "transfer-encoding" not in response.headers
    assert response.headers["x-dataproduct-snapshot"] == snapshot.id
    assert response.headers["x-dataproduct-compression"] == codec
    assert pl.read_ipc_stream(io.BytesIO(response.content)).equals(local)
    again = data.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert _files(cache_dir) == [data, data.with_suffix(".json")]


def test_cached_and_uncached_reads_match_a_local_read(cached_server, plain_server, tokens, local, cache_dir):
    assert _read(plain_server, tokens).equals(local)
    assert not cache_dir.exists()  # --no-arrow-cache writes nothing
    assert _read(cached_server, tokens).equals(local)
    assert _read(cached_server, tokens).equals(local)
    assert _read(plain_server, tokens).equals(local)


@pytest.mark.parametrize("options", [
    {"where": "age >= 40"}, {"columns": ["pidnum", "age"]}, {"limit": 1000}, {"limit": 0},
])
def test_filtered_or_partial_reads_do_not_use_the_cache(cached_server, tokens, product_copy, cache_dir, options):
    expected = Product.open(product_copy).frame("patients", options.get("where"), options.get("columns"),
                                                limit=options.get("limit")).collect()
    assert _read(cached_server, tokens, **options).equals(expected)
    assert not _files(cache_dir)
    _read(cached_server, tokens)  # with the cache built, partial reads still are partial
    assert _read(cached_server, tokens, **options).equals(expected)


def test_other_formats_do_not_use_the_cache(cached_server, auth, local, cache_dir):
    response = httpx.get(cached_server.url + FRAME, params={"format": "csv"}, headers=auth, timeout=60)
    assert response.status_code == 200 and response.text.count("\n") == local.height + 1
    assert not _files(cache_dir)


def test_concurrent_first_reads_all_get_the_frame_and_leave_one_file(cached_server, tokens, local, cache_dir):
    barrier = threading.Barrier(6)

    def read(_: int) -> bool:
        barrier.wait()
        return _read(cached_server, tokens).equals(local)

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(read, range(6)))
    data = _cache_file(cache_dir)
    assert _files(cache_dir) == [data, data.with_suffix(".json")]  # no temporary file left behind
    assert _sidecar(data)["size"] == data.stat().st_size
    assert _read(cached_server, tokens).equals(local)


def _damage(data: Path, how: str) -> None:
    os.chmod(data, 0o644)
    with open(data, "r+b") as handle:
        if how == "truncated":
            handle.truncate(data.stat().st_size // 2)
        else:  # same size, a few bytes changed in the middle of a column
            handle.seek(data.stat().st_size // 2)
            chunk = handle.read(64)
            handle.seek(data.stat().st_size // 2)
            handle.write(bytes(b ^ 0xFF for b in chunk))


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("how", ["truncated", "corrupted"])
def test_a_damaged_cache_file_is_never_served_and_is_rebuilt(cached_server, tokens, auth, local, cache_dir, how, codec):
    assert _read(cached_server, tokens, codec).equals(local)
    data = _cache_file(cache_dir, codec)
    good = _sidecar(data)
    assert _read(cached_server, tokens, codec).equals(local)  # verified and served
    _damage(data, how)
    time.sleep(0.01)
    response = httpx.get(cached_server.url + FRAME, params=_params(codec), headers=auth, timeout=60)
    assert "content-length" not in response.headers  # streamed from Parquet, not from the damaged file
    assert response.headers["x-dataproduct-compression"] == codec
    assert pl.read_ipc_stream(io.BytesIO(response.content)).equals(local)
    rebuilt = _rebuilt(data)  # in the background, while that read streamed from Parquet
    assert rebuilt["size"] == good["size"] and rebuilt["sha256"] == good["sha256"]
    assert _read(cached_server, tokens, codec).equals(local)


def test_a_missing_sidecar_means_no_cache(cached_server, tokens, local, cache_dir):
    _read(cached_server, tokens)
    data = _cache_file(cache_dir)
    data.with_suffix(".json").unlink()
    assert _read(cached_server, tokens).equals(local)
    assert _rebuilt(_cache_file(cache_dir))["size"] == data.stat().st_size  # rebuilt


@pytest.mark.parametrize("codec", CODECS)
def test_clients_breaking_off_leave_the_server_and_the_cache_fine(cached_server, tokens, auth, local, cache_dir, codec):
    def break_off() -> None:
        with httpx.Client(timeout=30) as client, \
                client.stream("GET", cached_server.url + FRAME, params=_params(codec), headers=auth) as response:
            assert response.status_code == 200
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > 100_000:
                    break

    break_off()  # during the first read: the client leaves, the background build goes on
    data = _cache_file(cache_dir, codec)
    assert _rebuilt(data)["size"] == data.stat().st_size  # complete and intact
    assert _read(cached_server, tokens, codec).equals(local)
    stamp = data.stat().st_mtime_ns
    for _ in range(3):  # from the cache file
        break_off()
    time.sleep(0.3)
    assert httpx.get(cached_server.url + "/api/health", timeout=60).json()["status"] == "ok"
    assert _read(cached_server, tokens, codec).equals(local)
    assert data.stat().st_mtime_ns == stamp and _files(cache_dir) == [data, data.with_suffix(".json")]
    assert threading.active_count() < 100


def test_serve_has_a_switch_for_the_cache(monkeypatch, product_copy):
    from jupyter_dataproduct.server import app

    seen = []
    monkeypatch.setattr(app, "serve", lambda paths, **options: seen.append(options["arrow_cache"]))
    for args, expected in [([], True), (["--no-arrow-cache"], False), (["--arrow-cache"], True)]:
        result = CliRunner().invoke(cli, ["serve", str(product_copy), *args])
        assert result.exit_code == 0, result.output
        assert seen.pop() is expected
