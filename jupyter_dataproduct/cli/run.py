from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from ..core.assignments import parse_assignments
from ..core.errors import ParameterError, ProtocolNotFoundError
from ..core.product import Product
from ..core.result import Result
from .output import json_option, print_json, print_table, reports_errors

PREVIEW_ROWS = 20


@click.command("run")
@click.argument("path", type=click.Path(file_okay=False))
@click.argument("protocol")
@click.argument("assignments", nargs=-1)
@click.option("--snapshot", "-s", default="latest", show_default=True, help="Snapshot id, prefix or tag.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write a table to .parquet, .csv or .json.")
@click.option("--table", help="Which table --output writes (default: the first).")
@click.option("--save", "save_as", help="Also save the result as an artifact with this name.")
@json_option
@reports_errors
def command(path: str, protocol: str, assignments: tuple[str, ...], snapshot: str, output: str | None,
            table: str | None, save_as: str | None, as_json: bool) -> None:
    """Run PROTOCOL of the product at PATH with key=value parameters.

    PROTOCOL may also name a plugin (a built-in algorithm such as ``summary``, or one of the
    product's plugins), run directly as ``%dataproduct run`` does in a notebook."""
    product = Product.open(path)
    result = run_protocol_or_plugin(product, protocol, parse_assignments(assignments), snapshot)
    if save_as:
        product.artifacts.save_result(save_as, result)
    if output:
        write_table(result, Path(output), table)
    if as_json:
        payload = result.summary()
        payload["tables"] = {n: t.to_dicts() for n, t in result.tables.items()}  # every row: scripts read these
        print_json(payload)
        return
    show_result(result)
    if output:
        click.echo(f"Wrote {output}")


def run_protocol_or_plugin(product: Product, name: str, parameters: dict, snapshot: str) -> Result:
    """A protocol by that name, else a plugin by that name (the magic's rule)."""
    try:
        return product.run(name, parameters, snapshot=snapshot)
    except ProtocolNotFoundError:
        if name not in product.plugins():
            raise
    return product.run_plugin(name, parameters, snapshot=snapshot)


def write_table(result: Result, file: Path, name: str | None) -> None:
    if not result.tables:
        raise ParameterError("This result has no table to write.")
    if name is not None and name not in result.tables:
        raise ParameterError(f"No table {name!r}; tables: {', '.join(result.tables)}")
    frame = result.tables[name] if name else next(iter(result.tables.values()))
    writers = {".parquet": frame.write_parquet, ".csv": lambda f: _csv_safe(frame).write_csv(f),
               ".json": lambda f: frame.write_json(f)}
    writer = writers.get(file.suffix.lower())
    if writer is None:
        raise ParameterError(f"--output {file.name}: use a .parquet, .csv or .json file name.")
    writer(file)


def _csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    nested = [n for n, d in frame.schema.items() if d.is_nested()]
    return frame.with_columns(pl.col(nested).cast(pl.String)) if nested else frame


def show_result(result: Result) -> None:
    p = result.provenance
    click.echo(f"{p['protocol']}@{p['protocol_version']} on {p['product']}@{p['snapshot'][:12]}")
    for name, value in result.values.items():
        click.echo(f"{name}: {value}")
    for name, frame in result.tables.items():
        click.secho(f"\n{name} ({frame.height:,} rows)", bold=True)
        print_table(frame.head(PREVIEW_ROWS).to_dicts(), total=frame.height,
                    hint=f"--output FILE{' --table ' + name if len(result.tables) > 1 else ''} writes them all")
    if result.charts:
        click.echo(f"\ncharts: {', '.join(result.charts)} (Vega-Lite; shown in notebooks)")
