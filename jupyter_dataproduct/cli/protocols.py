from __future__ import annotations

import sys

import click

from ..core.product import Product
from .output import json_option, print_json, print_table, reports_errors


@click.command("protocols")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.argument("protocol", required=False)
@json_option
@reports_errors
def command(path: str, protocol: str | None, as_json: bool) -> None:
    """List the protocols of the product at PATH, or describe PROTOCOL (with its JSON Schema)."""
    product = Product.open(path)
    if protocol:
        spec = product.protocol(protocol).spec
        schema = product.parameter_schema(protocol)
        if as_json:
            print_json({"name": spec.name, "version": spec.version, "title": spec.title,
                        "description": spec.description, "parameters": schema,
                        "outputs": {k: v.model_dump() for k, v in spec.outputs.items()}})
            return
        click.secho(f"{spec.key}: {spec.title}", bold=True)
        if spec.description:
            click.echo(spec.description.strip())
        print_table([
            {"parameter": name, "type": p.type, "required": p.is_required, "default": _short(p.default),
             "description": p.description or p.title}
            for name, p in spec.parameters.items()
        ])
        return
    catalog = product.protocols()
    rows = [
        {"name": v.spec.name, "version": v.spec.version, "title": v.spec.title,
         "parameters": list(v.spec.parameters), "tests": len(v.spec.tests),
         "versions": [x.spec.version for x in catalog.versions[v.spec.name]]}
        for v in catalog.latest()
    ]
    if as_json:
        print_json({"protocols": rows, "problems": catalog.problems})
    else:
        empty = "No protocols load: every protocol file is broken." if catalog.problems else \
            "No protocols yet: add YAML files to protocols/."
        print_table([{**r, "parameters": ", ".join(r["parameters"]), "versions": ", ".join(r["versions"])} for r in rows],
                    empty=empty)
        if catalog.problems:
            click.secho(f"\nBroken protocol files ({len(catalog.problems)}):", fg="red", bold=True)
        for message in catalog.problems.values():
            click.echo(f"  {message}")
    if catalog.problems:
        sys.exit(1)


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
