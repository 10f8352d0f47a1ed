"""Compressed Arrow frames: the buffers come LZ4- or ZSTD-compressed only when the request
names a codec (``?compression=``), and every codec gives the same frame as a local read.

A product with nulls, categories (enums), dates and an entity left empty by its filter is
served by its own server; the cohort-filtered reads use the session's synthetic product.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import httpx
import polars as pl
import pytest

from tests.mixed_types import write_mixed_product
from tests.server.conftest import REPO, ServerThread, create_token, free_port
from jupyter_dataproduct.client.remote import RemoteTransport
from jupyter_dataproduct.core.errors import ParameterError
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.server import create_app

CODECS = ["none", "lz4", "zstd"]
APACHE_ARROW_JS = REPO / "labextension" / "node_modules" / "apache-arrow"

ROWS = 3000  # several record batches of 1,024 rows


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    return write_mixed_product(tmp_path_factory.mktemp("compression") / "mixed", rows=ROWS)


@pytest.fixture(scope="module")
def mixed_server(mixed):
    running = ServerThread(create_app([mixed], chunk_rows=1024), free_port()).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def mixed_token(mixed) -> str:
    return create_token(mixed, "reader")


def _remote(server: ServerThread, token: str, codec: str, product: str = "mixed") -> RemoteTransport:
    return RemoteTransport(f"{server.url}/{product}", token, timeout=60, compression=codec, parquet=False)


def _frame_url(server: ServerThread, entity: str, product: str = "mixed") -> str:
    return f"{server.url}/api/products/{product}/entities/{entity}/frame"


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("entity", ["people", "visits"])
def test_every_codec_gives_the_local_frame(mixed_server, mixed_token, mixed, codec, entity):
    local = Product.open(mixed).frame(entity).collect()
    assert dict(local.schema)["enrolled" if entity == "people" else "week"] in (pl.Date, pl.Int64)
    with _remote(mixed_server, mixed_token, codec) as remote:
        for _ in range(2):  # streamed from Parquet, then (built meanwhile or not) again
            frame = remote.frame(entity, None, None, "latest", None)
            assert frame.equals(local) and frame.schema == local.schema
    if entity == "people":
        assert local.null_count().row(0) != (0,) * local.width  # the nulls really are there
        assert isinstance(local.schema["group"], pl.Enum) and local.schema["enrolled"] == pl.Date
    else:
        assert local.height == 0  # the filter leaves nothing: the schema alone travels


@pytest.mark.parametrize("codec", CODECS)
def test_cohort_filtered_reads_are_the_same_with_every_codec(server, tokens, served_dirs, codec):
    product = Product.open(served_dirs["actg_synthetic"])
    where = "age >= 40 and arms in ('ZDV', 'ddI')"
    with _remote(server, tokens["synthetic_reader"], codec, "actg_synthetic") as remote:
        assert remote.frame("patients", where, None, "latest", None).equals(product.frame("patients", where).collect())
        columns = ["pidnum", "arms", "cd40"]
        expected = product.frame("patients", where, columns, limit=5000).collect()
        assert remote.frame("patients", where, columns, "latest", 5000).equals(expected)
        assert remote.frame("patients", "age > 1000", None, "latest", None).equals(
            product.frame("patients", "age > 1000").collect())  # no row matches


def test_compressed_frames_are_smaller_and_say_their_codec(mixed_server, mixed_token, mixed):
    auth = {"Authorization": f"Bearer {mixed_token}"}
    local = Product.open(mixed).frame("people").collect()
    sizes = {}
    for codec in CODECS:
        response = httpx.get(_frame_url(mixed_server, "people"), params={"compression": codec}, headers=auth, timeout=60)
        assert response.status_code == 200 and response.headers["x-dataproduct-compression"] == codec
        assert response.headers["content-type"] == "application/vnd.apache.arrow.stream"
        assert pl.read_ipc_stream(io.BytesIO(response.content)).equals(local)
        sizes[codec] = len(response.content)
    assert sizes["zstd"] < sizes["lz4"] < sizes["none"]
    preferred = httpx.get(_frame_url(mixed_server, "people"), params={"compression": "zstd, lz4"}, headers=auth, timeout=60)
    assert preferred.headers["x-dataproduct-compression"] == "zstd"  # the first listed wins
    assert len(preferred.content) == sizes["zstd"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_client_that_does_not_ask_gets_plain_ipc_that_apache_arrow_js_reads(mixed_server, mixed_token, mixed,
                                                                              method, tmp_path):
    """The lab extension's reader (apache-arrow JS) cannot decompress buffers: without the
    parameter, whatever the Accept header, the stream is plain and it reads it."""
    auth = {"Authorization": f"Bearer {mixed_token}", "Accept": "application/vnd.apache.arrow.stream"}
    kwargs = {"json": {}} if method == "POST" else {}
    plain = httpx.request(method, _frame_url(mixed_server, "people"), headers=auth, timeout=60, **kwargs)
    assert plain.status_code == 200 and plain.headers["x-dataproduct-compression"] == "none"
    local = Product.open(mixed).frame("people").collect()
    assert pl.read_ipc_stream(io.BytesIO(plain.content)).equals(local)
    (tmp_path / "plain.arrows").write_bytes(plain.content)
    read = _read_with_apache_arrow_js(tmp_path / "plain.arrows")
    assert read["ok"] and read["rows"] == local.height and read["nulls"] == local["age"].null_count()
    lz4 = httpx.request(method, _frame_url(mixed_server, "people"), params={"compression": "lz4"}, headers=auth,
                        timeout=60, **kwargs)
    (tmp_path / "lz4.arrows").write_bytes(lz4.content)
    assert not _read_with_apache_arrow_js(tmp_path / "lz4.arrows")["ok"]  # why the lab must never get these


def _read_with_apache_arrow_js(path: Path) -> dict:
    if not APACHE_ARROW_JS.exists():
        pytest.fail("labextension/node_modules is missing: run `npm ci` in labextension/ (.ci/run does).")
    script = """
        const fs = require('fs');
        const { tableFromIPC } = require(process.argv[1]);
        try {
          const table = tableFromIPC(fs.readFileSync(process.argv[2]));
          const age = table.getChild('age');
          let nulls = 0, sum = 0;
          for (let i = 0; i < table.numRows; i++) { const v = age.get(i); if (v === null) nulls++; else sum += Number(v); }
          console.log(JSON.stringify({ ok: true, rows: table.numRows, nulls, sum }));
        } catch (error) {
          console.log(JSON.stringify({ ok: false, error: String(error) }));
        }
    """
    done = subprocess.run(["node", "-e", script, str(APACHE_ARROW_JS), str(path)], capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("value", ["brotli", "lz4,gzip", ",", "LZ4;q=1"])
def test_an_unknown_codec_is_a_clear_400(mixed_server, mixed_token, value):
    auth = {"Authorization": f"Bearer {mixed_token}"}
    response = httpx.get(_frame_url(mixed_server, "people"), params={"compression": value}, headers=auth, timeout=60)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["details"]["parameter"] == "compression" and sorted(error["details"]["allowed"]) == sorted(CODECS)
    assert "lz4, zstd, none" in error["message"]


def test_compression_is_for_arrow_frames_only(mixed_server, mixed_token):
    auth = {"Authorization": f"Bearer {mixed_token}"}
    url = _frame_url(mixed_server, "people")
    refused = httpx.get(url, params={"format": "csv", "compression": "zstd"}, headers=auth, timeout=60)
    assert refused.status_code == 400 and "Arrow frames only" in refused.json()["error"]["message"]
    for accepted in ("none", "zstd,none"):  # the client takes plain text too
        plain = httpx.get(url, params={"format": "csv", "compression": accepted}, headers=auth, timeout=60)
        assert plain.status_code == 200 and plain.text.count("\n") == ROWS + 1
        assert "x-dataproduct-compression" not in plain.headers


def test_the_client_refuses_an_unknown_codec_before_any_request():
    with pytest.raises(ParameterError, match="lz4, zstd, none"):
        RemoteTransport("http://127.0.0.1:9/mixed", "token", compression="snappy")
