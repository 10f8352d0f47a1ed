"""``dataproduct/products/{name}/plugins``: the list, a plugin's form, its source, validation,
for a folder under the root, one outside it, and a real ``dataproduct serve`` (reader token)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from jupyter_dataproduct.cli import main as cli
from tests.servers import dataproduct_serve

PLUGIN_ENDPOINTS = [
    ("GET", ("products", "actg175", "plugins")),
    ("GET", ("products", "actg175", "plugins", "cd4_response")),
    ("GET", ("products", "actg175", "plugins", "cd4_response", "source")),
    ("POST", ("products", "actg175", "plugins", "cd4_response", "validate")),
]


@pytest.mark.parametrize("method,parts", PLUGIN_ENDPOINTS)
async def test_every_plugin_endpoint_needs_jupyters_auth(jp_fetch, root, method, parts):
    response = await jp_fetch("dataproduct", *parts, method=method, body="{}" if method == "POST" else None,
                              headers={"Authorization": ""}, raise_error=False)
    assert response.code in (401, 403)
    assert json.loads(response.body)["error"]["code"] in ("unauthorized", "forbidden")


async def test_python_r_and_notebook_plugins_are_listed_apart_from_the_builtins(api):
    status, body = await api("products", "actg175", "plugins")
    assert status == 200
    plugins = {p["name"]: p for p in body["plugins"]}
    assert plugins["cd4_response"]["kind"] == "python" and plugins["cd4_response"]["title"] == "CD4 response by arm"
    assert plugins["cd4_response"]["parameters"] == ["patients", "threshold", "week"]
    assert plugins["cd4_response"]["path"] == "products/actg175/plugins/cd4_response.py"
    assert plugins["cox_model"]["kind"] == "r" and plugins["cox_model"]["language"] == "r"
    assert plugins["arm_profile"]["kind"] == "notebook" and plugins["arm_profile"]["path"].endswith(".ipynb")
    survival = plugins["survival"]
    assert survival["builtin"] and "path" not in survival and "file" not in survival
    assert not any(p["builtin"] for n, p in plugins.items() if n in ("cd4_response", "cox_model", "arm_profile"))


async def test_a_plugin_is_described_as_a_form_like_a_protocol(api):
    status, detail = await api("products", "actg175", "plugins", "cd4_response")
    assert status == 200
    assert detail["plugin"] is True and detail["kind"] == "python" and detail["tests"] == 0
    properties = detail["schema"]["properties"]
    assert properties["threshold"]["type"] == "integer" and properties["threshold"]["default"] == 50
    assert properties["patients"]["x-dataproduct-type"] == "cohort" and properties["patients"]["x-entity"] == "patients"
    assert detail["schema"]["required"] == []
    parameters = {p["name"]: p for p in detail["parameters"]}
    assert parameters["week"] == {"name": "week", "type": "int", "required": False, "default": 20}
    status, r_detail = await api("products", "actg175", "plugins", "cox_model")
    assert status == 200 and r_detail["language"] == "r"
    assert r_detail["schema"]["properties"]["covariates"] == {"title": "covariates", "x-dataproduct-type": "string",
                                                              "default": "arms", "type": "string"}


async def test_validation_is_the_direct_runs_binding(api, actg_product):
    ok = await api("products", "actg175", "plugins", "cd4_response", "validate", method="POST",
                   body={"parameters": {"threshold": 20, "patients": "age >= 40"}})
    assert ok == (200, {"ok": True})
    status, body = await api("products", "actg175", "plugins", "cd4_response", "validate", method="POST",
                             body={"parameters": {"threshold": "many"}})
    assert status == 422 and "threshold" in body["error"]["message"]
    status, body = await api("products", "actg175", "plugins", "cd4_response", "validate", method="POST",
                             body={"parameters": {"patients": "agee >= 40"}})
    assert status == 422 and "agee" in body["error"]["message"]
    status, body = await api("products", "actg175", "plugins", "cd4_response", "validate", method="POST",
                             body={"parameters": {"nope": 1}})
    assert status == 422 and "nope" in body["error"]["message"]


async def test_a_folder_plugins_source_opens_in_the_editor_by_its_path(api):
    status, source = await api("products", "actg175", "plugins", "cox_model", "source")
    assert status == 200
    assert source == {"name": "cox_model", "language": "r", "kind": "r", "editable": True,
                      "path": "products/actg175/plugins/cox_model.R"}


@pytest.mark.parametrize("parts,status,code", [
    (("plugins", "nope"), 404, "plugin_not_found"),
    (("plugins", "nope", "source"), 404, "plugin_not_found"),
    (("plugins", "..", "source"), 404, "plugin_not_found"),
    (("plugins", "%2E%2E%2Fsecret", "source"), 404, "plugin_not_found"),
    (("plugins", "..%2F..%2Fetc%2Fpasswd"), 404, "plugin_not_found"),
    (("plugins", "x" * 5000), 404, "plugin_not_found"),
    (("plugins", "survival", "source"), 404, "no_plugin_source"),
])
async def test_bad_names_are_4xx_in_the_error_shape(api, parts, status, code):
    answer_status, body = await api("products", "actg175", *parts)
    assert answer_status == status, body
    assert body["error"]["code"] == code and body["error"]["message"]
    assert len(body["error"]["message"]) < 1000


async def test_bad_bodies_and_unknown_products_are_4xx(api):
    status, body = await api("products", "actg175", "plugins", "cd4_response", "validate", method="POST", body="[1]")
    assert status == 400 and body["error"]["code"] == "bad_request"
    status, body = await api("products", "actg175", "plugins", "cd4_response", "validate", method="POST",
                             body={"parameters": [1]})
    assert status == 400
    status, body = await api("products", "nope", "plugins")
    assert status == 404 and "actg175" in body["error"]["message"]


async def test_a_new_plugin_file_is_listed_at_once(api, root):
    await api("products", "actg175", "plugins")
    (root / "products" / "actg175" / "plugins" / "old_share.py").write_text(
        "from jupyter_dataproduct import plugin\n\n@plugin\ndef old_share(patients, age: int = 50):\n    return 1\n")
    status, body = await api("products", "actg175", "plugins")
    assert status == 200
    assert "old_share" in {p["name"] for p in body["plugins"]}


@pytest.fixture
def outside_product(built_actg, tmp_path) -> Path:
    folder = tmp_path / "elsewhere" / "actg175"
    shutil.copytree(built_actg, folder, symlinks=True)
    return folder


async def test_a_folder_outside_the_root_answers_the_text_read_only(api, outside_product, connections_file):
    from jupyter_dataproduct.client import connections

    connections.add(connections.Connection("outside", str(outside_product), None))
    status, body = await api("products", "outside", "plugins")
    assert status == 200 and "path" not in {k for p in body["plugins"] for k in p}
    status, source = await api("products", "outside", "plugins", "cd4_response", "source")
    assert status == 200 and source["editable"] is False and "path" not in source
    assert source["file"] == "plugins/cd4_response.py" and "def cd4_response" in source["text"]


@pytest.fixture(scope="module")
def reader_servers(built_actg, tmp_path_factory) -> Iterator[dict[str, tuple[str, str]]]:
    """The same product served twice with a reader token: sources shared, and not."""
    folder = tmp_path_factory.mktemp("served_plugins") / "actg175"
    shutil.copytree(built_actg, folder, symlinks=True)
    result = CliRunner().invoke(cli, ["token", "create", str(folder), "--role", "reader"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    with dataproduct_serve(folder) as closed, dataproduct_serve(folder, options=("--share-plugin-source",)) as shared:
        yield {"closed": (f"{closed}/actg175", token), "shared": (f"{shared}/actg175", token)}


async def test_a_server_lists_and_describes_its_plugins_to_a_reader(api, reader_servers):
    url, token = reader_servers["closed"]
    await api("products", method="POST", body={"location": url, "name": "trial", "token": token})
    status, body = await api("products", "trial", "plugins")
    assert status == 200
    plugins = {p["name"]: p for p in body["plugins"]}
    assert plugins["cd4_response"]["file"] == "plugins/cd4_response.py" and "path" not in plugins["cd4_response"]
    assert plugins["arm_profile"]["kind"] == "notebook"
    remote = await api("products", "trial", "plugins", "cd4_response")
    local = await api("products", "actg175", "plugins", "cd4_response")
    assert remote == local and remote[0] == 200
    bad = {"parameters": {"threshold": "many"}}
    remote = await api("products", "trial", "plugins", "cd4_response", "validate", method="POST", body=bad)
    local = await api("products", "actg175", "plugins", "cd4_response", "validate", method="POST", body=bad)
    assert remote == local and remote[0] == 422
    assert token not in json.dumps(body)


async def test_a_server_refuses_the_source_unless_it_shares_it(api, reader_servers):
    url, token = reader_servers["closed"]
    await api("products", method="POST", body={"location": url, "name": "closed", "token": token})
    status, body = await api("products", "closed", "plugins", "cd4_response", "source")
    assert status == 502 and body["error"]["details"]["upstream"] == "source_not_shared"
    assert "--share-plugin-source" in body["error"]["message"]
    url, token = reader_servers["shared"]
    await api("products", method="POST", body={"location": url, "name": "shared", "token": token})
    status, source = await api("products", "shared", "plugins", "cox_model", "source")
    assert status == 200 and source["editable"] is False and source["file"] == "plugins/cox_model.R"
    assert "cox_model <- function" in source["text"]
    status, body = await api("products", "shared", "plugins", "nope", "source")
    assert status == 404 and body["error"]["code"] == "plugin_not_found"
    status, body = await api("products", "shared", "plugins", "survival", "source")
    assert status == 404 and body["error"]["code"] == "no_plugin_source"
