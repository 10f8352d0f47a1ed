"""Whole entities as Parquet: ``?format=parquet`` (or the Parquet type in the Accept header)
sends the snapshot's own file, checked against the snapshot, with its length; filtered
frames and clients that do not ask keep getting Arrow.

A product with nulls, categories (enums), dates and an empty entity, and the same product
stored in parts, are served by their own server in this process.
"""

from __future__ import annotations

import io
import os
import socket
import time
from pathlib import Path

import httpx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.mixed_types import write_mixed_product
from tests.server.conftest import ServerThread, create_token, free_port
from jupyter_dataproduct.contract.wire import ARROW_STREAM, PARQUET
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.server import create_app

STREAMED = ["arrow", "csv", "json", "ndjson"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("parquet")
    return {"mixed": write_mixed_product(root / "mixed"),
            "parted": write_mixed_product(root / "parted", name="parted", part_rows=1000)}


@pytest.fixture(scope="module")
def parquet_server(folders):
    running = ServerThread(create_app(list(folders.values()), chunk_rows=1024), free_port()).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def auth(folders) -> dict[str, dict[str, str]]:
    return {name: {"Authorization": f"Bearer {create_token(folder, 'reader')}"} for name, folder in folders.items()}


def _url(server: ServerThread, entity: str = "people", product: str = "mixed") -> str:
    return f"{server.url}/api/products/{product}/entities/{entity}/frame"


def _entity_file(folder: Path, entity: str = "people") -> Path:
    snapshot = Product.open(folder).snapshot()
    return snapshot.path / snapshot.entities[entity]["file"]


@pytest.mark.parametrize("entity", ["people", "visits"])
def test_a_whole_entity_as_parquet_is_the_snapshots_file_with_its_length(parquet_server, auth, folders, entity):
    response = httpx.get(_url(parquet_server, entity), params={"format": "parquet"}, headers=auth["mixed"], timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"] == PARQUET
    stored = _entity_file(folders["mixed"], entity).read_bytes()
    assert int(response.headers["content-length"]) == len(response.content) == len(stored)
    assert response.content == stored
    assert response.headers["x-dataproduct-snapshot"] == Product.open(folders["mixed"]).snapshot().id
    assert "x-dataproduct-compression" not in response.headers  # Parquet has its own codecs inside
    local = Product.open(folders["mixed"]).frame(entity).collect()
    assert_frame_equal(pl.read_parquet(response.content), local)


def test_the_accept_header_may_ask_for_parquet_before_arrow(parquet_server, auth):
    url, headers = _url(parquet_server), auth["mixed"]
    for accept, expected in [(f"{PARQUET}, {ARROW_STREAM};q=0.5", PARQUET),
                             (f"{ARROW_STREAM}, {PARQUET};q=0.5", ARROW_STREAM),
                             ("*/*", ARROW_STREAM),  # a wildcard never gets Parquet: only who names it does
                             ("application/*", ARROW_STREAM)]:
        response = httpx.get(url, headers={**headers, "Accept": accept}, timeout=60)
        assert response.status_code == 200 and response.headers["content-type"] == expected, accept
    posted = httpx.post(url, json={}, headers={**headers, "Accept": PARQUET}, timeout=60)
    assert posted.status_code == 200 and posted.headers["content-type"] == PARQUET


def test_clients_that_do_not_ask_keep_getting_arrow(parquet_server, auth, folders):
    """The R client, the lab's apache-arrow JS and curl never name Parquet."""
    plain = httpx.get(_url(parquet_server), headers=auth["mixed"], timeout=60)
    assert plain.headers["content-type"] == ARROW_STREAM and plain.headers["x-dataproduct-compression"] == "none"
    assert_frame_equal(pl.read_ipc_stream(io.BytesIO(plain.content)), Product.open(folders["mixed"]).frame("people").collect())


@pytest.mark.parametrize("query", [{"where": "age >= 40"}, {"columns": "id,age"}, {"limit": "10"}, {"join": "people"}])
def test_parquet_is_for_whole_entities_only(parquet_server, auth, query):
    refused = httpx.get(_url(parquet_server, "visits" if "join" in query else "people"),
                        params={"format": "parquet", **query}, headers=auth["mixed"], timeout=60)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert "whole entity" in error["message"] and error["details"] == {"parameter": "format", "allowed": STREAMED}


def test_a_filtered_frame_asked_for_parquet_or_arrow_comes_as_arrow(parquet_server, auth, folders):
    accept = {"Accept": f"{PARQUET}, {ARROW_STREAM};q=0.5"}
    response = httpx.post(_url(parquet_server), json={"where": "age >= 40", "columns": ["id", "group", "enrolled"]},
                          headers={**auth["mixed"], **accept}, timeout=60)
    assert response.status_code == 200 and response.headers["content-type"] == ARROW_STREAM
    expected = Product.open(folders["mixed"]).frame("people", "age >= 40", ["id", "group", "enrolled"]).collect()
    assert_frame_equal(pl.read_ipc_stream(io.BytesIO(response.content)), expected)


@pytest.mark.parametrize("value", ["parket", "PARQUET", "parquet,arrow"])
def test_a_misspelt_format_is_a_400_naming_the_allowed(parquet_server, auth, value):
    response = httpx.get(_url(parquet_server), params={"format": value}, headers=auth["mixed"], timeout=60)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["details"] == {"parameter": "format", "allowed": [*STREAMED, "parquet"]}
    assert repr(value) in error["message"] and "parquet" in error["message"]


def test_an_entity_stored_in_parts_has_no_one_file_to_send(parquet_server, auth, folders):
    local = Product.open(folders["parted"]).frame("people").collect()
    assert len(Product.open(folders["parted"]).snapshot().entity_parts("people")) == 3
    refused = httpx.get(_url(parquet_server, product="parted"), params={"format": "parquet"}, headers=auth["parted"],
                        timeout=60)
    assert refused.status_code == 406
    assert refused.json()["error"]["details"] == {"parameter": "format", "allowed": STREAMED}
    accepting = httpx.get(_url(parquet_server, product="parted"), headers={**auth["parted"], "Accept":
                          f"{PARQUET}, {ARROW_STREAM};q=0.5"}, timeout=60)
    assert accepting.status_code == 200 and accepting.headers["content-type"] == ARROW_STREAM
    assert_frame_equal(pl.read_ipc_stream(io.BytesIO(accepting.content)), local)


@pytest.fixture
def own_product(tmp_path):
    """A product of its own (its store is damaged by the test), served; yields (url, headers, file)."""
    folder = write_mixed_product(tmp_path / "mixed")
    headers = {"Authorization": f"Bearer {create_token(folder, 'reader')}"}
    running = ServerThread(create_app([folder], chunk_rows=1024), free_port()).start()
    try:
        yield _url(running), headers, _entity_file(folder)
    finally:
        running.stop()


def _rewrite(file: Path, data: bytes) -> None:
    file.chmod(0o640)  # snapshots are made read-only
    file.write_bytes(data)


def test_an_altered_or_truncated_file_is_never_sent(own_product):
    url, headers, file = own_product
    original = file.read_bytes()
    assert httpx.get(url, params={"format": "parquet"}, headers=headers, timeout=60).content == original  # checked once
    middle = len(original) // 2
    altered = original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1:]  # same size, one byte
    for damaged, problem in [(altered, "sha256 differs"), (original[:-100], "bytes, the snapshot recorded")]:
        _rewrite(file, damaged)
        response = httpx.get(url, params={"format": "parquet"}, headers=headers, timeout=60)
        assert response.status_code == 500
        error = response.json()["error"]
        assert error["code"] == "integrity_error" and error["details"]["file"] == "entities/people.parquet"
        assert problem in error["message"] and "dataproduct verify" in error["message"]
    _rewrite(file, original)  # repaired: sent again
    repaired = httpx.get(url, params={"format": "parquet"}, headers=headers, timeout=60)
    assert repaired.status_code == 200 and repaired.content == original


def _open_handles(file: Path) -> int:
    """How many of this process's file descriptors are open on ``file`` (the server runs here)."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            count += os.readlink(fd) == str(file)
        except OSError:
            pass
    return count


def test_a_client_leaving_mid_file_leaves_the_snapshot_intact(server, tokens, served_dirs):
    product = Product.open(served_dirs["actg_synthetic"])
    snapshot = product.snapshot()
    file = snapshot.path / snapshot.entities["patients"]["file"]
    host, port = server.url.removeprefix("http://").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the server cannot send it all at once
            sock.sendall(f"GET /api/products/actg_synthetic/entities/patients/frame?format=parquet HTTP/1.1\r\n"
                         f"Host: {host}\r\nAuthorization: Bearer {tokens['synthetic_reader']}\r\n\r\n".encode())
            head = sock.recv(4096)
            assert head.startswith(b"HTTP/1.1 200") and PARQUET.encode() in head
        # gone after the first bytes
    deadline = time.monotonic() + 60
    while _open_handles(file) and time.monotonic() < deadline:  # the server closes the file when it notices
        time.sleep(0.05)
    assert _open_handles(file) == 0
    assert snapshot.verify() == []
    again = httpx.get(f"{server.url}/api/products/actg_synthetic/entities/patients/frame", params={"format": "parquet"},
                      headers={"Authorization": f"Bearer {tokens['synthetic_reader']}"}, timeout=60)
    assert again.status_code == 200 and again.content == file.read_bytes()
    assert_frame_equal(pl.read_parquet(again.content), product.frame("patients").collect())
