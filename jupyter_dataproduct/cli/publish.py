from __future__ import annotations

import sys

import click
from tqdm import tqdm

from ..core.product import Product
from ..core.progress import bar_updater
from .output import json_option, print_json, reports_errors


@click.command("publish")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.argument("ref", default="latest")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
@reports_errors
def command(path: str, ref: str, quiet: bool, as_json: bool) -> None:
    """Upload local snapshot REF (default: latest) of the product at PATH to the object storage
    its manifest names (snapshots.url): for snapshots built before the product moved there."""
    product = Product.open(path)
    show_progress = not quiet and not as_json and sys.stderr.isatty()
    bar = tqdm(total=1, unit="file", desc="publish", file=sys.stderr, disable=not show_progress)
    try:
        published = product.publish(ref, progress=bar_updater(bar))
    finally:
        bar.close()
    files = len(published.files())
    if as_json:
        print_json({"id": published.id, "store": product.store.url, "files": files})
    else:
        click.echo(f"Published {product.name}@{published.short_id} to {product.store.url} ({files} files)")
