from __future__ import annotations

import click

from ..core.product import Product
from .output import json_option, print_json, print_table, reports_errors


@click.command("artifacts")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--delete", "delete", metavar="NAME", help="Delete the artifact NAME.")
@click.option("--save-cohort", nargs=3, metavar="NAME ENTITY EXPRESSION", help="Save a cohort by name.")
@click.option("--force", is_flag=True, help="With --save-cohort: replace an existing artifact.")
@json_option
@reports_errors
def command(path: str, delete: str | None, save_cohort: tuple[str, str, str] | None, force: bool, as_json: bool) -> None:
    """List saved artifacts (cohorts, tables, results), or save / delete one."""
    product = Product.open(path)
    if delete:
        product.artifacts.delete(delete)
        print_json({"deleted": delete}) if as_json else click.echo(f"Deleted artifact {delete}")
        return
    if save_cohort:
        name, entity, expression = save_cohort
        info = product.save_cohort(name, entity, expression, overwrite=force)
        print_json(info.to_json()) if as_json else click.echo(
            f"Saved cohort {name}: {info.summary['rows']:,} {entity} where {info.summary['definition']}"
        )
        return
    artifacts = product.artifacts.list()
    if as_json:
        print_json([a.to_json() for a in artifacts])
        return
    print_table([
        {"name": a.name, "kind": a.kind, "created": a.created,
         "from": a.provenance.get("protocol") or a.summary.get("definition", ""),
         "snapshot": str(a.provenance.get("snapshot", ""))[:12]}
        for a in artifacts
    ], empty="No artifacts yet.")
