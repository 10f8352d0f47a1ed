from __future__ import annotations

import csv
import sys

import click

from ..core.dictionary import DICTIONARY_COLUMNS
from ..core.product import Product
from .output import json_option, print_json, print_table, reports_errors


@click.command("dictionary")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to stdout.")
@click.option("--entity", help="Only this entity.")
@json_option
@reports_errors
def command(path: str, as_csv: bool, entity: str | None, as_json: bool) -> None:
    """Export the data dictionary: entity, collection, column, type, unit, labels, description."""
    rows = Product.open(path).dictionary()
    if entity:
        rows = [r for r in rows if r["entity"] == entity]
    if as_json:
        print_json(rows)
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=DICTIONARY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    else:
        print_table([{k: r[k] for k in ("entity", "collection", "column", "type", "unit", "labels")} for r in rows])
