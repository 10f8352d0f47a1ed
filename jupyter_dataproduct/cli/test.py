from __future__ import annotations

import sys

import click

from ..core.product import Product
from ..core.testing import run_protocol_tests
from .output import json_option, print_json, reports_errors


@click.command("test")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.argument("protocol", required=False)
@click.option("--snapshot", "-s", default="latest", show_default=True)
@json_option
@reports_errors
def command(path: str, protocol: str | None, snapshot: str, as_json: bool) -> None:
    """Run the tests written in the protocols (the product's data contract)."""
    outcomes = run_protocol_tests(Product.open(path), protocol, snapshot)
    passed = sum(o.passed for o in outcomes)
    failed = len(outcomes) - passed
    if as_json:
        print_json({"passed": passed, "failed": failed, "tests": [o.to_json() for o in outcomes]})
    else:
        for o in outcomes:
            mark = click.style("PASSED", fg="green") if o.passed else click.style("FAILED", fg="red")
            click.echo(f"{mark} {o.protocol}::{o.test} ({o.seconds:.2f}s)")
            if not o.passed:
                click.echo(f"    {o.message}")
        click.echo(f"protocol tests: {passed} passed, {failed} failed")
    if failed or not outcomes:
        sys.exit(1)
