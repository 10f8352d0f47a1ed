from __future__ import annotations

import click

from ..core.product import Product
from .output import json_option, print_json, print_table, product_option, reports_errors


@click.command("diff")
@click.argument("a")
@click.argument("b", default="latest")
@product_option
@json_option
@reports_errors
def command(a: str, b: str, product_path: str, as_json: bool) -> None:
    """Show schema and row-count changes per entity from snapshot A to B."""
    report = Product.open(product_path).diff(a, b)
    if as_json:
        print_json(report)
        return
    click.echo(f"{report['a'][:12]} -> {report['b'][:12]}")
    if report["identical"]:
        click.echo("identical snapshots")
        return
    if report["sources_changed"]:
        click.echo(f"sources changed: {', '.join(report['sources_changed'])}")
    if report["config_changed"]:
        click.echo("model config changed")
    print_table(
        [
            {
                "entity": name,
                "status": e["status"],
                "rows a": e["rows"]["a"],
                "rows b": e["rows"]["b"],
                "change": _signed(e["rows"]["change"]),
                "schema": _schema_text(e),
            }
            for name, e in report["entities"].items()
        ]
    )


def _signed(value: int | None) -> str:
    return "" if value is None else f"{value:+,}"


def _schema_text(entry: dict) -> str:
    parts = [f"+{c}" for c in entry["columns_added"]] + [f"-{c}" for c in entry["columns_removed"]]
    parts += [f"{t['column']}: {t['a']} -> {t['b']}" for t in entry["type_changes"]]
    return "; ".join(parts)
