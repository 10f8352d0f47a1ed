from __future__ import annotations

import sys

import click
from tqdm import tqdm

from ..core.product import Product
from ..core.progress import bar_updater
from .output import json_option, print_json, reports_errors
from .snapshots import snapshot_row


@click.command("build")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--tag", "tags", multiple=True, help="Tag the snapshot (repeatable), e.g. --tag v1.")
@click.option("--force", is_flag=True, help="Rebuild even if an identical snapshot exists.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
@reports_errors
def command(path: str, tags: tuple[str, ...], force: bool, quiet: bool, as_json: bool) -> None:
    """Build an immutable snapshot of the product at PATH."""
    product = Product.open(path)
    show_progress = not quiet and not as_json and sys.stderr.isatty()
    bar = tqdm(total=1, unit="step", desc="build", file=sys.stderr, disable=not show_progress)

    try:
        result = product.build(progress=bar_updater(bar), force=force)
    finally:
        bar.close()
    for name in tags:
        product.tag(name, result.snapshot.id)
    row = snapshot_row(result.snapshot, product.store.tags_by_snapshot())
    if as_json:
        print_json({"created": result.created, "snapshot": row})
        return
    verb = "Built" if result.created else "Up to date:"
    rows = ", ".join(f"{name} {count:,} rows" for name, count in result.snapshot.rows().items())
    where = f" in {product.store.url}" if hasattr(product.store, "url") else ""
    click.echo(f"{verb} {product.name}@{result.snapshot.short_id} ({rows}){where}")
    if tags:
        click.echo(f"Tagged {', '.join(tags)}")
