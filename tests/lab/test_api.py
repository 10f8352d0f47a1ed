"""What holds for the whole API: Jupyter's auth on every verb, one error shape, a cheap import,
and a slow product that never holds up the others."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

ENDPOINTS = [
    ("GET", ("version",)), ("GET", ("products",)), ("POST", ("products",)), ("GET", ("products", "tiny")),
    ("DELETE", ("products", "tiny")), ("GET", ("products", "tiny", "protocols")),
    ("GET", ("products", "actg175", "protocols", "survival")),
    ("POST", ("products", "actg175", "protocols", "survival", "validate")),
    ("POST", ("products", "tiny", "cohorts", "count")), ("GET", ("products", "tiny", "artifacts")),
]


@pytest.mark.parametrize("method,parts", ENDPOINTS)
async def test_every_endpoint_needs_jupyters_auth(jp_fetch, root, method, parts):
    body = "{}" if method == "POST" else None
    response = await jp_fetch("dataproduct", *parts, method=method, body=body, headers={"Authorization": ""},
                              raise_error=False)
    assert response.code in (401, 403)
    assert json.loads(response.body)["error"]["code"] in ("unauthorized", "forbidden")


async def test_unknown_paths_answer_in_the_error_shape(api):
    status, body = await api("nothing", "here")
    assert status == 404 and body["error"]["code"] == "not_found" and "nothing/here" in body["error"]["message"]


@pytest.mark.parametrize("parts", [
    ("products", "..", "..", "etc"), ("products", "%2e%2e"), ("products", "..%2F..%2Fetc"),
    ("products", "tiny", "protocols", "..%2F..%2Fdataproduct.yaml"),
])
async def test_path_tricks_find_nothing(api, parts):
    status, body = await api(*parts)
    assert status in (404, 422) and body["error"]["code"] in ("not_found", "unknown_product", "protocol_not_found",
                                                              "invalid_name"), body


@pytest.mark.parametrize("body", ["not json", "[1, 2]", json.dumps({"parameters": [1]})])
async def test_a_body_that_is_not_a_json_object_is_a_400(api, body):
    status, answer = await api("products", "actg175", "protocols", "survival", "validate", method="POST", body=body)
    assert status == 400 and answer["error"]["code"] == "bad_request"


def test_importing_the_extension_loads_neither_polars_nor_pyarrow():
    code = ("import sys, jupyter_dataproduct, jupyter_dataproduct.lab as lab\n"
            "from jupyter_dataproduct.lab import routes, catalog, settings\n"
            "assert lab._jupyter_server_extension_points()\n"
            "print(sorted(m for m in ('polars', 'pyarrow', 'pandas', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture
def lab_settings(slow_server):
    # The slow product never answers, so it times out whatever the timeout; the local products
    # must answer within it, which a loaded CI machine did not always do in 0.5 s: the default.
    return {"products": [{"name": "slow", "location": slow_server.url}]}


async def test_a_slow_product_shows_its_own_error_in_the_list(api, slow_server):
    status, body = await api("products")
    assert status == 200
    listed = {p["name"]: p for p in body["products"]}
    assert listed["slow"]["health"] == "error" and listed["slow"]["error"]["code"] == "product_timeout"
    assert listed["slow"]["origin"] == "config" and listed["slow"]["connect"] == "slow"
    assert listed["actg175"]["health"] == listed["tiny"]["health"] == "ok"
    again = {p["name"]: p for p in (await api("products"))[1]["products"]}
    assert again["slow"]["error"]["code"] == "product_timeout"
    assert slow_server.requests == 1  # the hanging request is waited for again, not repeated


async def test_a_slow_product_does_not_hold_up_other_requests(api, slow_server):
    stuck = asyncio.ensure_future(api("products", "slow", "protocols"))
    await asyncio.get_running_loop().run_in_executor(None, slow_server.waiting.acquire)  # it reached the server
    assert (await api("products", "actg175", "protocols"))[0] == 200
    assert (await api("products", "tiny", "cohorts", "count", method="POST",
                      body={"entity": "people", "cohort": "age > 40"}))[0] == 200
    assert not stuck.done()  # still waiting for the slow product while the others answered
    slow_server.release()
    status, body = await stuck
    assert status == 404 and body["error"]["message"] == "gone"
