from __future__ import annotations

from pathlib import Path

import click

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
    frame = lazy.head(PREVIEW_ROWS).collect() if not as_json else lazy.collect()
    if as_json:
        print_json(frame.to_dicts())
        return
    print_table(frame.to_dicts())
