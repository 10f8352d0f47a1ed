"""``dataproduct/products/{name}/protocols``: the list, one protocol's form, validation."""

from __future__ import annotations

import pytest

from jupyter_dataproduct.core.errors import DataProductError


async def test_protocols_are_listed_with_parameter_summaries_and_tests(api):
    status, body = await api("products", "actg175", "protocols")
    assert status == 200
    protocols = {p["name"]: p for p in body["protocols"]}
    assert {"compare_arms", "survival", "cox_model", "patients"} <= set(protocols)
    compare = protocols["compare_arms"]
    assert compare["title"] and compare["version"] and compare["tests"] >= 1
    assert {"name": "cohort_a", "type": "cohort", "required": False} in compare["parameters"]


async def test_a_protocol_has_its_parameter_schema_and_details(api):
    status, detail = await api("products", "actg175", "protocols", "compare_arms")
    assert status == 200
    assert detail["schema"]["type"] == "object" and "cohort_a" in detail["schema"]["properties"]
    cohort_a = next(p for p in detail["parameters"] if p["name"] == "cohort_a")
    assert cohort_a["entity"] == "patients"


async def test_an_unknown_protocol_is_a_404_naming_the_protocols(api):
    status, body = await api("products", "actg175", "protocols", "nope")
    assert status == 404
    assert body["error"]["code"] == "protocol_not_found" and "compare_arms" in body["error"]["message"]


async def test_valid_parameters_bind(api):
    status, body = await api("products", "actg175", "protocols", "compare_arms", "validate", method="POST",
                             body={"parameters": {"cohort_a": "arms == 'ZDV'", "cohort_b": "age >= 40"}})
    assert (status, body) == (200, {"ok": True})


async def test_a_bad_parameter_gets_the_engines_message(api, actg_product):
    bad = {"cohort_a": "agee >= 40"}
    status, body = await api("products", "actg175", "protocols", "compare_arms", "validate", method="POST",
                             body={"parameters": bad})
    with pytest.raises(DataProductError) as expected:  # the CLI's message, from the same binding
        actg_product.bind("compare_arms", bad)
    assert status == 422 and body["error"]["message"] == expected.value.message
    assert "agee" in body["error"]["message"]
