from __future__ import annotations

import click

from ..core.product import Product
from .output import json_option, print_json, reports_errors


@click.command("validate")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@json_option
@reports_errors
def command(path: str, as_json: bool) -> None:
    """Check dataproduct.yaml against the schema without building."""
    manifest = Product.open(path).manifest
    if as_json:
        print_json({"valid": True, "name": manifest.name, "version": manifest.version})
    else:
        click.echo(f"{manifest.name} {manifest.version}: manifest is valid")
