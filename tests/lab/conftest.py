"""A real Jupyter Server with the Data Products extension (pytest-jupyter's ``jp_fetch``).

pytest-jupyter's fixtures are loaded in this folder only: registered for the whole suite
they clash with Playwright's sync API in the browser tests.

- ``root``: the Jupyter root, holding built copies of the tiny product and of ACTG 175
  (``products/tiny``, ``products/actg175``: found by the search).
- ``connections_file``: ``$DATAPRODUCT_CONNECTIONS`` for this test (the file the panel writes).
- ``api``: ``await api("products")`` -> (status, JSON) for any verb, errors included.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from jupyter_dataproduct.core.product import Product

pytest_plugins = ["pytest_jupyter.jupyter_server"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "actg175"


@pytest.fixture
def lab_settings() -> dict[str, Any]:
    """``c.DataProductLab`` for this test (override it in a test module to configure products)."""
    return {}


@pytest.fixture
def jp_server_config(lab_settings):
    return {"ServerApp": {"jpserver_extensions": {"jupyter_dataproduct": True}}, "DataProductLab": lab_settings}


@pytest.fixture
def connections_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "config" / "connections.json"
    monkeypatch.setenv("DATAPRODUCT_CONNECTIONS", str(path))
    return path


@pytest.fixture(scope="session")
def built_actg(tmp_path_factory) -> Path:
    """ACTG 175 built once; tests copy it (snapshot included)."""
    target = tmp_path_factory.mktemp("built") / "actg175"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dataproduct"))
    Product.open(target).build()
    return target


@pytest.fixture
def root(jp_root_dir: Path, tiny_dir: Path, built_actg: Path, connections_file) -> Path:
    """The Jupyter root with ``products/tiny`` and ``products/actg175`` (both built) in it."""
    target = jp_root_dir / "products" / "tiny"
    shutil.copytree(tiny_dir, target)
    Product.open(target).build()
    shutil.copytree(built_actg, jp_root_dir / "products" / "actg175", symlinks=True)
    return jp_root_dir


@pytest.fixture
def api(jp_fetch, root):
    async def call(*parts: str, method: str = "GET", body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method in ("POST", "PUT"):
            kwargs["body"] = "{}"
        response = await jp_fetch("dataproduct", *parts, method=method, raise_error=False, **kwargs)
        text = response.body.decode()
        return response.code, (json.loads(text) if text else None)

    return call
