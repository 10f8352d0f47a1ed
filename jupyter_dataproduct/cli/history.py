from __future__ import annotations

import json
import re
from datetime import timedelta

import click

from ..core.cohort import tree_to_text
from ..core.product import Product
from .output import json_option, print_json, print_table, reports_errors
from .run import show_result

_AGE = re.compile(r"^(\d+)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def _age(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    match = _AGE.match(value.strip())
    if not match:
        raise click.BadParameter(f"{value!r} is not an age; write a number and d, h or m: 30d, 12h, 90m.")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@click.command("history")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--limit", "-n", default=20, show_default=True, type=click.IntRange(min=1), help="Entries per page.")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0), help="Skip this many newest entries.")
@click.option("--rerun", metavar="ID", help="Run history entry ID again.")
@click.option("--save", nargs=2, metavar="ID NAME", help="Save the result of entry ID as artifact NAME.")
@click.option("--prune", is_flag=True, help="Delete old entries (with --keep and/or --older-than) and unused results.")
@click.option("--keep", type=click.IntRange(min=0), help="With --prune: keep the newest N entries.")
@click.option("--older-than", "older_than", callback=_age, metavar="AGE",
              help="With --prune: delete entries older than AGE (30d, 12h, 90m).")
@json_option
@reports_errors
def command(path: str, limit: int, offset: int, rerun: str | None, save: tuple[str, str] | None, prune: bool,
            keep: int | None, older_than: timedelta | None, as_json: bool) -> None:
    """The analysis history: every protocol run, newest first (paged); --prune keeps it in bounds."""
    product = Product.open(path)
    if rerun:
        result = product.rerun(product.history.get(rerun).provenance)
        print_json(result.summary()) if as_json else show_result(result)
        return
    if save:
        info = product.save_history_entry(*save)
        print_json(info.to_json()) if as_json else click.echo(f"Saved {save[0]} as artifact {info.name}")
        return
    if prune:
        before = product.history.count()
        pruned = product.history.prune(keep=keep, older_than=older_than)
        left = before - pruned
        print_json({"pruned": pruned, "left": left}) if as_json else click.echo(
            f"Pruned {pruned} of {before} history entries; {left} left.")
        return
    entries = product.history.list(limit, offset)
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    print_table([
        {"id": e.id, "when": e.when, "who": e.who, "protocol": e.protocol,
         "snapshot": e.provenance["snapshot"][:12], "parameters": _params(e.provenance["parameters"])}
        for e in entries
    ], empty="No runs yet." if not offset else "No runs on this page.")
    total = product.history.count()
    if entries and len(entries) < total:
        more = f"; next page: --offset {offset + len(entries)}" if offset + len(entries) < total else ""
        click.echo(f"{len(entries)} of {total} runs shown (runs {offset + 1}-{offset + len(entries)}, newest first{more})")


def _params(parameters: dict) -> str:
    parts = []
    for key, value in parameters.items():
        if isinstance(value, dict) and "tree" in value:  # a cohort: as its author wrote it
            value = value.get("text") or tree_to_text(value["tree"])
        parts.append(f"{key}={json.dumps(value) if not isinstance(value, str) else value}")
    text = " ".join(parts)
    return text if len(text) <= 70 else text[:67] + "..."
