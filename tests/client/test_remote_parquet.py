"""The remote client reads a whole entity as the snapshot's Parquet file, any other frame as
Arrow, and both give the very frame a local read gives (dtypes, enums, dates, nulls).

A product with nulls, categories (enums), dates and an empty entity, and the same product
stored in parts, are served by a real server in this process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from tests.mixed_types import write_mixed_product
from tests.server.conftest import ServerThread, create_token, free_port
from jupyter_dataproduct.client import remote as remote_module
from jupyter_dataproduct.client.remote import RemoteTransport
from jupyter_dataproduct.core.errors import IntegrityError, ParameterError
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.server import create_app


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("remote-parquet")
    return {"mixed": write_mixed_product(root / "mixed"),
            "parted": write_mixed_product(root / "parted", name="parted", part_rows=1000),
            "large": write_mixed_product(root / "large", rows=200_000, name="large")}


@pytest.fixture(scope="module")
def connect(folders):
    """``connect(product, **options)``: a RemoteTransport to the served product."""
    running = ServerThread(create_app(list(folders.values()), chunk_rows=1024), free_port()).start()
    tokens = {name: create_token(folder, "reader") for name, folder in folders.items()}
    opened: list[RemoteTransport] = []

    def open_one(product: str = "mixed", **options) -> RemoteTransport:
        opened.append(RemoteTransport(f"{running.url}/{product}", tokens[product], timeout=60, **options))
        return opened[-1]

    try:
        yield open_one
    finally:
        for transport in opened:
            transport.close()
        running.stop()


def _file_size(folder: Path, entity: str) -> int:
    snapshot = Product.open(folder).snapshot()
    return (snapshot.path / snapshot.entities[entity]["file"]).stat().st_size


@pytest.mark.parametrize("entity", ["people", "visits"])
def test_a_whole_entity_read_as_parquet_is_the_local_frame_and_the_arrow_one(connect, folders, entity):
    local = Product.open(folders["mixed"]).frame(entity).collect()
    heard = []
    as_parquet = connect().frame(entity, None, None, "latest", None, progress=heard.append)
    as_arrow = connect(parquet=False).frame(entity, None, None, "latest", None)
    assert_frame_equal(as_parquet, local)
    assert_frame_equal(as_parquet, as_arrow)
    assert heard[-1].done == heard[-1].total == _file_size(folders["mixed"], entity)  # it was the Parquet file
    if entity == "people":  # the kinds of values that must survive the trip are really there
        assert str(local.schema["group"]).startswith("Enum") and str(local.schema["enrolled"]) == "Date"
        assert all(count > 0 for count in local.null_count().row(0)[1:])
    else:
        assert local.height == 0


def test_progress_counts_the_parquet_bytes_on_the_way(connect, folders, monkeypatch):
    monkeypatch.setattr(remote_module, "PROGRESS_BYTES", 64 << 10)  # a report every 64 kB instead of every 4 MB
    heard = []
    frame = connect("large").frame("people", None, None, "latest", None, progress=heard.append)
    size = _file_size(folders["large"], "people")
    assert size > 256 << 10 and len(heard) >= 3  # on the way, then at the end
    assert [event.done for event in heard] == sorted(event.done for event in heard)
    assert all(event.total == size for event in heard) and heard[-1].done == size
    assert_frame_equal(frame, Product.open(folders["large"]).frame("people").collect())


def test_filtered_reads_come_as_arrow_and_equal_the_local_ones(connect, folders):
    product = Product.open(folders["mixed"])
    remote = connect()
    for where, columns, limit in [("age >= 40", None, None), (None, ["id", "group", "enrolled"], None),
                                  (None, None, 100), ("smoker == true", ["weight"], 7)]:
        expected = product.frame("people", where, columns, limit=limit).collect()
        assert_frame_equal(remote.frame("people", where, columns, "latest", limit), expected)


def test_an_entity_in_parts_comes_as_arrow(connect, folders):
    heard = []
    frame = connect("parted").frame("people", None, None, "latest", None, progress=heard.append)
    assert_frame_equal(frame, Product.open(folders["parted"]).frame("people").collect())
    assert heard[-1].done != _file_size(folders["parted"], "people")  # the Arrow stream, not a file


def test_a_damaged_file_on_the_server_is_an_integrity_error(tmp_path):
    folder = write_mixed_product(tmp_path / "mixed")
    snapshot = Product.open(folder).snapshot()
    file = snapshot.path / snapshot.entities["people"]["file"]
    file.chmod(0o640)
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))
    served = ServerThread(create_app([folder]), free_port()).start()
    try:
        with RemoteTransport(f"{served.url}/mixed", create_token(folder, "reader"), timeout=60) as remote:
            with pytest.raises(IntegrityError, match="entities/people.parquet changed"):
                remote.frame("people", None, None, "latest", None)
    finally:
        served.stop()


def test_the_parquet_option_is_a_boolean():
    with pytest.raises(ParameterError, match="parquet is True"):
        RemoteTransport("http://127.0.0.1:9/mixed", "token", parquet="yes")
