"""The ``dataproduct`` command line: a thin layer over :mod:`jupyter_dataproduct.core`.

Each subcommand lives in its own module and only parses arguments, calls the core API and
renders the answer (a table for people, ``--json`` for scripts).
"""

from __future__ import annotations

import sys
import traceback

import click

from .._version import __version__
from ..core.disk import is_full_disk
from ..core.errors import DataProductError
from . import (
    artifacts, build, dictionary, diff, frame, history, init, plugins, protocols, publish, run, schema, serve, snapshots,
    tag, test, token, validate, verify,
)

INTERNAL_ERROR_EXIT = 2


class DebuggableGroup(click.Group):
    """Our errors are one message (the commands report them); anything unexpected is one
    message too. With ``--debug`` both come with their traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SystemExit as exiting:
            # A command reported one of our errors and exits: the error is the exit's context.
            if ctx.meta.get("dataproduct.debug") and isinstance(exiting.__context__, DataProductError):
                traceback.print_exception(exiting.__context__, file=sys.stderr)
            raise
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, not a traceback
            if ctx.meta.get("dataproduct.debug"):
                traceback.print_exc(file=sys.stderr)
            if is_full_disk(exc):  # a writer we do not wrap met a full disk: still the one message
                click.secho("Error: The disk is full; nothing was half-written. Free some space and try again.",
                            fg="red", err=True)
                sys.exit(1)
            click.secho(f"Internal error: {type(exc).__name__}: {str(exc)[:300]} "
                        "(run with --debug for the traceback, and please report it)", fg="red", err=True)
            sys.exit(INTERNAL_ERROR_EXIT)


@click.group(cls=DebuggableGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dataproduct")
@click.option("--debug", is_flag=True, envvar="DATAPRODUCT_DEBUG", help="Show the traceback of an error.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Build, inspect and verify data products."""
    ctx.meta["dataproduct.debug"] = debug


for module in (
    init, validate, schema, build, snapshots, verify, tag, diff, dictionary,
    protocols, plugins, run, frame, test, artifacts, history, serve, token, publish,
):
    main.add_command(module.command)
