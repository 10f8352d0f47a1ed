from __future__ import annotations

from pathlib import Path

import click

from ..core.scaffold import product_name, scaffold_product
from .output import json_option, print_json, reports_errors


@click.command("init")
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--name", help="Product name (default: the folder's name in lower_snake_case).")
@click.option("--directory", "-d", type=click.Path(file_okay=False), hidden=True,
              help="Older form: `init NAME --directory PATH`.")
@json_option
@reports_errors
def command(path: str, name: str | None, directory: str | None, as_json: bool) -> None:
    """Create a data product in the folder PATH, with sample data and one tested protocol:
    validate, build, run and test work at once."""
    if directory is not None:  # `init NAME --directory PATH`: PATH is the folder, NAME the name
        name, path = name or path, directory
    derived = name is None
    name = name or product_name(path)
    folder = scaffold_product(name, Path(path))
    if as_json:
        print_json({"path": str(folder), "name": name})
        return
    if derived and name != Path(path).name:
        click.echo(f"Named the product {name!r} after the folder {Path(path).name!r} (--name to choose another).")
    click.echo(f"Created data product {name!r} in {folder}")
    click.echo(f"Next: cd {path} && dataproduct validate && dataproduct build && dataproduct test")
