from __future__ import annotations

import json

import click

from ..core.cohort import tree_to_text
from ..core.product import Product
from .output import json_option, print_json, print_table, reports_errors
from .run import show_result


@click.command("history")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--limit", "-n", default=20, show_default=True)
@click.option("--rerun", metavar="ID", help="Run history entry ID again.")
@click.option("--save", nargs=2, metavar="ID NAME", help="Save the result of entry ID as artifact NAME.")
@json_option
@reports_errors
def command(path: str, limit: int, rerun: str | None, save: tuple[str, str] | None, as_json: bool) -> None:
    """The analysis history: every protocol run, newest first."""
    product = Product.open(path)
    if rerun:
        result = product.rerun(product.history.get(rerun).provenance)
        print_json(result.summary()) if as_json else show_result(result)
        return
    if save:
        info = product.save_history_entry(*save)
        print_json(info.to_json()) if as_json else click.echo(f"Saved {save[0]} as artifact {info.name}")
        return
    entries = product.history.list(limit)
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    print_table([
        {"id": e.id, "when": e.when, "who": e.who, "protocol": e.protocol,
         "snapshot": e.provenance["snapshot"][:12], "parameters": _params(e.provenance["parameters"])}
        for e in entries
    ], empty="No runs yet.")


def _params(parameters: dict) -> str:
    parts = []
    for key, value in parameters.items():
        if isinstance(value, dict) and "tree" in value:  # a cohort: as its author wrote it
            value = value.get("text") or tree_to_text(value["tree"])
        parts.append(f"{key}={json.dumps(value) if not isinstance(value, str) else value}")
    text = " ".join(parts)
    return text if len(text) <= 70 else text[:67] + "..."
