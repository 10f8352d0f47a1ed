"""How CLI commands report: human tables on stdout, or JSON with ``--json``; errors as
one clear message (or the JSON error shape) and a non-zero exit code."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import click

from ..core.errors import DataProductError
from . import tables

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
product_option = click.option(
    "-C", "--product", "product_path", default=".", show_default=True,
    type=click.Path(file_okay=False), help="Folder of the data product.",
)


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors into a clear message and exit code 1 (JSON shape with --json)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataProductError as exc:
            if kwargs.get("as_json"):
                click.echo(json.dumps({"error": exc.to_dict()}, indent=2, default=str))
            else:
                click.secho(f"Error: {exc.message}", fg="red", err=True)
            sys.exit(1)

    return wrapper


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def print_table(rows: list[dict[str, Any]], *, empty: str = "(none)", total: int | None = None,
                hint: str = "") -> None:
    """Print rows as a table that fits the terminal (see :mod:`.tables`). With ``total``
    (how many rows there are), always say how many of them are shown."""
    if not rows:
        click.echo(empty if total is None else f"{empty}\n0 of {total:,} rows shown")
        return
    tables.render(rows, tables.console())
    if total is not None:
        click.echo(f"{len(rows):,} of {total:,} rows shown" + (f" ({hint})" if hint and len(rows) < total else ""))
