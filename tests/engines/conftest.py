"""Engines under test: polars always; Spark through one shared ``local[2]`` session.

The Spark session starts once for the whole test run (a JVM start costs 10-30 s here).
``DATAPRODUCT_ENGINE`` picks the Spark master (``spark-local[2]`` by default). Spark
tests are skipped, with the reason, only where pyspark or Java is really absent.
"""

from __future__ import annotations

import os
import shutil

import pytest

from jupyter_dataproduct.core.backends.choice import ENVIRONMENT_VARIABLE, parse_engine
from jupyter_dataproduct.core.product import Product

from tests.engines.products import copy_example, write_generated

ENGINES = ["polars", "spark"]


def _spark_choice():
    name = os.environ.get(ENVIRONMENT_VARIABLE, "")
    choice = parse_engine(name) if name and name != "polars" else parse_engine("spark-local[2]")
    return choice


@pytest.fixture(scope="session")
def spark():
    """The shared Spark session (skipped only when pyspark or Java is missing)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'jupyter-dataproduct[spark]')")
    choice = _spark_choice()
    if choice.master and choice.master.startswith("local") and shutil.which("java") is None:
        pytest.skip("Java is not installed (apt-get install openjdk-17-jre-headless)")
    from jupyter_dataproduct.core.backends.spark_session import spark_session

    return spark_session(choice)


@pytest.fixture(params=ENGINES)
def engine(request):
    """Each test using this runs once per engine; Spark's session is shared."""
    if request.param == "spark":
        request.getfixturevalue("spark")
        return _spark_choice().name
    return "polars"


@pytest.fixture(scope="session")
def actg(tmp_path_factory) -> Product:
    """A built copy of the example product (ACTG 175), shared by the engine tests."""
    return copy_example(tmp_path_factory.mktemp("engines") / "actg175")


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Product:
    """The generated product with the numerical traps (see ``products.py``)."""
    return write_generated(tmp_path_factory.mktemp("engines") / "generated")
