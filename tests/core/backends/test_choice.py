"""Choosing the engine: an argument, then DATAPRODUCT_ENGINE, then the manifest's block with
its size threshold; polars otherwise. Unknown names say what is allowed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jupyter_dataproduct.core.backends.choice import choose_engine, parse_engine
from jupyter_dataproduct.core.errors import EngineError


@pytest.mark.parametrize("name, kind, master", [
    ("polars", "polars", None),
    ("spark-local[2]", "spark", "local[2]"),
    ("spark-local[*]", "spark", "local[*]"),
    ("sc://spark.example.org:15002", "spark", "sc://spark.example.org:15002"),
])
def test_engine_names(name, kind, master):
    choice = parse_engine(name)
    assert (choice.kind, choice.master) == (kind, master)


@pytest.mark.parametrize("name", ["spark", "local[2]", "spark-local[two]", "sc://", "duckdb", "polars\n"])
def test_unknown_engines_are_refused_with_what_is_allowed(name):
    if name == "polars\n":  # surrounding white space is forgiven
        assert parse_engine(name).kind == "polars"
        return
    with pytest.raises(EngineError, match=r"use 'polars', 'spark-local\[N\]'") as caught:
        parse_engine(name)
    assert caught.value.http_status == 422


def test_argument_then_environment_then_manifest_threshold():
    block = {"name": "sc://cluster:15002", "min_rows": 1_000_000}
    assert choose_engine("spark-local[2]", block, {"p": 5}, environ={"DATAPRODUCT_ENGINE": "polars"}).master == "local[2]"
    assert choose_engine(None, block, {"p": 5}, environ={"DATAPRODUCT_ENGINE": "spark-local[1]"}).master == "local[1]"
    assert choose_engine(None, block, {"p": 5, "q": 999_999}, environ={}).kind == "polars"
    assert choose_engine(None, block, {"p": 5, "q": 1_000_000}, environ={}).master == "sc://cluster:15002"
    assert choose_engine(None, None, {"p": 10**9}, environ={}).kind == "polars"


def test_small_products_never_import_pyspark(tiny_product):
    # The polars path of the backends, in a fresh interpreter: pyspark stays unimported.
    code = (
        "import sys; from jupyter_dataproduct.core.backends.choice import choose_engine;"
        "from jupyter_dataproduct.core.backends.polars_backend import PolarsBackend;"
        "from jupyter_dataproduct.core.backends.reducers import rank_sums;"
        "from jupyter_dataproduct.core.backends import spark_cohort;"
        "from jupyter_dataproduct.core.product import Product;"
        f"p = Product.open({str(tiny_product.path)!r}); p.build();"
        "assert choose_engine(environ={}).kind == 'polars';"
        "r = p.run_plugin('summary', {'entity': 'people'}, record=False);"  # a built-in through the seam
        "assert r.provenance['engine']['name'] == 'polars';"
        "print('pyspark' in sys.modules)"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATAPRODUCT_ENGINE"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment)
    assert result.stdout.strip() == "False"


def test_the_product_the_argument_and_the_environment_choose_in_that_order(tiny_product, monkeypatch):
    from jupyter_dataproduct.core.product import Product

    tiny_product.build()
    snapshot = tiny_product.snapshot()
    monkeypatch.delenv("DATAPRODUCT_ENGINE", raising=False)
    assert tiny_product.backend(snapshot).name == "polars"
    monkeypatch.setenv("DATAPRODUCT_ENGINE", "duckdb")
    with pytest.raises(EngineError, match="Unknown engine 'duckdb'"):
        tiny_product.backend(snapshot)
    assert tiny_product.backend(snapshot, engine="polars").name == "polars"  # the argument first
    assert Product.open(tiny_product.path, engine="polars").backend(snapshot).name == "polars"
    with pytest.raises(EngineError, match="use 'polars', 'spark-local"):
        Product.open(tiny_product.path, engine="spark")
