"""The Artifacts section's API: the list with kind, created, provenance and the role; delete."""

from __future__ import annotations

import pytest

from jupyter_dataproduct.core.product import Product


@pytest.fixture
def saved(root):
    """A saved cohort in the tiny product."""
    product = Product.open(root / "products" / "tiny")
    product.save_cohort("older", "people", "age >= 50")
    return product


async def test_artifacts_carry_kind_created_provenance_and_the_role(api, saved):
    status, body = await api("products", "tiny", "artifacts")
    assert status == 200 and body["role"] == "admin" and "delete_artifact" in body["actions"]
    older = next(a for a in body["artifacts"] if a["name"] == "older")
    assert older["kind"] == "cohort" and older["entity"] == "people" and older["created"]
    assert older["provenance"]["snapshot"] == saved.snapshot("latest").id
    assert older["provenance"]["cohort"]["entity"] == "people"


async def test_a_saved_result_shows_its_protocol_and_parameters(api, root):
    product = Product.open(root / "products" / "actg175")
    product.artifacts.save_result("summary", product.run("baseline_summary", {}, snapshot="latest"))
    status, body = await api("products", "actg175", "artifacts")
    summary = next(a for a in body["artifacts"] if a["name"] == "summary")
    assert summary["kind"] == "result"
    assert summary["provenance"]["protocol"] == "baseline_summary"
    assert summary["provenance"]["snapshot"] == product.snapshot("latest").id


async def test_an_artifact_is_deleted_and_gone(api, saved):
    status, body = await api("products", "tiny", "artifacts", "older", method="DELETE")
    assert status == 204 and body is None
    status, body = await api("products", "tiny", "artifacts")
    assert "older" not in [a["name"] for a in body["artifacts"]]
    status, body = await api("products", "tiny", "artifacts", "older", method="DELETE")
    assert status == 404 and body["error"]["code"] == "artifact_not_found"


@pytest.mark.parametrize("name", ["..", "a..b", "-x", "x" * 200, "a b", "%00"])
async def test_a_bad_artifact_name_is_a_4xx_naming_what_is_allowed(api, saved, name):
    status, body = await api("products", "tiny", "artifacts", name, method="DELETE")
    assert status in (404, 422) and body["error"]["code"] in ("invalid_name", "not_found"), body
    assert "older" in [a.name for a in saved.artifacts.list()]


async def test_deleting_from_an_unknown_product_is_a_404(api, saved):
    status, body = await api("products", "nope", "artifacts", "older", method="DELETE")
    assert status == 404 and body["error"]["code"] == "unknown_product"
