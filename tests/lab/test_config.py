"""Products from the server's config (``c.DataProductLab.products``), and broken ones in the list."""

from __future__ import annotations

import json
import os

import pytest


@pytest.fixture
def lab_settings(served_actg, monkeypatch):
    url, token = served_actg
    monkeypatch.setenv("TRIAL_TOKEN", token)
    return {"products": [
        {"name": "trial", "location": url, "token_env": "TRIAL_TOKEN"},
        {"name": "down", "location": "http://127.0.0.1:9/nothing"},
        "products/tiny",
        42,
    ]}


async def test_configured_products_come_first_and_keep_their_names(api, served_actg):
    url, token = served_actg
    status, body = await api("products")
    assert status == 200
    listed = [(p["name"], p["origin"], p["kind"], p["health"], p["connect"]) for p in body["products"]]
    assert listed == [("trial", "config", "server", "ok", "trial"), ("down", "config", "server", "error", "down"),
                      ("tiny", "config", "folder", "ok", "tiny"), ("actg175", "found", "folder", "ok", "products/actg175")]
    down = body["products"][1]
    assert down["error"]["code"] == "connection_error" and "127.0.0.1:9" in down["error"]["message"]
    assert token not in json.dumps(body)
    status, info = await api("products", "trial")
    assert status == 200 and info["name"] == "actg175" and token not in json.dumps(info)


async def test_kernels_learn_the_configured_names_but_no_token(api, served_actg):
    url, token = served_actg
    await api("version")
    shared = json.loads(os.environ["DATAPRODUCT_LAB_PRODUCTS"])
    assert {"name": "trial", "location": url, "token_env": "TRIAL_TOKEN"} in shared
    assert token not in os.environ["DATAPRODUCT_LAB_PRODUCTS"]


async def test_a_configured_product_cannot_be_removed_from_the_panel(api):
    status, body = await api("products", "trial", method="DELETE")
    assert status == 409 and "c.DataProductLab.products" in body["error"]["message"]


async def test_a_broken_manifest_under_the_root_is_listed_with_its_error(api, root):
    broken = root / "work" / "broken"
    broken.mkdir(parents=True)
    (broken / "dataproduct.yaml").write_text("name: broken\nversion: [not, a, version]\n")
    status, body = await api("products")
    listed = {p["name"]: p for p in body["products"]}
    assert listed["broken"]["health"] == "error" and listed["broken"]["error"]["code"] == "invalid_manifest"
    assert listed["trial"]["health"] == listed["actg175"]["health"] == "ok"
