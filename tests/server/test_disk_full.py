"""A full disk on the server is HTTP 507 with the one error shape, for a run (its history entry)
and a build; reading goes on."""

from __future__ import annotations

import json

import httpx

from jupyter_dataproduct.core.product import Product

P = "/api/products/actg175"


def test_a_full_disk_is_507_and_reading_goes_on(serve_copy, small_disk):
    disks = {}

    def store_on_a_small_disk(folder):
        disks["store"] = small_disk(folder / ".dataproduct", "4m")
        Product.open(folder).build()

    base, admin, _ = serve_copy(store_on_a_small_disk)
    disks["store"].fill(leave=0)
    with httpx.Client(base_url=base, headers=admin, timeout=120) as http:
        run = http.post(f"{P}/protocols/survival/run", json={})
        assert run.status_code == 507, run.text
        assert run.json()["error"]["code"] == "disk_full"
        assert "The disk is full" in run.json()["error"]["message"]
        build = http.post(f"{P}/snapshots", json={"force": True})
        assert build.status_code == 507 and build.json()["error"]["code"] == "disk_full", build.text
        streamed = http.post(f"{P}/snapshots", json={"force": True}, headers={"Accept": "application/x-ndjson"})
        assert json.loads(streamed.text.splitlines()[-1])["error"]["code"] == "disk_full"
        assert http.get(f"{P}/protocols").status_code == 200
        assert http.get(f"{P}/snapshots/latest").status_code == 200
        disks["store"].free()
        assert http.post(f"{P}/protocols/survival/run", json={}).status_code == 200
