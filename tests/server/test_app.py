"""The HTTP API against a real server: shapes, formats, errors, access control, bad input."""

from __future__ import annotations

import io
import json

import polars as pl
import pyarrow as pa
import pytest

from jupyter_dataproduct.server.tokens import PREFIX


P = "/api/products/actg175"


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


# -- open endpoints, catalog, description ------------------------------------------------------


def test_health_needs_no_token(http):
    response = http.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_catalog_lists_the_products_a_token_may_read(http, headers):
    products = http.get("/api/products", headers=headers["reader"]).json()["products"]
    assert [p["name"] for p in products] == ["actg175"]
    assert products[0]["role"] == "reader" and products[0]["url"] == P
    assert [p["name"] for p in http.get("/api/products", headers=headers["synthetic_reader"]).json()["products"]] == ["actg_synthetic"]
    assert http.get("/api/products").status_code == 401


def test_openapi_describes_every_route(http, server, headers):
    spec = http.get("/api/openapi.json", headers=headers["admin"]).json()
    assert spec["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    routes = {(route.path, method) for route in server.config.app.routes for method in route.methods if method != "HEAD"}
    assert routes <= described
    concrete = described - routes  # one run operation per protocol of each product
    assert concrete and all(p.startswith("/api/products/") and p.endswith("/run") and m == "POST" for p, m in concrete)
    assert spec["paths"][P.replace("actg175", "{name}")]["get"]["parameters"][0]["schema"]["enum"] == ["actg175"]


def test_openapi_carries_each_protocols_parameter_schema(http, headers):
    spec = http.get("/api/openapi.json", headers=headers["analyst"]).json()
    body = spec["paths"][f"{P}/protocols/cd4_response/run"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    detail = http.get(f"{P}/protocols/cd4_response", headers=headers["reader"]).json()
    assert body["properties"]["threshold"] == detail["schema"]["properties"]["threshold"]
    assert "#/$defs/" not in json.dumps(spec)


def test_metadata_never_shows_the_servers_folder(http, headers, served_dirs):
    info = http.get(P, headers=headers["reader"]).json()
    assert info["name"] == "actg175" and "patients" in info["entities"]
    assert str(served_dirs["actg175"]) not in json.dumps(info)


def test_snapshots_and_detail(http, headers):
    snapshots = http.get(f"{P}/snapshots", headers=headers["reader"]).json()
    assert snapshots and snapshots[0]["rows"]["patients"] == 2139
    detail = http.get(f"{P}/snapshots/{snapshots[0]['id'][:8]}", headers=headers["reader"]).json()
    assert detail["id"] == snapshots[0]["id"]
    assert http.get(f"{P}/snapshots/latest/verify", headers=headers["analyst"]).json()["ok"] is True
    assert http.get(f"{P}/snapshots/latest/verify", headers=headers["reader"]).status_code == 403  # re-hashing is work
    missing = http.get(f"{P}/snapshots/nosuchtag", headers=headers["reader"])
    assert missing.status_code == 404 and error_of(missing)["code"] == "snapshot_not_found"


def test_protocol_detail_has_its_parameter_schema(http, headers):
    listed = http.get(f"{P}/protocols", headers=headers["reader"]).json()
    assert {"compare_arms", "survival"} <= {p["name"] for p in listed}
    detail = http.get(f"{P}/protocols/compare_arms", headers=headers["reader"]).json()
    assert detail["schema"]["type"] == "object" and "cohort_a" in detail["schema"]["properties"]
    missing = http.get(f"{P}/protocols/nope", headers=headers["reader"])
    assert missing.status_code == 404 and error_of(missing)["code"] == "protocol_not_found"


# -- running ---------------------------------------------------------------------------------


def test_run_returns_the_result_document_with_arrow_tables(http, headers):
    response = http.post(f"{P}/protocols/survival/run", json={"group": "arms"}, headers=headers["analyst"])
    assert response.status_code == 200, response.text
    document = response.json()
    assert set(document) == {"provenance", "values", "charts", "tables"}
    assert document["provenance"]["protocol"] == "survival" and document["provenance"]["history_id"]
    curve = document["tables"]["curve"]
    assert curve["media_type"] == "application/vnd.apache.arrow.stream"
    import base64

    frame = pl.read_ipc_stream(io.BytesIO(base64.b64decode(curve["data"])))
    assert frame.height == curve["rows"] and frame.columns == curve["columns"]


def test_run_with_json_tables(http, headers):
    document = http.post(f"{P}/protocols/cd4_response/run?tables=json", json={"threshold": 100},
                         headers=headers["analyst"]).json()
    records = document["tables"]["response"]["records"]
    assert len(records) == 4 and {"arms", "response_rate"} <= set(records[0])


def test_bad_parameter_names_the_parameter(http, headers):
    response = http.post(f"{P}/protocols/cd4_response/run", json={"threshold": 5000}, headers=headers["analyst"])
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_parameter" and "threshold" in error["message"]


def test_unknown_plugin_is_404_not_500(http, headers):
    response = http.post(f"{P}/plugins/no_such_plugin/run", json={}, headers=headers["analyst"])
    assert response.status_code == 404 and error_of(response)["code"] == "plugin_not_found"


def test_errors_never_show_the_servers_folders(http, headers, served_dirs):
    plugin = served_dirs["actg175"] / "plugins" / "broken_tmp.py"
    plugin.write_text("import no_such_module_anywhere\n")
    try:
        response = http.post(f"{P}/plugins/broken_tmp/run", json={}, headers=headers["analyst"])
    finally:
        plugin.unlink()
    error = error_of(response)
    assert error["code"] == "plugin_error" and "no_such_module_anywhere" in error["message"]
    assert str(served_dirs["actg175"]) not in response.text and "<actg175>" in response.text


def test_a_plugin_raising_on_the_callers_input_is_422_naming_the_plugin(http, headers, served_dirs):
    # The fuzzer found one: an empty cohort made the example's R Cox model stop(). The
    # server is healthy and the input was understood; it is never a 5xx.
    plugin = served_dirs["actg175"] / "plugins" / "raises_tmp.py"
    plugin.write_text("from jupyter_dataproduct import plugin\n\n"
                      "@plugin()\n"
                      "def raises_tmp(patients, limit: int = 1) -> dict:\n"
                      "    raise ValueError(f'too many patients for a limit of {limit}')\n")
    try:
        response = http.post(f"{P}/plugins/raises_tmp/run", json={"limit": 1}, headers=headers["analyst"])
    finally:
        plugin.unlink()
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "plugin_error"
    assert "raises_tmp" in error["message"] and "limit of 1" in error["message"] and "line 5" in error["message"]


def test_build_streams_progress_for_admins(http, headers):
    response = http.post(f"{P}/snapshots", json={"force": False}, headers={**headers["admin"], "Accept": "application/x-ndjson"})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert "result" in lines[-1] and lines[-1]["result"]["snapshot"]["rows"]["patients"] == 2139
    assert http.post(f"{P}/snapshots", json={}, headers=headers["admin"]).json()["created"] is False


# -- frames ------------------------------------------------------------------------------------


def read_arrow(content: bytes) -> pl.DataFrame:
    return pl.from_arrow(pa.ipc.open_stream(content).read_all())


@pytest.mark.parametrize("how", ["query", "accept"])
@pytest.mark.parametrize("fmt", ["arrow", "csv", "json", "ndjson"])
def test_frame_formats(http, headers, fmt, how):
    media = {"arrow": "application/vnd.apache.arrow.stream", "csv": "text/csv", "json": "application/json",
             "ndjson": "application/x-ndjson"}[fmt]
    params = {"where": "age >= 40 and arms in (1, 2)", "columns": "pidnum,age,arms"}
    extra = {"Accept": media} if how == "accept" else {}
    if how == "query":
        params["format"] = fmt
    response = http.get(f"{P}/entities/patients/frame", params=params, headers={**headers["reader"], **extra})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    assert len(response.headers["x-dataproduct-snapshot"]) == 64
    if fmt == "arrow":
        frame = read_arrow(response.content)
    elif fmt == "csv":
        frame = pl.read_csv(io.BytesIO(response.content))
    elif fmt == "json":
        frame = pl.DataFrame(response.json())
    else:
        frame = pl.read_ndjson(io.BytesIO(response.content))
    assert frame.columns == ["pidnum", "age", "arms"]
    assert frame.height > 100 and frame["age"].min() >= 40
    assert set(frame["arms"].cast(pl.String)) == {"ZDV+ddI", "ZDV+Zal"}


def test_frame_by_post_with_a_condition_tree(http, headers):
    body = {"where": {"and": [{"column": "age", "op": ">=", "value": 60}]}, "columns": ["pidnum", "age"], "limit": 5}
    frame = read_arrow(http.post(f"{P}/entities/patients/frame", json=body, headers=headers["reader"]).content)
    assert frame.height == 5 and frame["age"].min() >= 60


def test_empty_frames_still_carry_their_columns(http, headers):
    for fmt in ("arrow", "csv", "json"):
        response = http.get(f"{P}/entities/patients/frame", params={"where": "age > 500", "columns": "pidnum,age", "format": fmt},
                            headers=headers["reader"])
        assert response.status_code == 200
    assert read_arrow(http.get(f"{P}/entities/patients/frame", params={"where": "age > 500", "columns": "pidnum,age"},
                               headers=headers["reader"]).content).columns == ["pidnum", "age"]


def test_frame_errors_come_before_the_stream(http, headers):
    response = http.get(f"{P}/entities/patients/frame", params={"columns": "pidnum,nope"}, headers=headers["reader"])
    assert response.status_code == 422 and error_of(response)["code"] == "column_not_found"
    response = http.get(f"{P}/entities/patients/frame", params={"where": "age >= 'old'"}, headers=headers["reader"])
    assert response.status_code == 422, response.text
    response = http.get(f"{P}/entities/patients/frame", headers={**headers["reader"], "Accept": "image/png"})
    assert response.status_code == 406
    response = http.get(f"{P}/entities/patients/frame", params={"format": "xml"}, headers=headers["reader"])
    assert response.status_code == 400


# -- artifacts and history -------------------------------------------------------------------------


def test_artifacts_save_load_delete(http, headers):
    url = f"{P}/artifacts/http_older"
    saved = http.put(url, json={"kind": "cohort", "entity": "patients", "cohort": "age >= 50", "overwrite": True},
                     headers=headers["analyst"])
    assert saved.status_code == 201, saved.text
    assert saved.json()["summary"]["rows"] > 0
    assert "http_older" in [a["name"] for a in http.get(f"{P}/artifacts", headers=headers["reader"]).json()]
    loaded = http.get(url, headers=headers["reader"]).json()
    assert loaded["kind"] == "cohort" and loaded["value"]["entity"] == "patients"
    assert http.put(url, json={"kind": "cohort", "entity": "patients", "cohort": "age >= 50"}, headers=headers["reader"]).status_code == 403
    assert http.delete(url, headers=headers["reader"]).status_code == 403
    assert http.delete(url, headers=headers["analyst"]).json() == {"deleted": "http_older"}
    assert http.get(url, headers=headers["reader"]).status_code == 404


def test_history_lists_runs(http, headers):
    http.post(f"{P}/protocols/survival/run", json={}, headers=headers["analyst"])
    entries = http.get(f"{P}/history", params={"limit": 3}, headers=headers["reader"]).json()
    assert 1 <= len(entries) <= 3 and entries[0]["protocol"].startswith(("survival", "compare_arms", "cd4_response", "patients"))
    result = http.get(f"{P}/history/{entries[0]['id']}/result", headers=headers["analyst"])
    assert result.status_code == 200 and "tables" in result.json()
    assert http.get(f"{P}/history/{entries[0]['id']}/result", headers=headers["reader"]).status_code == 403


def test_history_says_which_token_ran_what(http, headers, tokens):
    http.post(f"{P}/protocols/patients/run", json={}, headers=headers["analyst"])
    newest = http.get(f"{P}/history", params={"limit": 1}, headers=headers["reader"]).json()[0]
    token_id = tokens["analyst"].removeprefix(PREFIX).split("_")[0]
    assert newest["protocol"].startswith("patients") and newest["who"] == f"token {token_id} (analyst)"


# -- access control ----------------------------------------------------------------------------


PROTECTED = [
    ("GET", P), ("GET", f"{P}/snapshots"), ("GET", f"{P}/protocols"), ("GET", f"{P}/entities/patients/frame"),
    ("POST", f"{P}/protocols/survival/run"), ("POST", f"{P}/snapshots"), ("GET", f"{P}/artifacts"), ("GET", f"{P}/history"),
]


@pytest.mark.parametrize("method,path", PROTECTED)
def test_missing_or_wrong_tokens_get_401_and_learn_nothing(http, method, path, tokens):
    wrong = tokens["admin"][:-4] + "abcd"
    answers = [
        http.request(method, path),
        http.request(method, path, headers={"Authorization": f"Bearer {wrong}"}),
        http.request(method, path, headers={"Authorization": "Basic YWRtaW46YWRtaW4="}),
        http.request(method, path, headers={"Authorization": f"Bearer {tokens['synthetic_reader']}"}),  # another product's
        http.request(method, path.replace("actg175", "not_served")),
    ]
    for response in answers:
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert error_of(response) == {"code": "unauthorized", "message": "A valid token is required.", "details": {}}


def test_unknown_product_is_404_only_for_token_holders(http, headers):
    response = http.get("/api/products/not_served/snapshots", headers=headers["reader"])
    assert response.status_code == 404


@pytest.mark.parametrize("role,method,path,body", [
    ("reader", "POST", f"{P}/protocols/survival/run", {}),
    ("reader", "POST", f"{P}/plugins/cd4_response/run", {}),
    ("reader", "POST", f"{P}/rerun", {"protocol": "survival", "protocol_version": "1.0.0", "snapshot": "latest", "parameters": {}}),
    ("analyst", "POST", f"{P}/snapshots", {}),
    ("analyst", "PUT", f"{P}/tags/v9", {"snapshot": "latest"}),
    ("survival_only", "POST", f"{P}/protocols/compare_arms/run", {}),
    ("survival_only", "POST", f"{P}/protocols/compare_arms@1.0.0/run", {}),
    ("survival_only", "POST", f"{P}/plugins/cd4_response/run", {}),
    ("survival_only", "GET", f"{P}/protocols/compare_arms", None),
])
def test_roles_and_protocol_lists_give_403(http, headers, role, method, path, body):
    response = http.request(method, path, json=body, headers=headers[role])
    assert response.status_code == 403
    assert error_of(response) == {"code": "forbidden", "message": "This token is not allowed to do this.", "details": {}}


def test_a_protocol_limited_token_sees_and_runs_its_protocols(http, headers):
    assert [p["name"] for p in http.get(f"{P}/protocols", headers=headers["survival_only"]).json()] == ["survival"]
    assert http.post(f"{P}/protocols/survival/run", json={}, headers=headers["survival_only"]).status_code == 200


def test_revoked_tokens_stop_working_at_once(http, served_dirs):
    from jupyter_dataproduct.server.tokens import TokenStore

    store = TokenStore.for_product(served_dirs["actg175"])
    token, info = store.create("reader")
    assert http.get(f"{P}/snapshots", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    store.revoke(info.id)
    assert http.get(f"{P}/snapshots", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_no_cors(http, headers):
    response = http.get(f"{P}/snapshots", headers={**headers["reader"], "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    preflight = http.options(f"{P}/snapshots", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code in (401, 404, 405) and "access-control-allow-origin" not in preflight.headers


# -- bad input: 4xx, never 5xx -------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2", b'{"threshold": }', b"\xff\xfe", b"nan nan", b"[" * 100_000])
def test_malformed_json_is_400(http, headers, body):
    response = http.post(f"{P}/protocols/cd4_response/run", content=body,
                         headers={**headers["analyst"], "Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad_request"


@pytest.mark.parametrize("method,path,body", [
    ("POST", f"{P}/protocols/cd4_response/run", [1, 2]),
    ("POST", f"{P}/protocols/cd4_response/run", "threshold"),
    ("POST", f"{P}/entities/patients/frame", {"columns": 5}),
    ("POST", f"{P}/entities/patients/frame", {"columns": [1, 2]}),
    ("POST", f"{P}/entities/patients/frame", {"limit": "ten"}),
    ("POST", f"{P}/entities/patients/frame", {"limit": True}),
    ("POST", f"{P}/entities/patients/frame", {"limit": -1}),
    ("POST", f"{P}/entities/patients/frame", {"where": 5}),
    ("POST", f"{P}/entities/patients/frame", {"snapshot": ["latest"]}),
    ("POST", f"{P}/rerun", {"protocol": 5}),
    ("POST", f"{P}/rerun", {"protocol": "survival", "protocol_version": "1.0.0", "snapshot": "latest", "parameters": []}),
    ("POST", f"{P}/snapshots", {"force": "yes"}),
    ("PUT", f"{P}/artifacts/x1", {"kind": 3}),
    ("PUT", f"{P}/artifacts/x1", {"kind": "table"}),
    ("PUT", f"{P}/artifacts/x1", {"kind": "cohort", "entity": "patients"}),
    ("PUT", f"{P}/artifacts/x1", {"kind": "result"}),
    ("PUT", f"{P}/tags/v1", {"snapshot": 7}),
])
def test_wrong_types_are_400(http, headers, method, path, body):
    response = http.request(method, path, json=body, headers=headers["admin"])
    assert response.status_code == 400, response.text
    assert error_of(response)["code"] == "bad_request"


@pytest.mark.parametrize("params", [{"limit": "x"}, {"limit": "-3"}, {"limit": "1e3"}, {"format": "pdf"}])
def test_bad_query_values_are_400(http, headers, params):
    assert http.get(f"{P}/entities/patients/frame", params=params, headers=headers["reader"]).status_code == 400


def test_wrong_parameter_values_are_422(http, headers):
    for body in ({"threshold": "high"}, {"threshold": 1.5}, {"week": 3}, {"cohort": 5}, {"unknown": 1}, {"cohort": {"column": "age"}}):
        response = http.post(f"{P}/protocols/cd4_response/run", json=body, headers=headers["analyst"])
        assert response.status_code == 422, (body, response.text)


def test_oversized_bodies_are_413(http, headers):
    big = {"cohort": "age >= 1 or " * 100_000 + "age >= 1"}
    response = http.post(f"{P}/protocols/cd4_response/run", json=big, headers=headers["analyst"])
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"

    def chunks():  # no Content-Length: the server counts while reading
        for _ in range(300):
            yield b" " * 10_000

    response = http.post(f"{P}/protocols/cd4_response/run", content=chunks(),
                         headers={**headers["analyst"], "Content-Type": "application/json"})
    assert response.status_code == 413


def test_non_json_bodies_are_415(http, headers):
    response = http.post(f"{P}/protocols/cd4_response/run", content=b"threshold=5",
                         headers={**headers["analyst"], "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415


@pytest.mark.parametrize("path", [
    f"{P}/artifacts/..%2F..%2F..%2Fetc%2Fpasswd",
    f"{P}/artifacts/%2E%2E",
    f"{P}/artifacts/.hidden",
    "/api/products/..%2Factg175/snapshots",
    "/api/products/%2E%2E/snapshots",
    f"{P}/entities/..%2F..%2Fsnapshots/frame",
    f"{P}/entities/%2E%2E/frame",
    f"{P}/protocols/..%2Fprotocols%2Fsurvival",
    f"{P}/protocols/..%2F..%2Fdataproduct.yaml",
    f"{P}/snapshots/..%2F..%2F..",
    f"{P}/snapshots/%2E%2E",
    f"{P}/history/..%2F..%2Fartifacts/result",
    f"{P}/history/%2E%2E/result",
    f"{P}/plugins/..%2Fplugins%2Fcd4_response/run",
])
def test_path_tricks_in_names_are_refused(http, headers, path, served_dirs):
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = http.request(method, path, headers=headers["admin"], json={"kind": "cohort", "entity": "patients", "cohort": ""})
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert "root:" not in response.text
    assert (served_dirs["actg175"] / "dataproduct.yaml").is_file()


@pytest.mark.parametrize("raw", [
    f"{P}/artifacts/../../../../etc/passwd", f"{P}/artifacts/..", "/api/products/../../etc/passwd",
    f"{P}/entities/../snapshots/frame", f"{P}/snapshots/../../..", "/api/products/actg175/../actg175/snapshots",
])
def test_raw_dot_segments_never_reach_a_file(server, tokens, raw):
    """Sent byte for byte (HTTP clients would normalise the dots away)."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"GET {raw} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tokens['admin']}\r\n"
                     "Connection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:300]
    assert b"root:" not in answer


def test_unknown_routes_and_methods_use_the_error_shape(http, headers):
    assert error_of(http.get("/api/nothing"))["code"] == "not_found"
    response = http.patch(f"{P}/snapshots", headers=headers["admin"])
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


def test_survival_grouped_by_its_event_column_is_not_a_server_error(http, headers):
    # Found by fuzzing: the group column was selected twice when it was the event column.
    response = http.post(f"{P}/protocols/survival/run", json={"group": "cens"}, headers=headers["analyst"])
    assert response.status_code == 200, response.text


def test_plugins_are_listed_with_paths_inside_the_product(http, headers, served_dirs):
    response = http.get(f"{P}/plugins", headers=headers["reader"])
    plugins = {p["name"]: p for p in response.json()}
    assert plugins["cd4_response"]["file"] == "plugins/cd4_response.py"
    assert plugins["survival"]["builtin"] and not str(plugins["survival"]["file"] or "").startswith("/")
    assert str(served_dirs["actg175"]) not in response.text and '"/' not in response.text


def test_the_host_header_is_never_reflected(base_url, headers):
    import httpx

    for path in (f"{P}/", f"{P}/snapshots/", "/api/health/"):
        response = httpx.get(f"{base_url}{path}", headers={**headers["reader"], "Host": "evil.example"}, follow_redirects=False,
                             timeout=60)
        assert "evil.example" not in response.headers.get("location", "") and "evil.example" not in response.text
        assert response.status_code in (401, 404), (path, response.status_code)


def test_history_is_paged(http, headers):
    for week in (20, 96):
        assert http.post(f"{P}/protocols/cd4_response/run", json={"week": week}, headers=headers["analyst"]).status_code == 200
    first = http.get(f"{P}/history", params={"limit": 2}, headers=headers["reader"]).json()
    second = http.get(f"{P}/history", params={"limit": 2, "offset": 1}, headers=headers["reader"]).json()
    assert len(first) == 2 and second[0]["id"] == first[1]["id"]
    assert len(http.get(f"{P}/history", headers=headers["reader"]).json()) <= 100
    assert http.get(f"{P}/history", params={"offset": -1}, headers=headers["reader"]).status_code == 400
