from __future__ import annotations

from typing import Any

import click

from ..core.product import Product
from ..core.snapshot import Snapshot
from .output import json_option, print_json, print_table, reports_errors


def snapshot_row(snapshot: Snapshot, tags: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "created": snapshot.created,
        "rows": snapshot.rows(),
        "tags": tags.get(snapshot.id, []),
        "product_version": snapshot.info.get("product_version"),
    }


@click.command("snapshots")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@json_option
@reports_errors
def command(path: str, as_json: bool) -> None:
    """List the snapshots of the product at PATH, newest first."""
    product = Product.open(path)
    tags = product.store.tags_by_snapshot()
    rows = [snapshot_row(s, tags) for s in product.snapshots()]
    if as_json:
        print_json(rows)
        return
    print_table(
        [
            {
                "id": r["id"][:12],
                "created": r["created"],
                "rows": ", ".join(f"{k}={v:,}" for k, v in r["rows"].items()),
                "tags": ", ".join(r["tags"]),
            }
            for r in rows
        ],
        empty="No snapshots yet. Build one with: dataproduct build " + path,
    )
