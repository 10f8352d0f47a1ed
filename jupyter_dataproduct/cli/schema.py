from __future__ import annotations

import click

from ..core.manifest import manifest_json_schema
from .output import print_json


@click.command("schema")
def command() -> None:
    """Print the JSON Schema of dataproduct.yaml (for editors and CI checks)."""
    print_json(manifest_json_schema())
