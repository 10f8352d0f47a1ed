"""Tokens: created by the CLI, shown once, stored hashed in the product's store, revocable."""

from __future__ import annotations

import hashlib
import json
import stat

import pytest
from click.testing import CliRunner

from jupyter_dataproduct.cli import main as cli
from jupyter_dataproduct.core.errors import ParameterError
from jupyter_dataproduct.server.tokens import TOKENS_FILE, TokenNotFoundError, TokenStore


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    return result


def test_create_prints_the_token_once_and_stores_only_its_hash(tiny_dir):
    result = run("token", "create", str(tiny_dir), "--role", "analyst", "--protocol", "survival", "--note", "ci")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("dp_") and len(token) > 40
    assert "not shown again" in result.stderr
    file = tiny_dir / ".dataproduct" / TOKENS_FILE
    text = file.read_text()
    assert token not in text
    assert hashlib.sha256(token.encode()).hexdigest() in text
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.with_suffix(".lock").stat().st_mode) == 0o600
    listed = run("token", "list", str(tiny_dir), "--json")
    entries = json.loads(listed.stdout)
    assert entries == [{"id": token.split("_")[1], "role": "analyst", "protocols": ["survival"],
                        "created": entries[0]["created"], "note": "ci"}]
    assert token not in listed.stdout and "sha256" not in listed.stdout


def test_list_and_revoke_from_the_cli(tiny_dir):
    first = run("token", "create", str(tiny_dir)).stdout.strip()
    run("token", "create", str(tiny_dir), "--role", "admin")
    table = run("token", "list", str(tiny_dir)).stdout
    assert "reader" in table and "admin" in table and "(all)" in table
    store = TokenStore.for_product(tiny_dir)
    token_id = store.authenticate(first).id
    result = run("token", "revoke", str(tiny_dir), token_id)
    assert result.exit_code == 0 and token_id in result.stdout
    assert store.authenticate(first) is None
    assert [t.role for t in store.list()] == ["admin"]
    missing = run("token", "revoke", str(tiny_dir), "nope", "--json")
    assert missing.exit_code == 1 and json.loads(missing.stdout)["error"]["code"] == "token_not_found"


def test_bad_roles_and_protocol_names_are_refused(tiny_dir):
    assert run("token", "create", str(tiny_dir), "--role", "root").exit_code != 0
    store = TokenStore.for_product(tiny_dir)
    with pytest.raises(ParameterError):
        store.create("root")
    with pytest.raises(ParameterError):
        store.create("reader", ["../etc"])
    with pytest.raises(TokenNotFoundError):
        store.revoke("0000")


def test_tokens_live_in_the_store_folder_named_by_the_environment(tiny_dir, tmp_path, monkeypatch):
    store_dir = tmp_path / "elsewhere"
    monkeypatch.setenv("DATAPRODUCT_STORE", str(store_dir))
    token = run("token", "create", str(tiny_dir)).stdout.strip()
    assert (store_dir / TOKENS_FILE).is_file()
    assert not (tiny_dir / ".dataproduct" / TOKENS_FILE).exists()
    assert TokenStore.for_product(tiny_dir).authenticate(token).role == "reader"


def test_authenticate_refuses_anything_but_a_current_token(tiny_dir):
    store = TokenStore.for_product(tiny_dir)
    token, info = store.create("reader")
    assert store.authenticate(token).id == info.id
    for wrong in (None, "", token[:-1], token + "x", token.upper(), "dp_" + "a" * 300, info.sha256, "Bearer " + token):
        assert store.authenticate(wrong) is None
    other = TokenStore(tiny_dir / "other-store")
    assert other.authenticate(token) is None


def test_roles_and_protocol_lists():
    from jupyter_dataproduct.server.tokens import TokenInfo

    reader, analyst, admin = (TokenInfo(id="x", role=r) for r in ("reader", "analyst", "admin"))
    assert reader.allows("reader") and not reader.allows("analyst") and not reader.allows("admin")
    assert analyst.allows("reader") and analyst.allows("analyst") and not analyst.allows("admin")
    assert admin.allows("admin")
    limited = TokenInfo(id="y", role="analyst", protocols=("survival",))
    assert limited.allows_protocol("survival") and limited.allows_protocol("survival@1.0.0")
    assert not limited.allows_protocol("compare_arms") and not limited.allows_protocol("survival_v2")
    assert analyst.allows_protocol("anything")


def test_concurrent_creates_lose_no_token(tiny_dir):
    from concurrent.futures import ThreadPoolExecutor

    store = TokenStore.for_product(tiny_dir)
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: store.create("reader")[0], range(16)))
    fresh = TokenStore.for_product(tiny_dir)
    assert all(fresh.authenticate(token) for token in made)
    assert len(fresh.list()) == 16


def test_serve_needs_a_product_folder(tmp_path):
    result = run("serve", str(tmp_path), "--port", "0")
    assert result.exit_code == 1 and "not a data product" in result.output
