"""How CLI commands report: human tables on stdout, or JSON with ``--json``; errors as
one clear message (or the JSON error shape) and a non-zero exit code."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import click
import polars as pl

from ..core.errors import DataProductError

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


def print_table(rows: list[dict[str, Any]], *, empty: str = "(none)") -> None:
    """Print rows as an aligned table (polars does the layout)."""
    if not rows:
        click.echo(empty)
        return
    frame = pl.DataFrame(rows, infer_schema_length=None)
    with pl.Config(
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_formatting="ASCII_MARKDOWN",
        tbl_rows=-1,
        tbl_cols=-1,
        fmt_str_lengths=80,
        tbl_width_chars=200,
    ):
        click.echo(str(frame))
