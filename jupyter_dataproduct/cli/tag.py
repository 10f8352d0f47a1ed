from __future__ import annotations

import click

from ..core.product import Product
from .output import json_option, print_json, product_option, reports_errors


@click.command("tag")
@click.argument("name")
@click.argument("ref", default="latest")
@click.option("--delete", "-d", is_flag=True, help="Delete tag NAME.")
@product_option
@json_option
@reports_errors
def command(name: str, ref: str, delete: bool, product_path: str, as_json: bool) -> None:
    """Point tag NAME at snapshot REF (default: latest); a tag can move later."""
    product = Product.open(product_path)
    if delete:
        product.untag(name)
        print_json({"deleted": name}) if as_json else click.echo(f"Deleted tag {name}")
        return
    snapshot = product.tag(name, ref)
    if as_json:
        print_json({"tag": name, "id": snapshot.id})
    else:
        click.echo(f"{product.name}@{name} -> {snapshot.short_id}")
