"""Who may see and change what: every role x protocol limit x endpoint, as a matrix.

The rule (README, "Serving products over HTTP"): history entries and artifacts carry the
protocol that made them; a token limited to some protocols sees only those entries, those
results and plugins of those names (cohorts, which no protocol made, are visible to every
reader). Writes need the analyst role; a token replaces or deletes only an artifact saved
by its own role or a lower one (an admin's artifact only an admin), and a protocol-limited
token only the artifacts it saved itself.
"""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest

from tests.server.conftest import create_token

P = "/api/products/actg175"
ROLES = ("reader", "analyst", "admin")
LIMITS = (None, "compare_arms")


@pytest.fixture(scope="module")
def matrix_tokens(served_dirs) -> dict[tuple[str, str | None], dict[str, str]]:
    """An Authorization header for each (role, protocol limit)."""
    actg = served_dirs["actg175"]
    return {(role, limit): {"Authorization": f"Bearer {create_token(actg, role, *([limit] if limit else []))}"}
            for role, limit in itertools.product(ROLES, LIMITS)}


@pytest.fixture(scope="module")
def made(base_url, headers) -> dict[str, str]:
    """What the tokens act on: a survival and a compare_arms run (history and saved results),
    made by an admin, and a cohort saved by an analyst."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        admin, analyst = headers["admin"], headers["analyst"]
        survival = http.post(f"{P}/protocols/survival/run", json={}, headers=admin).json()["provenance"]["history_id"]
        compare = http.post(f"{P}/protocols/compare_arms/run", json={"variables": ["age"]},
                            headers=admin).json()["provenance"]["history_id"]
        for name, entry in (("m_survival", survival), ("m_compare", compare)):
            saved = http.put(f"{P}/artifacts/{name}", json={"kind": "result", "history_id": entry, "overwrite": True}, headers=admin)
            assert saved.status_code == 201, saved.text
        cohort = {"kind": "cohort", "entity": "patients", "cohort": "age >= 50", "overwrite": True}
        assert http.put(f"{P}/artifacts/m_cohort", json=cohort, headers=analyst).status_code == 201
    return {"survival": survival, "compare": compare}


def fresh_cohort(http: httpx.Client, saved_by: dict[str, str]) -> str:
    name = f"m_{uuid.uuid4().hex[:10]}"
    response = http.put(f"{P}/artifacts/{name}", json={"kind": "cohort", "entity": "patients", "cohort": "age >= 40"},
                        headers=saved_by)
    assert response.status_code == 201, response.text
    return name


def expected(role: str, limit: str | None, endpoint: str) -> int:
    """The rule, written out independently of the server's code."""
    rank = ROLES.index(role)
    runs = rank >= 1
    sees_survival = limit is None
    if endpoint in ("list history", "list artifacts", "list plugins", "load compare result", "load cohort"):
        return 200
    if endpoint == "load survival result":
        return 200 if sees_survival else 403
    if endpoint == "survival history result":
        return 200 if runs and sees_survival else 403
    if endpoint == "compare history result":
        return 200 if runs else 403
    if endpoint == "run survival plugin":
        return 200 if runs and sees_survival else 403
    if endpoint in ("replace admin's", "delete admin's"):
        ok = role == "admin" and limit is None
        return (201 if endpoint.startswith("replace") else 200) if ok else 403
    if endpoint in ("replace analyst's", "delete analyst's"):
        ok = runs and limit is None
        return (201 if endpoint.startswith("replace") else 200) if ok else 403
    if endpoint in ("replace own", "save new"):
        return 201 if runs else 403
    raise AssertionError(endpoint)


ENDPOINTS = ["list history", "list artifacts", "list plugins", "load compare result", "load cohort", "load survival result",
             "survival history result", "compare history result", "run survival plugin", "replace admin's",
             "delete admin's", "replace analyst's", "delete analyst's", "replace own", "save new"]


