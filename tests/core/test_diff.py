"""diff: schema changes and row-count changes per entity between two snapshots."""

from __future__ import annotations

from jupyter_dataproduct.core.product import Product


def test_diff_reports_schema_and_row_changes(write_product, tiny_manifest, tiny_files):
    folder = write_product(tiny_manifest, tiny_files)
    product = Product.open(folder)
    before = product.build().snapshot
    changed = (
        tiny_manifest.replace("week: {type: int, required: true}", "week: {type: float, required: true}")
        .replace("        name: {type: string, collection: Identification}\n", "")
        .replace("        smoker: {type: bool, collection: Demographics}\n",
                 "        smoker: {type: bool, collection: Demographics}\n        older: {type: bool, derive: age > 40}\n")
    )
    (folder / "dataproduct.yaml").write_text(changed)
    (folder / "data" / "visits.csv").write_text(tiny_files["data/visits.csv"] + "3,4,62\n")
    after = product.build().snapshot
    report = product.diff(before.id, after.id)
    assert report["config_changed"] and report["sources_changed"] == ["visits"]
    people, visits = report["entities"]["people"], report["entities"]["visits"]
    assert people["columns_added"] == ["older"] and people["columns_removed"] == ["name"]
    assert people["rows"] == {"a": 5, "b": 5, "change": 0}
    assert visits["type_changes"] == [{"column": "week", "a": "Int64", "b": "Float64"}]
    assert visits["rows"] == {"a": 8, "b": 9, "change": 1}
    assert product.diff(after.id, after.id)["identical"]
