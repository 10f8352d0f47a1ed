"""An entity written in Parquet parts (``snapshots: {part_rows: N}``) reads the same on every
engine as the same entity in one file: polars scans the listed parts, Spark reads the
entity's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core.backends.choice import parse_engine
from jupyter_dataproduct.core.backends.polars_backend import PolarsBackend
from jupyter_dataproduct.core.cohort import cohort_from_value
from jupyter_dataproduct.core.product import Product

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "actg175"


@pytest.fixture(scope="module")
def one_file_and_parts(tmp_path_factory) -> tuple[Product, Product]:
    products = []
    for name, block in (("one-file", ""), ("parts", "snapshots: {part_rows: 1000}\n")):
        folder = tmp_path_factory.mktemp("parts") / name
        shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dataproduct"))
        (folder / "dataproduct.yaml").write_text((folder / "dataproduct.yaml").read_text() + block)
        product = Product(folder)
        product.build()
        products.append(product)
    assert len(products[1].snapshot().entity_parts("patients")) == 3
    return products[0], products[1]


@pytest.fixture
def backend(engine):
    if engine == "polars":
        return PolarsBackend()
    from jupyter_dataproduct.core.backends.spark_backend import SparkBackend

    return SparkBackend(parse_engine(engine))


def test_reducers_read_every_part(backend, one_file_and_parts):
    whole, parts = one_file_and_parts
    entity = parts.manifest.model.entities["patients"]
    cohorts = {"a": cohort_from_value("arms == 'ZDV'", "patients", entity), "b": cohort_from_value("age >= 40", "patients", entity)}
    references = {"age": 12.0, "cd40": 0.0}
    expected = PolarsBackend().moments(whole.snapshot(), entity, cohorts, ["age", "cd40"], references)
    got = backend.moments(parts.snapshot(), entity, cohorts, ["age", "cd40"], references)
    assert_frame_equal(got, expected, check_exact=False, rel_tol=1e-9, abs_tol=0.0)
    counts = backend.value_counts(parts.snapshot(), entity, cohorts, ["gender"])
    assert counts.keys() == {"gender"}
    assert_frame_equal(counts["gender"], PolarsBackend().value_counts(whole.snapshot(), entity, cohorts, ["gender"])["gender"])
