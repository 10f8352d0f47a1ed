"""A plugin's form and its source over HTTP: described to readers, the source shared only
when the server is started with ``share_plugin_source`` (``--share-plugin-source``)."""

from __future__ import annotations

import httpx
import pytest

P = "/api/products/actg175"


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


def test_a_reader_gets_a_plugins_typed_parameters_and_schema(http, headers):
    response = http.get(f"{P}/plugins/cd4_response", headers=headers["reader"])
    assert response.status_code == 200
    detail = response.json()
    assert detail["kind"] == "python" and detail["file"] == "plugins/cd4_response.py"
    assert detail["parameter_types"]["threshold"] == {"type": "int", "required": False, "default": 50}
    assert detail["schema"]["properties"]["patients"]["x-entity"] == "patients"
    notebook = http.get(f"{P}/plugins/arm_profile", headers=headers["reader"]).json()
    assert notebook["kind"] == "notebook" and notebook["file"] == "plugins/arm_profile.ipynb"


def test_the_source_is_refused_by_default_with_how_to_share_it(http, headers):
    response = http.get(f"{P}/plugins/cd4_response/source", headers=headers["admin"])
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "source_not_shared" and "--share-plugin-source" in error["message"]


@pytest.mark.parametrize("path,status", [
    (f"{P}/plugins/cd4_response", 401), (f"{P}/plugins/cd4_response/source", 401),
])
def test_no_token_no_plugin(http, path, status):
    assert http.get(path).status_code == status


def test_a_shared_source_reaches_readers_of_allowed_plugins_only(serve_variant, tokens):
    base, folder = serve_variant(share_plugin_source=True)
    reader = {"Authorization": f"Bearer {tokens['reader']}"}
    limited = {"Authorization": f"Bearer {tokens['survival_only']}"}
    with httpx.Client(base_url=base, timeout=60) as http:
        source = http.get(f"{P}/plugins/cox_model/source", headers=reader).json()
        assert source["file"] == "plugins/cox_model.R" and source["kind"] == "r"
        assert source["text"] == (folder / "plugins" / "cox_model.R").read_text()
        assert str(folder) not in str(source)
        assert http.get(f"{P}/plugins/cox_model/source", headers=limited).status_code == 403
        for name, code in (("nope", "plugin_not_found"), ("survival", "no_plugin_source"),
                           ("..%2F..%2Fdataproduct.yaml", "not_found"), ("x" * 3000, "plugin_not_found")):
            response = http.get(f"{P}/plugins/{name}/source", headers=reader)
            assert response.status_code == 404 and error_of(response)["code"] == code
