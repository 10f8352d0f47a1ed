"""Opening a product folder: a path that is not one is refused, saying what is there."""

from __future__ import annotations

import pytest

from jupyter_dataproduct.core.errors import ProductNotFoundError
from jupyter_dataproduct.core.product import Product


def test_a_missing_folder_says_so_and_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProductNotFoundError) as caught:
        Product.open("examples/actg175")
    error = caught.value
    assert error.message == (
        f"No data product at {tmp_path / 'examples' / 'actg175'}: the folder does not exist "
        f"(`examples/actg175` is relative to the working folder {tmp_path})."
    )
    assert error.details["looked_in"] == str(tmp_path / "examples" / "actg175") and error.http_status == 404


def test_an_absolute_missing_path_is_named_as_given(tmp_path):
    with pytest.raises(ProductNotFoundError, match=f"^No data product at {tmp_path / 'gone'}: the folder does not exist.$"):
        Product.open(tmp_path / "gone")


def test_a_file_is_not_a_product_folder(tmp_path):
    (tmp_path / "data.csv").write_text("a\n1\n")
    with pytest.raises(ProductNotFoundError, match="data.csv is a file; a data product is a folder holding dataproduct.yaml"):
        Product.open(tmp_path / "data.csv")


def test_a_folder_without_a_manifest_suggests_init_there(tmp_path):
    with pytest.raises(ProductNotFoundError) as caught:
        Product.open(tmp_path)
    assert caught.value.message == (
        f"{tmp_path} is not a data product: it has no dataproduct.yaml. To start one there: `dataproduct init {tmp_path}`."
    )
