"""The Snapshots section's API: list (with the role), build with streamed progress, verify,
tag, diff; for a folder and for a product behind a real ``dataproduct serve``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from jupyter_dataproduct.cli import main as cli
from jupyter_dataproduct.core.product import Product
from tests.server.test_builds import build_workers
from tests.servers import dataproduct_serve

SNAPSHOT_ENDPOINTS = [
    ("GET", ("products", "tiny", "snapshots")), ("POST", ("products", "tiny", "snapshots")),
    ("GET", ("products", "tiny", "snapshots", "latest", "verify")), ("PUT", ("products", "tiny", "tags", "v1")),
    ("GET", ("products", "tiny", "diff")), ("DELETE", ("products", "tiny", "artifacts", "older")),
]


def ndjson(response_body: bytes) -> list[dict]:
    return [json.loads(line) for line in response_body.decode().splitlines() if line.strip()]


def add_row(product_dir: Path) -> None:
    """Change the data so that the next build is a new snapshot."""
    with open(product_dir / "data" / "people.csv", "a") as handle:
        handle.write("6,Flo,70,1,1,2024-06-01\n")


@pytest.mark.parametrize("method,parts", SNAPSHOT_ENDPOINTS)
async def test_every_snapshot_endpoint_needs_jupyters_auth(jp_fetch, root, method, parts):
    body = "{}" if method in ("POST", "PUT") else None
    response = await jp_fetch("dataproduct", *parts, method=method, body=body, headers={"Authorization": ""},
                              raise_error=False)
    assert response.code in (401, 403)
    assert json.loads(response.body)["error"]["code"] in ("unauthorized", "forbidden")


async def test_a_folder_lists_its_snapshots_with_rows_tags_and_every_action(api, root):
    Product.open(root / "products" / "tiny").tag("first", "latest")
    status, body = await api("products", "tiny", "snapshots")
    assert status == 200 and body["role"] == "admin"
    assert set(body["actions"]) == {"use", "diff", "load", "use_parameter", "open_form", "verify", "delete_artifact",
                                    "rerun", "save_result", "tag", "build"}
    [snapshot] = body["snapshots"]
    assert snapshot["rows"] == {"people": 5, "visits": snapshot["rows"]["visits"]} and snapshot["tags"] == ["first"]
    assert snapshot["short"] == snapshot["id"][:12] and snapshot["created"]


async def test_a_build_streams_its_progress_and_lists_the_new_snapshot(jp_fetch, api, root):
    add_row(root / "products" / "tiny")
    response = await jp_fetch("dataproduct", "products", "tiny", "snapshots", method="POST", body="{}",
                              headers={"Accept": "application/x-ndjson"})
    events = ndjson(response.body)
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    progress = [e["progress"] for e in events if "progress" in e]
    assert progress and all(0 <= p["done"] <= p["total"] for p in progress)
    result = events[-1]["result"]
    assert result["created"] is True and result["snapshot"]["rows"]["people"] == 6
    status, body = await api("products", "tiny", "snapshots")
    assert [s["id"] for s in body["snapshots"]][0] == result["snapshot"]["id"] and len(body["snapshots"]) == 2


async def test_a_failed_build_leaves_the_snapshots_intact_and_says_why(jp_fetch, api, root):
    before = (await api("products", "tiny", "snapshots"))[1]["snapshots"]
    (root / "products" / "tiny" / "data" / "people.csv").write_text("id,name\nnot-a-number,x\n")
    response = await jp_fetch("dataproduct", "products", "tiny", "snapshots", method="POST", body="{}",
                              headers={"Accept": "application/x-ndjson"}, raise_error=False)
    if response.headers["Content-Type"].startswith("application/x-ndjson"):
        error = ndjson(response.body)[-1]["error"]
    else:  # refused before any progress: a plain error answer
        assert 400 <= response.code < 500
        error = json.loads(response.body)["error"]
    assert error["message"] and "Traceback" not in error["message"]
    after = (await api("products", "tiny", "snapshots"))[1]["snapshots"]
    assert after == before
    status, verified = await api("products", "tiny", "snapshots", before[0]["id"], "verify")
    assert status == 200 and verified["ok"] is True


async def test_a_build_runs_in_a_child_process_and_a_killed_one_leaves_the_snapshots(jp_fetch, api, root):
    folder = root / "products" / "actg175"
    before = (await api("products", "actg175", "snapshots"))[1]["snapshots"]
    request = asyncio.ensure_future(jp_fetch("dataproduct", "products", "actg175", "snapshots", method="POST",
                                             body='{"force": true}', headers={"Accept": "application/x-ndjson"},
                                             raise_error=False, request_timeout=120))
    deadline = time.monotonic() + 60
    while not (workers := build_workers(folder)):  # the build is another process than this server
        assert time.monotonic() < deadline and not request.done(), "no build process appeared"
        await asyncio.sleep(0.005)
    os.kill(workers[0], signal.SIGKILL)
    response = await request
    if response.headers["Content-Type"].startswith("application/x-ndjson"):
        error = ndjson(response.body)[-1]["error"]
    else:
        assert response.code == 500
        error = json.loads(response.body)["error"]
    assert error["code"] == "build_crashed" and "nothing was published" in error["message"]
    assert (await api("products", "actg175", "snapshots"))[1]["snapshots"] == before
    status, again = await api("products", "actg175", "snapshots", method="POST", body={"force": True})
    assert status == 201 and again["snapshot"]["rows"]["patients"] == 2139


async def test_verify_says_which_files_changed(api, root):
    product = Product.open(root / "products" / "tiny")
    snapshot = product.snapshot("latest")
    status, body = await api("products", "tiny", "snapshots", snapshot.id[:12], "verify")
    assert (status, body["ok"], body["problems"]) == (200, True, [])
    damaged = next(snapshot.path.rglob("*.parquet"))
    damaged.chmod(0o644)
    damaged.write_bytes(damaged.read_bytes() + b"x")
    status, body = await api("products", "tiny", "snapshots", snapshot.id[:12], "verify")
    assert status == 200 and body["ok"] is False and body["problems"]
    assert any(damaged.name in json.dumps(p) for p in body["problems"])


async def test_a_tag_is_set_and_listed(api, root):
    status, body = await api("products", "tiny", "tags", "baseline", method="PUT", body={"snapshot": "latest"})
    assert status == 200 and body["tag"] == "baseline"
    listed = (await api("products", "tiny", "snapshots"))[1]["snapshots"]
    assert "baseline" in listed[0]["tags"]


@pytest.mark.parametrize("tag", ["latest", "abc123", "-x", "a b", "x" * 65, "é"])
async def test_a_bad_tag_name_is_a_4xx_naming_what_is_allowed(api, tag):
    status, body = await api("products", "tiny", "tags", tag, method="PUT", body={"snapshot": "latest"})
    assert status == 422 and body["error"]["code"] == "invalid_name" and "allowed" in body["error"]["message"]


@pytest.mark.parametrize("parts,params", [
    (("snapshots", "..", "verify"), {}), (("snapshots", "%2e%2e%2fetc", "verify"), {}),
    (("snapshots", "a" * 300, "verify"), {}), (("diff",), {}), (("diff",), {"a": "$(rm)"}),
    (("diff",), {"a": "latest", "b": "x\x00y"}), (("diff",), {"a": "x" * 5000}),
])
async def test_bad_snapshot_references_are_4xx(jp_fetch, root, parts, params):
    response = await jp_fetch("dataproduct", "products", "tiny", *parts, params=params, raise_error=False)
    assert 400 <= response.code < 500, response.body
    assert json.loads(response.body)["error"]["code"] in ("bad_request", "not_found", "snapshot_not_found")


async def test_an_unknown_snapshot_is_a_404(api):
    status, body = await api("products", "tiny", "snapshots", "deadbeef99", "verify")
    assert status == 404 and body["error"]["code"] == "snapshot_not_found"


@pytest.mark.parametrize("body", ["not json", "[1]", json.dumps({"force": "yes"}), json.dumps({"snapshot": 3}),
                                  json.dumps({"x": "y" * (2 << 20)})])
async def test_bad_bodies_are_400(api, body):
    for parts, method in ((("products", "tiny", "snapshots"), "POST"), (("products", "tiny", "tags", "t1"), "PUT")):
        status, answer = await api(*parts, method=method, body=body)
        if status in (200, 201):  # {"force": ...} means nothing to a tag, {"snapshot": 3} nothing to a build
            continue
        assert status == 400 and answer["error"]["code"] == "bad_request", (parts, answer)


async def test_diff_of_two_snapshots_shows_schema_and_row_changes(api, root):
    first = Product.open(root / "products" / "tiny").snapshot("latest").id
    add_row(root / "products" / "tiny")
    Product.open(root / "products" / "tiny").build()
    status, body = await api("products", "tiny", "diff", params={"a": first[:10], "b": "latest"})
    assert status == 200 and body["a"] == first and body["identical"] is False
    assert body["entities"]["people"]["rows"] == {"a": 5, "b": 6, "change": 1}
    assert body["entities"]["people"]["status"] == "changed"


# -- a product behind a real ``dataproduct serve`` ------------------------------------------


@pytest.fixture(scope="module")
def served_roles(tmp_path_factory) -> dict:
    """A served copy of the tiny product (built) and a reader and an admin token for it."""
    from tests.conftest import TINY_MANIFEST, TINY_PEOPLE, TINY_VISITS

    folder = tmp_path_factory.mktemp("served_roles") / "tiny"
    (folder / "data").mkdir(parents=True)
    (folder / "dataproduct.yaml").write_text(TINY_MANIFEST)
    (folder / "data" / "people.csv").write_text(TINY_PEOPLE)
    (folder / "data" / "visits.csv").write_text(TINY_VISITS)
    product = Product.open(folder)
    product.build()
    product.save_cohort("older", "people", "age >= 50")
    tokens = {}
    for role in ("reader", "admin"):
        result = CliRunner().invoke(cli, ["token", "create", str(folder), "--role", role])
        assert result.exit_code == 0, result.output
        tokens[role] = result.stdout.strip().splitlines()[0]
    with dataproduct_serve(folder) as base:
        yield {"url": f"{base}/tiny", "folder": folder, **tokens}


async def add_remote(api, served: dict, role: str) -> str:
    name = f"remote_{role}"
    status, body = await api("products", method="POST", body={"location": served["url"], "name": name, "token": served[role]})
    assert status == 201, body
    return name


async def test_a_reader_gets_no_admin_actions_and_the_server_refuses_anyway(api, served_roles):
    name = await add_remote(api, served_roles, "reader")
    status, body = await api("products", name, "snapshots")
    assert status == 200 and body["role"] == "reader" and body["snapshots"]
    assert set(body["actions"]) == {"use", "diff", "load", "use_parameter", "open_form"}
    assert served_roles["reader"] not in json.dumps(body)
    refused = [
        await api("products", name, "snapshots", method="POST", body={}),
        await api("products", name, "tags", "nope", method="PUT", body={"snapshot": "latest"}),
        await api("products", name, "snapshots", "latest", "verify"),
        await api("products", name, "artifacts", "older", method="DELETE"),
    ]
    for status, answer in refused:
        assert status == 502 and answer["error"]["code"] == "product_refused", answer
        assert answer["error"]["details"]["upstream"] == "forbidden"
    assert "nope" not in Product.open(served_roles["folder"]).store.tags()
    assert "older" in [a.name for a in Product.open(served_roles["folder"]).artifacts.list()]
    status, artifacts = await api("products", name, "artifacts")
    assert status == 200 and artifacts["role"] == "reader" and "delete_artifact" not in artifacts["actions"]
    status, diff = await api("products", name, "diff", params={"a": "latest", "b": "latest"})
    assert status == 200 and diff["identical"] is True


async def test_an_admin_builds_and_tags_a_remote_product(jp_fetch, api, served_roles):
    name = await add_remote(api, served_roles, "admin")
    status, body = await api("products", name, "snapshots")
    assert body["role"] == "admin" and {"build", "tag", "verify"} <= set(body["actions"])
    response = await jp_fetch("dataproduct", "products", name, "snapshots", method="POST", body='{"force": true}',
                              headers={"Accept": "application/x-ndjson"})
    if response.headers["Content-Type"].startswith("application/x-ndjson"):
        result = ndjson(response.body)[-1]["result"]
    else:
        result = json.loads(response.body)
    assert result["snapshot"]["rows"]["people"] == 5
    status, tagged = await api("products", name, "tags", "served1", method="PUT", body={"snapshot": result["snapshot"]["id"]})
    assert status == 200 and tagged["id"] == result["snapshot"]["id"]
    status, verified = await api("products", name, "snapshots", "served1", "verify")
    assert status == 200 and verified["ok"] is True
