"""The ``dataproduct`` command line: a thin layer over :mod:`jupyter_dataproduct.core`.

Each subcommand lives in its own module and only parses arguments, calls the core API and
renders the answer (a table for people, ``--json`` for scripts).
"""

from __future__ import annotations

import click

from .._version import __version__
from . import (
    artifacts, build, dictionary, diff, frame, history, init, plugins, protocols, run, schema, serve, snapshots, tag, test,
    token, validate, verify,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dataproduct")
def main() -> None:
    """Build, inspect and verify data products."""


for module in (
    init, validate, schema, build, snapshots, verify, tag, diff, dictionary,
    protocols, plugins, run, frame, test, artifacts, history, serve, token,
):
    main.add_command(module.command)
