from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from ..core.errors import ParameterError
from ..core.product import Product
from .output import json_option, print_json, print_table, reports_errors

PREVIEW_ROWS = 20


@click.command("frame")
@click.argument("path", type=click.Path(file_okay=False))
@click.argument("entity")
@click.option("--where", help="Cohort expression, e.g. \"age >= 40 and arms in (1, 2)\", or @saved_cohort.")
@click.option("--columns", help="Comma-separated columns.")
@click.option("--join", "joins", multiple=True, help="Join a related entity (repeatable).")
@click.option("--limit", type=int)
@click.option("--snapshot", "-s", default="latest", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write all rows to .parquet, .csv or .json.")
@json_option
@reports_errors
def command(path: str, entity: str, where: str | None, columns: str | None, joins: tuple[str, ...],
            limit: int | None, snapshot: str, output: str | None, as_json: bool) -> None:
    """Extract rows of ENTITY: a cohort filter, chosen columns, related entities joined."""
    selected = [c.strip() for c in columns.split(",")] if columns else None
    lazy = Product.open(path).frame(entity, where, selected, join=list(joins) or None, snapshot=snapshot, limit=limit)
    if output:
        target = Path(output)
        writers = {".parquet": lazy.sink_parquet, ".csv": lazy.sink_csv, ".json": lambda f: lazy.collect().write_json(f)}
        if target.suffix.lower() not in writers:
            raise ParameterError(f"--output {target.name}: use a .parquet, .csv or .json file name.")
        writers[target.suffix.lower()](target)
        click.echo(f"Wrote {target}")
        return
    if as_json:
        print_json(lazy.collect().to_dicts())  # every row
        return
    # The terminal shows --limit rows (20 by default) and says how many rows matched in all.
    matching = lazy if limit is None else Product.open(path).frame(entity, where, selected, join=list(joins) or None,
                                                                   snapshot=snapshot)
    shown = matching.head(limit or PREVIEW_ROWS).collect()
    total = shown.height if shown.height < (limit or PREVIEW_ROWS) else matching.select(pl.len()).collect().item()
    print_table(shown.to_dicts(), total=total, hint="--limit N shows more; --output FILE writes them")
