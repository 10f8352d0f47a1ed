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
@click.option("--strict", is_flag=True,
              help="Count tests skipped for a missing optional piece (R, a kernel) as failures: for a product's own CI.")
@json_option
@reports_errors
def command(path: str, protocol: str | None, snapshot: str, strict: bool, as_json: bool) -> None:
    """Run the tests written in the protocols (the product's data contract).

    A test that needs an optional piece that is not installed (R and rpy2 for an R plugin)
    is reported as skipped, with what to install; ``--strict`` fails it instead."""
    outcomes = run_protocol_tests(Product.open(path), protocol, snapshot)
    passed = sum(o.passed for o in outcomes)
    skipped = sum(o.skipped for o in outcomes)
    failed = len(outcomes) - passed - skipped + (skipped if strict else 0)
    if as_json:
        print_json({"passed": passed, "failed": failed, "skipped": 0 if strict else skipped,
                    "tests": [o.to_json() for o in outcomes]})
    else:
        for o in outcomes:
            click.echo(f"{_mark(o, strict)} {o.protocol}::{o.test} ({o.seconds:.2f}s)")
            if not o.passed:
                click.echo(f"    {o.message}")
        if not outcomes:
            click.echo("No protocol tests: write `tests:` in the protocols (protocols/*.yaml).")
        summary = f"protocol tests: {passed} passed, {failed} failed"
        if skipped:
            summary += f" ({skipped} skipped, counted as failed: --strict)" if strict else f", {skipped} skipped"
        click.echo(summary)
    if failed or not outcomes:
        sys.exit(1)


def _mark(outcome, strict: bool) -> str:
    if outcome.passed:
        return click.style("PASSED", fg="green")
    if outcome.skipped and not strict:
        return click.style("SKIPPED", fg="yellow")
    return click.style("FAILED", fg="red")
