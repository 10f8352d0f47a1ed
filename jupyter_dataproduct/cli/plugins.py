from __future__ import annotations

import click

from ..core.product import Product
from .output import json_option, print_json, print_table, reports_errors


@click.command("plugins")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@json_option
@reports_errors
def command(path: str, as_json: bool) -> None:
    """List built-in algorithms and the product's Python and R plugins."""
    product = Product.open(path)
    plugins = product.plugins()
    problems = product.repository.plugin_problems(product.manifest)
    if as_json:
        print_json({"plugins": [p.to_json() for p in plugins.values()], "problems": problems})
        return
    print_table([{"name": p.name, "language": p.language, "where": p.location, "title": p.title}
                 for p in plugins.values()])
    for message in problems.values():
        click.secho(f"broken: {message}", fg="red", err=True)
