"""Adding and removing products from the panel: the connections file, and tokens kept there only."""

from __future__ import annotations

import json
import stat

import pytest

from jupyter_dataproduct.client import connections


def everything(*answers) -> str:
    return json.dumps(answers)


async def test_a_server_is_added_with_its_token_which_only_the_file_keeps(api, served_actg, connections_file):
    url, token = served_actg
    status, entry = await api("products", method="POST", body={"location": url, "name": "trial", "token": token})
    assert status == 201
    assert entry == {"name": "trial", "title": "ACTG 175 clinical trial",
                     "version": entry["version"], "kind": "server", "location": url, "origin": "connections",
                     "health": "ok", "connect": "trial"}
    assert stat.S_IMODE(connections_file.stat().st_mode) == 0o600
    assert json.loads(connections_file.read_text()) == {"connections": {"trial": {"location": url, "token": token}}}

    answers = [await api("products"), await api("products", "trial"), await api("products", "trial", "protocols"),
               await api("products", "trial", "protocols", "compare_arms"),
               await api("products", "trial", "protocols", "compare_arms", "validate", method="POST",
                         body={"parameters": {"cohort_a": "arms == 'ZDV'"}}),
               await api("products", "trial", "cohorts", "count", method="POST",
                         body={"entity": "patients", "cohort": "age >= 40"}),
               await api("products", "trial", "artifacts")]
    assert [status for status, _ in answers] == [200] * 7
    listed = {p["name"]: p for p in answers[0][1]["products"]}
    assert listed["trial"]["health"] == "ok" and listed["trial"]["origin"] == "connections"
    assert answers[5][1]["total"] == 2139 and 0 < answers[5][1]["matched"] < 2139
    assert token not in everything(*answers)


async def test_the_remote_count_and_validation_match_the_folders(api, served_actg):
    url, token = served_actg
    await api("products", method="POST", body={"location": url, "name": "trial", "token": token})
    cohort = {"entity": "patients", "cohort": {"or": [{"column": "arms", "op": "in", "value": [1, 2]},
                                                      {"column": "age", "op": "<", "value": 30}]}}
    remote = await api("products", "trial", "cohorts", "count", method="POST", body=cohort)
    local = await api("products", "actg175", "cohorts", "count", method="POST", body=cohort)
    assert remote == local and remote[0] == 200
    bad = {"parameters": {"cohort_a": "agee > 1", "unknown": 1}}
    remote = await api("products", "trial", "protocols", "compare_arms", "validate", method="POST", body=bad)
    local = await api("products", "actg175", "protocols", "compare_arms", "validate", method="POST", body=bad)
    assert remote == local and remote[0] == 422


async def test_a_refused_token_is_not_stored_and_not_a_401(api, served_actg, connections_file):
    url, _ = served_actg
    status, body = await api("products", method="POST", body={"location": url, "name": "trial", "token": "dp_wrong"})
    assert status == 502 and body["error"]["code"] == "product_refused"
    assert "dp_wrong" not in json.dumps(body)
    assert not connections_file.exists()


async def test_a_stored_token_that_stopped_working_shows_on_its_product_only(api, served_actg, connections_file):
    url, _ = served_actg
    connections.add(connections.Connection("trial", url, "dp_revoked_token"))
    status, body = await api("products")
    assert status == 200
    listed = {p["name"]: p for p in body["products"]}
    assert listed["trial"]["health"] == "error" and listed["trial"]["error"]["code"] == "product_refused"
    assert listed["actg175"]["health"] == "ok" and listed["tiny"]["health"] == "ok"
    assert "dp_revoked_token" not in json.dumps(body)


async def test_a_folder_is_added_by_its_path_under_the_root_and_removed(api, root, connections_file):
    status, entry = await api("products", method="POST", body={"location": "products/tiny", "name": "small"})
    assert status == 201 and entry["connect"] == "small" and entry["location"] == "products/tiny"
    assert connections.load()["small"].location == str(root / "products" / "tiny")
    status, body = await api("products")
    assert [p["name"] for p in body["products"]] == ["small", "actg175"]  # the same folder is not listed twice
    assert await api("products", "small", method="DELETE") == (204, None)
    assert connections.load() == {}


@pytest.mark.parametrize("body,status,code", [
    ({"location": "../../etc"}, 403, "outside_root"),
    ({"location": "/etc"}, 403, "outside_root"),
    ({"location": "products/../../.."}, 403, "outside_root"),
    ({"location": "products"}, 422, "invalid_manifest"),
    ({"location": ""}, 422, "invalid_parameter"),
    ({"location": "products/tiny", "name": "../x"}, 422, "invalid_name"),
    ({"location": "products/tiny", "name": "actg175"}, 409, "duplicate_product"),
    ({"location": "http://user:pw@127.0.0.1:1/x"}, 422, "invalid_parameter"),
    ({"location": "http://127.0.0.1:1/x"}, 502, "connection_error"),
    ({"name": "x"}, 400, "bad_request"),
    ({"location": ["x"]}, 400, "bad_request"),
    ({"location": "products/tiny", "token": 5}, 400, "bad_request"),
])
async def test_a_bad_product_to_add_gets_a_clear_error(api, connections_file, body, status, code):
    answer, error = await api("products", method="POST", body=body)
    assert (answer, error["error"]["code"]) == (status, code), error
    assert not connections_file.exists()


async def test_only_products_of_the_connections_file_can_be_removed(api):
    status, body = await api("products", "tiny", method="DELETE")
    assert status == 409 and body["error"]["code"] == "not_removable"
    assert "products/tiny/dataproduct.yaml" in body["error"]["message"]
    assert (await api("products", "nope", method="DELETE"))[0] == 404


async def test_a_token_that_slipped_into_an_answer_is_blanked(api, root, served_actg):
    """The last net: whatever the text, a token the extension holds never leaves in an answer."""
    url, token = served_actg
    connections.add(connections.Connection("trial", url, token))
    manifest = root / "products" / "tiny" / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().replace("Two small entities for tests.", f"Leaked {token} here."))
    await api("products")  # the catalog reads the connections file
    status, info = await api("products", "tiny")
    assert status == 200 and info["description"] == "Leaked *** here."


async def test_a_saved_cohort_of_a_server_is_counted_by_name(api, served_actg):
    from jupyter_dataproduct import connect

    url, token = served_actg
    remote = connect(url, token=token)
    if "lab_older" not in [a.name for a in remote.artifacts()]:
        remote.save("age >= 50", "lab_older", entity="patients")
    await api("products", method="POST", body={"location": url, "name": "trial", "token": token})
    by_name = await api("products", "trial", "cohorts", "count", method="POST",
                        body={"entity": "patients", "cohort": "@lab_older"})
    by_text = await api("products", "actg175", "cohorts", "count", method="POST",
                        body={"entity": "patients", "cohort": "age >= 50"})
    assert by_name[0] == 200 and by_name[1]["matched"] == by_text[1]["matched"] > 0
    status, body = await api("products", "trial", "artifacts")
    assert {"name": "lab_older", "kind": "cohort", "entity": "patients"}.items() <= \
        next(a for a in body["artifacts"] if a["name"] == "lab_older").items()
