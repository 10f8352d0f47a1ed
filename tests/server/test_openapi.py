"""``/api/openapi.json``: only for a token, only what that token may see, pick-lists bounded."""

from __future__ import annotations

import httpx

P = "/api/products/actg175"

BY_PATIENT = """\
name: by_patient
version: 1.0.0
title: One patient
parameters:
  patient: {type: enum, choices_from: patients.pidnum}
steps:
  - id: rows
    query: patients
    with: {columns: [pidnum, age]}
"""


def description(base: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(f"{base}/api/openapi.json", headers=headers or {}, timeout=60)


def test_the_description_needs_a_token(http, headers):
    anonymous = http.get("/api/openapi.json")
    assert anonymous.status_code == 401
    assert "actg175" not in anonymous.text and "compare_arms" not in anonymous.text
    assert http.get("/api/openapi.json", headers={"Authorization": "Bearer dp_nonsense"}).status_code == 401


def test_the_description_shows_only_the_tokens_products(http, headers):
    spec = http.get("/api/openapi.json", headers=headers["synthetic_reader"]).json()
    assert "actg175" not in str(spec)
    names = spec["paths"]["/api/products/{name}"]["get"]["parameters"][0]["schema"]["enum"]
    assert names == ["actg_synthetic"]


def test_a_protocol_limited_token_sees_only_its_protocols(http, headers):
    runs = {p for p in http.get("/api/openapi.json", headers=headers["survival_only"]).json()["paths"]
            if p.startswith(P + "/protocols/") and not p.startswith(P + "/protocols/{")}
    assert runs == {f"{P}/protocols/survival/run"}
    everything = http.get("/api/openapi.json", headers=headers["analyst"]).json()["paths"]
    assert f"{P}/protocols/compare_arms/run" in everything


def test_a_reader_gets_no_run_operations(http, headers):
    paths = http.get("/api/openapi.json", headers=headers["reader"]).json()["paths"]
    assert not [p for p in paths if p.startswith(P + "/protocols/") and not p.startswith(P + "/protocols/{")]


def test_a_pick_list_over_patient_ids_is_capped(serve_variant, headers):
    base, _ = serve_variant({"protocols/by_patient.yaml": BY_PATIENT})
    spec = description(base, headers["analyst"]).json()
    body = spec["paths"][f"{P}/protocols/by_patient/run"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    patient = body["properties"]["patient"]
    assert "enum" not in patient and len(patient["examples"]) == 1000  # 2,139 patients
    # Every patient id still binds, past the listed ones too.
    last = httpx.get(f"{base}{P}/entities/patients/frame", params={"columns": "pidnum", "format": "json"},
                     headers=headers["reader"], timeout=60).json()[-1]["pidnum"]
    assert last not in patient["examples"]
    run = httpx.post(f"{base}{P}/protocols/by_patient/run", json={"patient": last}, headers=headers["analyst"], timeout=60)
    assert run.status_code == 200, run.text
    wrong = httpx.post(f"{base}{P}/protocols/by_patient/run", json={"patient": -1}, headers=headers["analyst"], timeout=60)
    assert wrong.status_code == 422 and "patient" in wrong.json()["error"]["message"]
