"""Reading requests: every client value is bounded in depth and size before anything walks it."""

from __future__ import annotations

import json

P = "/api/products/actg175"


def nested_list(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def test_a_deeply_nested_value_is_refused_without_a_server_error(http, headers):
    for body in ('{"group": ' + nested_list(500) + '}',
                 '{"cohort": {"column": "age", "op": "in", "value": ' + nested_list(500) + '}}'):
        response = http.post(f"{P}/protocols/survival/run", content=body,
                             headers={**headers["analyst"], "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert len(response.content) < 2_000 and "deep" in response.json()["error"]["message"]


def test_a_deeply_nested_tree_in_a_frame_request_is_refused(http, headers):
    where = {"not": {}}
    for _ in range(400):
        where = {"not": where}
    response = http.post(f"{P}/entities/patients/frame", content=json.dumps({"where": where}),
                         headers={**headers["reader"], "Content-Type": "application/json"})
    assert response.status_code == 400, response.text


def test_too_many_values_in_a_body_are_refused(http, headers):
    body = json.dumps({"cohort_a": {"or": [[0] for _ in range(100_000)]}})
    response = http.post(f"{P}/protocols/compare_arms/run", content=body,
                         headers={**headers["analyst"], "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert "values" in response.json()["error"]["message"]


def test_a_reasonable_tree_still_runs(http, headers):
    tree = {"or": [{"column": "age", "op": "==", "value": age} for age in range(30, 60)]}
    response = http.post(f"{P}/protocols/compare_arms/run", json={"cohort_a": tree, "cohort_b": "arms == 1"},
                         headers=headers["analyst"])
    assert response.status_code == 200, response.text
