from __future__ import annotations

import sys

import click

from ..core.product import Product
from .output import json_option, print_json, reports_errors


@click.command("verify")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.argument("ref", default="latest")
@click.option("--all", "verify_all", is_flag=True, help="Verify every snapshot.")
@click.option("--deep", is_flag=True,
              help="Download and re-hash every file in object storage (without it: compare the SHA-256 the "
                   "store kept for each file; local files are always re-hashed).")
@json_option
@reports_errors
def command(path: str, ref: str, verify_all: bool, deep: bool, as_json: bool) -> None:
    """Check the files of snapshot REF (default: latest) against their hashes and name any changed file."""
    product = Product.open(path)
    snapshots = product.snapshots() if verify_all else [product.snapshot(ref)]
    report = [{"id": s.id, "ok": not (p := s.verify(deep=deep)), "problems": p} for s in snapshots]
    if as_json:
        print_json(report)
    else:
        for entry in report:
            if entry["ok"]:
                click.echo(f"{entry['id'][:12]}: ok")
            for problem in entry["problems"]:
                click.secho(f"{entry['id'][:12]}: {problem['file']}: {problem['problem']}", fg="red")
    if not all(entry["ok"] for entry in report):
        sys.exit(1)
