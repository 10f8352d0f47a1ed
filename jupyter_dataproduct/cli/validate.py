from __future__ import annotations

import sys

import click

from ..core.product import Product
from .output import json_option, print_json, reports_errors


@click.command("validate")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@json_option
@reports_errors
def command(path: str, as_json: bool) -> None:
    """Check dataproduct.yaml, every protocol and every plugin without building."""
    product = Product.open(path)
    manifest = product.manifest
    problems = product.problems()
    protocols = [v.spec.key for versions in product.protocols().versions.values() for v in versions]
    plugins = [p for p in product.plugins().values() if not p.builtin]
    outside = {name: s.path for name, s in manifest.sources.items() if getattr(s, "allow_outside", False)}
    if as_json:
        print_json({"valid": not problems, "name": manifest.name, "version": manifest.version,
                    "protocols": sorted(protocols), "plugins": sorted(p.name for p in plugins),
                    "sources_outside": outside, "problems": problems})
    elif problems:
        click.secho(f"{manifest.name} {manifest.version}: {_count(len(problems), 'problem')}", fg="red", bold=True)
        for problem in problems:
            click.echo(f"{problem['kind']} {problem['message']}")
    else:
        click.echo(f"{manifest.name} {manifest.version}: manifest, {_count(len(protocols), 'protocol')} and "
                   f"{_count(len(plugins), 'plugin')} are valid")
    if not as_json:
        for name, source_path in outside.items():
            click.secho(f"note: source {name} reads {source_path}, outside the product folder (allow_outside: true)",
                        fg="yellow")
    if problems:
        sys.exit(1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
