"""The named-connections file shared by the Data Products panel and the magics."""

from __future__ import annotations

import json
import stat

import pytest

from jupyter_dataproduct.client import connections
from jupyter_dataproduct.client.connections import Connection
from jupyter_dataproduct.core.errors import InvalidNameError


@pytest.fixture
def path(tmp_path, monkeypatch):
    file = tmp_path / "nested" / "connections.json"
    monkeypatch.setenv("DATAPRODUCT_CONNECTIONS", str(file))
    monkeypatch.delenv("DATAPRODUCT_LAB_PRODUCTS", raising=False)
    return file


def test_the_file_is_written_for_its_owner_only_and_read_back(path):
    connections.add(Connection("trial", "http://127.0.0.1:8750/actg175", "dp_secret"))
    connections.add(Connection("local", "/data/actg175"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert connections.load() == {"trial": Connection("trial", "http://127.0.0.1:8750/actg175", "dp_secret"),
                                  "local": Connection("local", "/data/actg175")}
    assert connections.remove("trial") and not connections.remove("trial")
    assert list(json.loads(path.read_text())["connections"]) == ["local"]


def test_the_token_is_not_in_the_repr(path):
    assert "dp_secret" not in repr(Connection("trial", "http://h/actg175", "dp_secret"))


def test_the_default_place_is_jupyters_data_dir(monkeypatch, tmp_path):
    from jupyter_core.paths import jupyter_data_dir

    monkeypatch.delenv("DATAPRODUCT_CONNECTIONS", raising=False)
    assert connections.connections_path() == __import__("pathlib").Path(jupyter_data_dir()) / "dataproduct" / "connections.json"


def test_a_name_is_resolved_or_the_known_names_are_listed(path, monkeypatch):
    connections.add(Connection("local", "/data/actg175"))
    monkeypatch.setenv("DATAPRODUCT_LAB_PRODUCTS", json.dumps([{"name": "served", "location": "http://h/x",
                                                                 "token_env": "SERVED_TOKEN"}]))
    monkeypatch.setenv("SERVED_TOKEN", "dp_from_env")
    assert connections.resolve("served") == Connection("served", "http://h/x", "dp_from_env", origin="config")
    assert connections.resolve("local").location == "/data/actg175"
    with pytest.raises(connections.UnknownConnectionError, match=r"No connection named 'other'; known: local, served"):
        connections.resolve("other")


@pytest.mark.parametrize("name", ["", "../x", "a/b", "-x", "x" * 65, "has space"])
def test_bad_names_are_refused(path, name):
    with pytest.raises(InvalidNameError, match="is not a connection name"):
        connections.add(Connection(name, "/data/x"))
    assert not path.exists()


def test_a_damaged_file_is_a_clear_error(path):
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(connections.ConnectionsFileError, match="Cannot read the connections file"):
        connections.load()
    path.write_text("[]")
    with pytest.raises(connections.ConnectionsFileError, match="is not a connections file"):
        connections.load()
