"""A product with hostile files (written by a careless or malicious author) cannot take the
server down or hide the rest of the product."""

from __future__ import annotations

import httpx

P = "/api/products/actg175"


def add_broken_protocols(folder) -> None:
    protocols = folder / "protocols"
    (protocols / "not_utf8.yaml").write_bytes(b"name: not_utf8\nversion: 1.0.0\ntitle: \"\xff\"\nsteps: []\n")
    (protocols / "huge_version.yaml").write_text(
        "name: huge_version\nversion: 1.0." + "9" * 5000 + "\nsteps: [{id: s, query: patients}]\n")


def test_a_broken_protocol_file_leaves_the_others_working_over_http(serve_copy):
    base, admin, _ = serve_copy(add_broken_protocols)
    with httpx.Client(base_url=base, headers=admin, timeout=60) as http:
        listed = http.get(f"{P}/protocols")
        assert listed.status_code == 200, listed.text
        assert "survival" in {p["name"] for p in listed.json()}
        assert http.get(f"{P}/protocols/survival").status_code == 200
        spec = http.get("/api/openapi.json")
        assert spec.status_code == 200 and f"{P}/protocols/survival/run" in spec.json()["paths"]
        run = http.post(f"{P}/protocols/survival/run", json={}, params={"tables": "json"})
        assert run.status_code == 200, run.text
        broken = http.get(f"{P}/protocols/not_utf8")
        assert broken.status_code == 422 and "is not UTF-8 text" in broken.json()["error"]["message"]
