"""Client input that once gave 5xx (found by hand and by schemathesis): each is a 422 that
names the parameter, never a server error."""

from __future__ import annotations

import pytest

P = "/api/products/actg175"


@pytest.mark.parametrize(
    ("path", "body", "parameter"),
    [
        ("protocols/compare_arms/run", {"cohort_a": {"column": 5, "op": "==", "value": 1}, "cohort_b": "arms == 1"}, "cohort_a"),
        ("protocols/compare_arms/run", {"cohort_a": {"column": ["age"], "op": ">", "value": 1}, "cohort_b": "arms == 1"}, "cohort_a"),
        ("protocols/compare_arms/run", {"cohort_a": "age > " + "1" + "0" * 40, "cohort_b": "arms == 1"}, "cohort_a"),
        ("protocols/compare_arms/run", {"cohort_a": "age > 1e40", "cohort_b": "arms == 1"}, "cohort_a"),
        ("protocols/compare_arms/run", {"cohort_a": "age > " + "9" * 5000, "cohort_b": "arms == 1"}, "cohort_a"),
        ("protocols/compare_arms/run", {"cohort_a": {"column": "age", "op": ">", "value": 10**30}, "cohort_b": "arms == 1"}, "cohort_a"),
        ("protocols/patients/run", {"limit": 10**30}, "limit"),
        ("plugins/frame/run", {"entity": "patients", "limit": -5}, "limit"),
        ("plugins/frame/run", {"entity": "patients", "limit": 10**19}, "limit"),
        ("plugins/cd4_response/run", {"threshold": 10**25}, "threshold"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_bad_values_are_422_naming_the_parameter(http, headers, path, body, parameter):
    response = http.post(f"{P}/{path}", json=body, headers=headers["analyst"])
    assert response.status_code == 422, response.text[:500]
    assert parameter in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("protocols/cd4_response/run", {"week": None}),
        ("protocols/cd4_response/run", {"cohort": None, "threshold": None}),
        ("protocols/survival/run", {"group": None}),
        ("protocols/compare_arms/run", {"cohort_a": None, "cohort_b": "arms == 1", "variables": None}),
    ],
    ids=lambda v: str(v)[:40],
)
def test_an_explicit_null_means_the_default(http, headers, path, body):
    response = http.post(f"{P}/{path}", json=body, headers=headers["analyst"])
    assert response.status_code == 200, response.text[:500]
    given = {k: v for k, v in response.json()["provenance"]["parameters"].items() if k in body}
    assert given and all(v is not None for v in given.values())
