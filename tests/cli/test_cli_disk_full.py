"""A full disk is one clear error in the CLI (`build --json`, `token create`), nothing half-written."""

from __future__ import annotations

import json

from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.server.tokens import TokenStore


def test_build_json_on_a_full_disk(cli, actg_dir, small_disk):
    disk = small_disk(actg_dir / ".dataproduct", "2m")
    disk.fill(leave=8_192)
    failed = cli("build", actg_dir, "--json", ok=False)
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    error = json.loads(failed.output)["error"]
    assert error["code"] == "disk_full" and "The disk is full: the snapshot could not be written" in error["message"]
    assert Product.open(actg_dir).snapshots() == []
    disk.free()
    assert json.loads(cli("build", actg_dir, "--json").output)["created"] is True


def test_token_create_on_a_full_disk_keeps_the_tokens_it_had(cli, tiny_dir, small_disk):
    disk = small_disk(tiny_dir / ".dataproduct", "1m")
    kept = cli("token", "create", tiny_dir, "--role", "reader").output.splitlines()[0]
    disk.fill(leave=0)
    failed = cli("token", "create", tiny_dir, "--role", "admin", "--json", ok=False)
    assert json.loads(failed.output)["error"]["code"] == "disk_full"
    plain = cli("token", "create", tiny_dir, "--role", "admin", ok=False)
    assert "Error: The disk is full" in plain.output and "Traceback" not in plain.output
    store = TokenStore.for_product(tiny_dir)
    assert [t.role for t in store.list()] == ["reader"] and store.authenticate(kept) is not None
