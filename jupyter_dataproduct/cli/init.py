from __future__ import annotations

from pathlib import Path

import click

from ..core.scaffold import scaffold_product
from .output import json_option, print_json, reports_errors


@click.command("init")
@click.argument("name")
@click.option("--directory", "-d", type=click.Path(file_okay=False), help="Folder to create (default: NAME).")
@json_option
@reports_errors
def command(name: str, directory: str | None, as_json: bool) -> None:
    """Create a new data product NAME that builds out of the box."""
    folder = scaffold_product(name, Path(directory or name))
    if as_json:
        print_json({"path": str(folder), "name": name})
        return
    click.echo(f"Created data product {name!r} in {folder}")
    click.echo(f"Next: dataproduct build {folder}")
