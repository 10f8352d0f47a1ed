"""``products/{name}/history``: the History section's pages of runs, newest first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from jupyter_dataproduct.cli import main as cli
from jupyter_dataproduct.core.product import Product
from tests.servers import dataproduct_serve


def run_actg(root: Path, times: int) -> list[str]:
    """Run compare_arms ``times`` times (ages 30, 31, ...); the history's entry ids, newest first."""
    product = Product.open(root / "products" / "actg175")
    for i in range(times):
        product.run("compare_arms", {"cohort_a": f"age >= {30 + i}", "variables": ["wtkg"]})
    return [e.id for e in product.history.list()]


async def test_entries_come_newest_first_with_protocol_snapshot_who_and_parameters(api, root):
    actg = Product.open(root / "products" / "actg175")
    actg.run("compare_arms", {"cohort_a": "arms == 'ZDV' and age >= 40", "variables": ["wtkg"]})
    actg.run("compare_arms", {"cohort_a": "age < 30", "variables": ["wtkg"]})
    status, body = await api("products", "actg175", "history")
    assert status == 200 and body["more"] is False and body["offset"] == 0
    first, second = body["entries"]
    assert first["id"] > second["id"]  # newest first
    assert first["protocol"] == "compare_arms" and first["version"] == "1.0.0"
    assert first["snapshot"] == actg.snapshots()[-1].id
    assert first["who"] and first["when"].startswith("20")
    assert first["parameters"]["cohort_a"]["text"] == "age < 30"
    assert second["parameters"]["cohort_a"]["tree"]["and"][1] == {"column": "age", "op": ">=", "value": 40}
    assert set(first) == {"id", "when", "who", "protocol", "version", "snapshot", "parameters", "stored"}


async def test_pages_say_whether_more_entries_follow(api, root):
    ids = run_actg(root, 5)
    status, page = await api("products", "actg175", "history", params={"limit": 2})
    assert status == 200 and [e["id"] for e in page["entries"]] == ids[:2] and page["more"] is True
    status, page = await api("products", "actg175", "history", params={"limit": 2, "offset": 4})
    assert [e["id"] for e in page["entries"]] == ids[4:] and page["more"] is False
    status, page = await api("products", "actg175", "history", params={"offset": 99})
    assert (status, page["entries"], page["more"]) == (200, [], False)


async def test_a_product_never_run_has_an_empty_history(api):
    status, body = await api("products", "tiny", "history")
    assert status == 200 and (body["entries"], body["offset"], body["more"]) == ([], 0, False)


async def test_a_folder_is_the_users_own_every_entry_action_is_offered(api):
    status, body = await api("products", "tiny", "history")
    assert status == 200 and body["role"] == "admin"
    assert {"rerun", "save_result", "open_form"} <= set(body["actions"])


@pytest.mark.parametrize("params,words", [
    ({"limit": "-1"}, "'limit' must be from 1 to 200, not -1"),
    ({"limit": "0"}, "'limit' must be from 1 to 200"),
    ({"limit": "99999999999999999999999"}, "'limit' must be from 1 to 200"),
    ({"limit": "ten"}, "'limit' must be a whole number"),
    ({"limit": "1e3"}, "'limit' must be a whole number"),
    ({"offset": "-5"}, "'offset' must be from 0 to"),
    ({"offset": "9" * 400}, "'offset' must be"),
])
async def test_bad_limits_and_offsets_are_400_naming_what_is_allowed(api, params, words):
    status, body = await api("products", "tiny", "history", params=params)
    assert status == 400 and body["error"]["code"] == "bad_request", body
    assert words in body["error"]["message"]
    assert set(body["error"]) == {"code", "message", "details"}


async def test_an_unknown_product_is_404_in_the_api_shape(api):
    status, body = await api("products", "nope", "history")
    assert status == 404 and body["error"]["code"] == "unknown_product", body
    assert "nope" in body["error"]["message"]


async def test_only_get_is_answered(api):
    status, body = await api("products", "tiny", "history", method="POST", body={})
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


async def test_the_history_needs_the_jupyter_session(jp_fetch, root):
    for authorization in ("", "token wrong"):
        response = await jp_fetch("dataproduct", "products", "tiny", "history", raise_error=False,
                                  headers={"Authorization": authorization})
        assert response.code in (401, 403)
        assert json.loads(response.body)["error"]["code"] in ("unauthorized", "forbidden")


@pytest.fixture(scope="module")
def served_with_history(built_actg: Path, tmp_path_factory) -> Iterator[tuple[str, str, list[str]]]:
    """A served ACTG 175 with two runs in its history and a reader token: (URL, token, entry ids)."""
    folder = tmp_path_factory.mktemp("served-history") / "actg175"
    shutil.copytree(built_actg, folder, symlinks=True)
    product = Product.open(folder)
    product.run("compare_arms", {"cohort_a": "age >= 40", "variables": ["wtkg"]})
    product.run("compare_arms", {"cohort_a": "age >= 50", "variables": ["wtkg"]})
    ids = [e.id for e in product.history.list()]
    result = CliRunner().invoke(cli, ["token", "create", str(folder), "--role", "reader"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    with dataproduct_serve(folder) as base:
        yield f"{base}/actg175", token, ids


async def test_a_served_product_lists_its_history_to_a_reader_token(api, served_with_history):
    url, token, ids = served_with_history
    status, _ = await api("products", method="POST", body={"location": url, "name": "trial", "token": token})
    assert status == 201
    status, body = await api("products", "trial", "history", params={"limit": 1})
    assert status == 200 and [e["id"] for e in body["entries"]] == ids[:1] and body["more"] is True
    assert body["entries"][0]["parameters"]["cohort_a"]["text"] == "age >= 50"
    assert body["entries"][0]["who"]
    assert token not in json.dumps(body)
    # Re-run and save fetch the entry's result, which the server refuses a reader: not offered.
    assert body["role"] == "reader" and "open_form" in body["actions"]
    assert not {"rerun", "save_result"} & set(body["actions"])
    status, body = await api("products", "trial", "history", params={"limit": "500"})
    assert status == 400 and body["error"]["code"] == "bad_request"