def call(http: httpx.Client, endpoint: str, token: dict[str, str], made: dict[str, str], headers) -> httpx.Response:
    cohort = {"kind": "cohort", "entity": "patients", "cohort": "age >= 60", "overwrite": True}
    if endpoint == "list history":
        return http.get(f"{P}/history", headers=token)
    if endpoint == "list artifacts":
        return http.get(f"{P}/artifacts", headers=token)
    if endpoint == "list plugins":
        return http.get(f"{P}/plugins", headers=token)
    if endpoint == "load compare result":
        return http.get(f"{P}/artifacts/m_compare", headers=token)
    if endpoint == "load cohort":
        return http.get(f"{P}/artifacts/m_cohort", headers=token)
    if endpoint == "load survival result":
        return http.get(f"{P}/artifacts/m_survival", headers=token)
    if endpoint == "survival history result":
        return http.get(f"{P}/history/{made['survival']}/result", headers=token)
    if endpoint == "compare history result":
        return http.get(f"{P}/history/{made['compare']}/result", headers=token)
    if endpoint == "run survival plugin":
        return http.post(f"{P}/plugins/survival/run", headers=token,
                         json={"entity": "patients", "time": "days", "event": "cens", "group": "arms"})
    if endpoint in ("replace admin's", "delete admin's", "replace analyst's", "delete analyst's"):
        name = fresh_cohort(http, headers["admin" if "admin" in endpoint else "analyst"])
        if endpoint.startswith("replace"):
            return http.put(f"{P}/artifacts/{name}", json=cohort, headers=token)
        return http.delete(f"{P}/artifacts/{name}", headers=token)
    if endpoint == "replace own":
        name = f"m_{uuid.uuid4().hex[:10]}"
        first = http.put(f"{P}/artifacts/{name}", json=cohort, headers=token)
        if first.status_code != 201:
            return first
        return http.put(f"{P}/artifacts/{name}", json=cohort, headers=token)
    if endpoint == "save new":
        return http.put(f"{P}/artifacts/m_{uuid.uuid4().hex[:10]}", json=cohort, headers=token)
    raise AssertionError(endpoint)


@pytest.mark.parametrize("role,limit", list(itertools.product(ROLES, LIMITS)), ids=lambda v: str(v))
def test_role_x_limit_x_endpoint(base_url, headers, matrix_tokens, made, role, limit):
    token = matrix_tokens[(role, limit)]
    wrong = []
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for endpoint in ENDPOINTS:
            response = call(http, endpoint, token, made, headers)
            if response.status_code != expected(role, limit, endpoint):
                wrong.append((endpoint, response.status_code, expected(role, limit, endpoint), response.text[:200]))
            if limit and response.status_code == 200 and endpoint.startswith("list"):
                wrong += [(endpoint, "shows", item) for item in _shown_protocols(endpoint, response.json()) if item != limit]
    assert not wrong, wrong


def _shown_protocols(endpoint: str, listed: list[dict]) -> list[str]:
    if endpoint == "list history":
        return [entry["provenance"]["protocol"] for entry in listed]
    if endpoint == "list artifacts":
        return [a["provenance"]["protocol"] for a in listed if "protocol" in a["provenance"]]
    return [plugin["name"] for plugin in listed]


def test_an_unlimited_token_sees_every_protocols_entries(http, matrix_tokens, made):
    listed = http.get(f"{P}/history", headers=matrix_tokens[("reader", None)]).json()
    assert {"survival", "compare_arms"} <= {entry["provenance"]["protocol"] for entry in listed}
    names = {a["name"] for a in http.get(f"{P}/artifacts", headers=matrix_tokens[("reader", None)]).json()}
    assert {"m_survival", "m_compare", "m_cohort"} <= names
    limited = {a["name"] for a in http.get(f"{P}/artifacts", headers=matrix_tokens[("reader", "compare_arms")]).json()}
    assert {"m_compare", "m_cohort"} <= limited and "m_survival" not in limited
