"""``%dataproduct``: parse the line, call the client, show the object.

Each subcommand lives in ``cmd/<name>.py`` with ``add_arguments(parser)`` and
``run(magics, args, cell)``; this module only dispatches, reports errors as one clear
message (``--debug`` shows the traceback) and offers tab completion.
"""

from __future__ import annotations

import argparse
import shlex
import traceback
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Bool, Enum, Int, TraitError, Unicode, validate

from ..client.options import options
from ..core.errors import DataProductError
from .cmd import COMMANDS
from .session import Session

HELP = """%dataproduct: data products in the notebook

  %dataproduct connect TARGET [--as NAME] [--token T]   connect a folder, a server URL or a named connection
  %dataproduct list                                   connected products and their protocols
  %dataproduct describe PROTOCOL                      parameters, defaults, versions
  %dataproduct run PROTOCOL key=value ... [-o VAR]    run a protocol (or a plugin) inline
  %dataproduct frame ENTITY [--where EXPR] [--columns a,b] [--limit N] [-o VAR]
  %dataproduct snapshots                              list snapshots
  %dataproduct snapshot build | use ID | verify [ID] | diff A B | tag NAME [ID]
  %dataproduct plugins                                built-in algorithms and plugins
  %%dataproduct plugin NAME [--lang python|r]         define a plugin in a cell
  %dataproduct plugin export NAME [--force]           write it into the product's plugins/
  %dataproduct test [PROTOCOL]                        run the protocols' tests (a product folder)
  %dataproduct artifacts                              saved cohorts, tables, results
  %dataproduct save RESULT NAME | --cohort EXPR --entity E NAME
  %dataproduct load NAME [-o VAR]
  %dataproduct history [--rerun ID | --save ID NAME]

Every command takes --product NAME (when several are connected) and --debug.
Line magics return their object: r = %dataproduct run compare_arms
"""


class ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit the kernel
        raise ArgumentError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> None:
        raise ArgumentError(message or self.format_help())


@magics_class
class DataProductMagics(Magics):
    """The ``%dataproduct`` line and cell magic. Configure with ``%config DataProductMagics.<name>``."""

    frame_library = Enum(["polars", "pandas"], default_value="polars", config=True,
                         help="Library of frames returned by frame, load and Result.frame().")
    default_product = Unicode("", config=True, help="Product (path or URL) to connect to on first use.")
    display_max_rows = Int(10, config=True, help="Rows of each table shown in rich displays.")
    show_progress = Bool(True, config=True, help="Show progress bars for snapshot builds, frames from a server, "
                         "and large results and artifacts from a server.")
    chart_svg = Bool(True, config=True, help="Add an SVG copy of each chart (needs vl-convert-python) "
                     "so that nbconvert HTML and other viewers without a Vega-Lite renderer show it.")
    bundle_max_rows = Int(100_000, config=True, help="Rows of each table carried (as Arrow) to JupyterLab's "
                          "result renderer; beyond them the display says how to get the rest.")
    bundle_max_bytes = Int(5_000_000, config=True, help="Bytes of Arrow per table carried to JupyterLab's "
                           "result renderer (the notebook saves them).")

    engine = Unicode("", config=True, help="Engine of local products' protocols: polars, spark-local[N] or "
                     "sc://host:port (Spark Connect). Empty: DATAPRODUCT_ENGINE, else the manifest's engine block.")

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.session = Session()
        self._apply_options()
        self.observe(lambda change: self._apply_options(), names=["frame_library", "display_max_rows", "chart_svg",
                                                                  "bundle_max_rows", "bundle_max_bytes", "engine"])

    @validate("engine")
    def _valid_engine(self, proposal: Any) -> str:
        from ..core.backends.choice import parse_engine
        from ..core.errors import EngineError

        value = str(proposal["value"]).strip()
        if value:
            try:
                parse_engine(value)
            except EngineError as exc:
                raise TraitError(exc.message) from None
        return value

    def _apply_options(self) -> None:
        options.frame_library = self.frame_library
        options.display_max_rows = self.display_max_rows
        options.chart_svg = self.chart_svg
        options.engine = self.engine
        options.bundle_max_rows = self.bundle_max_rows
        options.bundle_max_bytes = self.bundle_max_bytes

    def product(self, name: str | None = None) -> Any:
        if not self.session.products and self.default_product and name is None:
            self.session.connect(self.default_product)
        return self.session.get(name)

    @no_var_expand  # a JSON cohort ({"and": [...]}) or a $ in a value reaches the magic as written
    @line_cell_magic
    def dataproduct(self, line: str, cell: str | None = None) -> Any:
        words = shlex.split(line)
        debug = "--debug" in words
        words = [w for w in words if w != "--debug"]
        if not words or words[0] in ("help", "-h", "--help"):
            print(HELP)
            return None
        name = words[0]
        module = COMMANDS.get(name)
        if module is None:
            raise UsageError(f"Unknown subcommand {name!r}; subcommands: {', '.join(COMMANDS)}. Try %dataproduct help")
        parser = _Parser(prog=f"%dataproduct {name}", add_help=True)
        parser.add_argument("--product", help="Name of a connected product.")
        module.add_arguments(parser)
        try:
            args = parser.parse_args(words[1:])
            return module.run(self, args, cell)
        except ArgumentError as exc:
            raise UsageError(str(exc).strip()) from None
        except DataProductError as exc:
            if debug:
                traceback.print_exc()
            raise UsageError(exc.message) from None

    def store(self, variable: str | None, value: Any) -> None:
        if variable:
            self.shell.user_ns[variable] = value


def register_completer(ipython: Any, magics: DataProductMagics) -> None:
    """Tab completion of ``%dataproduct`` lines (see :mod:`.completion`)."""
    from .completion import install

    install(ipython, magics)
