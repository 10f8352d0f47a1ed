"""``cohorts/count`` (the cohort builder's "N of M") and ``artifacts`` (its ``@name`` picker)."""

from __future__ import annotations

import pytest

from jupyter_dataproduct.core.product import Product


async def test_a_text_cohort_is_counted_and_written_as_text(api):
    status, body = await api("products", "tiny", "cohorts", "count", method="POST",
                             body={"entity": "people", "cohort": "age >= 40"})
    assert (status, body) == (200, {"matched": 3, "total": 5, "text": "age >= 40"})


async def test_a_tree_cohort_is_counted_and_its_text_given(api):
    tree = {"and": [{"column": "age", "op": ">=", "value": 40}, {"column": "smoker", "op": "==", "value": True}]}
    status, body = await api("products", "tiny", "cohorts", "count", method="POST",
                             body={"entity": "people", "cohort": tree})
    assert status == 200 and (body["matched"], body["total"]) == (2, 5)
    assert "age >= 40" in body["text"] and "smoker" in body["text"]


async def test_an_empty_cohort_is_everyone(api):
    status, body = await api("products", "actg175", "cohorts", "count", method="POST",
                             body={"entity": "patients", "cohort": ""})
    assert status == 200 and body["matched"] == body["total"] == 2139


async def test_a_saved_cohort_is_counted_by_name_and_listed_as_an_artifact(api, root):
    Product.open(root / "products" / "tiny").save_cohort("older", "people", "age >= 50")
    status, body = await api("products", "tiny", "cohorts", "count", method="POST",
                             body={"entity": "people", "cohort": "@older"})
    assert status == 200 and (body["matched"], body["total"]) == (2, 5)
    status, body = await api("products", "tiny", "artifacts")
    assert status == 200
    assert [(a["name"], a["kind"], a["entity"]) for a in body["artifacts"]] == [("older", "cohort", "people")]


@pytest.mark.parametrize("payload,status,code,words", [
    ({"entity": "people", "cohort": "agee >= 40"}, 422, "column_not_found", "agee"),
    ({"entity": "people", "cohort": "age >>= 40"}, 422, "invalid_parameter", "age >>= 40"),
    ({"entity": "people", "cohort": {"or": "x"}}, 422, "invalid_parameter", "or"),
    ({"entity": "nobody", "cohort": "age > 1"}, 422, "invalid_parameter", "nobody"),
    ({"entity": "people", "cohort": "@missing"}, 404, "artifact_not_found", "missing"),
    ({"cohort": "age > 1"}, 400, "bad_request", "entity"),
    ({"entity": "people", "cohort": 42}, 400, "bad_request", "cohort"),
])
async def test_a_bad_cohort_gets_a_clear_error(api, payload, status, code, words):
    answer, body = await api("products", "tiny", "cohorts", "count", method="POST", body=payload)
    assert answer == status and body["error"]["code"] == code, body
    assert words in body["error"]["message"]
