"""``dataproduct/version`` and ``dataproduct/products``: what the panel lists and how."""

from __future__ import annotations

import shutil

from jupyter_dataproduct import __version__


async def test_version_is_the_python_package_version(api):
    assert await api("version") == (200, {"version": __version__})


async def test_a_folder_under_the_root_is_found_and_listed(api):
    status, body = await api("products")
    assert status == 200
    assert [p["name"] for p in body["products"]] == ["actg175", "tiny"]
    assert body["products"][1] == {
        "name": "tiny", "title": "Tiny product", "version": "0.1.0", "kind": "folder", "location": "products/tiny",
        "origin": "found", "health": "ok", "connect": "products/tiny",
    }


async def test_a_product_describes_its_entities_and_collections(api):
    status, info = await api("products", "tiny")
    assert status == 200
    assert (info["name"], info["title"], info["version"]) == ("tiny", "Tiny product", "0.1.0")
    people = next(e for e in info["entities"] if e["name"] == "people")
    assert people["rows"] == 5 and people["key"] == ["id"]
    age = next(c for c in people["columns"] if c["name"] == "age")
    assert age == {"name": "age", "type": "int", "unit": "years", "collection": "Demographics",
                   "description": "Age at entry"}
    group = next(c for c in people["columns"] if c["name"] == "group")
    assert group["labels"] == {"1": "control", "2": "treated"}
    assert info["collections"] == ["Identification", "Demographics", "Treatment", "Dates"]


async def test_an_unknown_product_is_a_404_naming_the_known_ones(api):
    status, body = await api("products", "nope")
    assert status == 404
    assert body == {"error": {"code": "unknown_product", "message": "No product 'nope'; known: actg175, tiny",
                              "details": {"product": "nope", "allowed": ["actg175", "tiny"]}}}


async def test_a_product_without_a_snapshot_is_described_without_row_counts(api, root):
    fresh = root / "work" / "fresh"
    fresh.parent.mkdir()
    shutil.copytree(root / "products" / "tiny", fresh, ignore=shutil.ignore_patterns(".dataproduct"))
    status, body = await api("products", method="POST", body={"location": "work/fresh", "name": "fresh"})
    assert status == 201 and body["health"] == "ok"
    status, info = await api("products", "fresh")
    assert status == 200 and [e.get("rows") for e in info["entities"]] == [None, None]


async def test_a_folder_that_went_missing_says_so_in_every_call_and_in_the_list(api, root):
    kept = root / "work" / "kept"
    shutil.copytree(root / "products" / "tiny", kept)
    status, _ = await api("products", method="POST", body={"location": "work/kept", "name": "kept"})
    assert status == 201 and (await api("products", "kept", "snapshots"))[0] == 200  # opened and cached
    shutil.rmtree(kept)
    for path in ((), ("protocols",), ("snapshots",), ("artifacts",), ("history",)):
        status, body = await api("products", "kept", *path)
        assert status == 404, (path, body)
        assert body["error"]["code"] == "product_missing"
        assert body["error"]["message"].startswith("work/kept no longer holds a data product (dataproduct.yaml is missing)")
        assert "remove it from the panel" in body["error"]["message"]
    listed = {p["name"]: p for p in (await api("products"))[1]["products"]}
    assert listed["kept"]["health"] == "error" and listed["kept"]["error"]["code"] == "product_missing"
    shutil.copytree(root / "products" / "tiny", kept)  # put back: it answers again
    assert (await api("products", "kept", "snapshots"))[0] == 200
