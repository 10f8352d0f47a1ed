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
from traitlets import Bool, Enum, Int, Unicode

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
    show_progress = Bool(True, config=True, help="Show a progress bar for snapshot builds.")

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.session = Session()
        self._apply_options()
        self.observe(lambda change: self._apply_options(), names=["frame_library", "display_max_rows"])

    def _apply_options(self) -> None:
        options.frame_library = self.frame_library
        options.display_max_rows = self.display_max_rows

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
    """Tab completion of subcommands, protocol names and parameter names."""

    def complete(_self: Any, event: Any) -> list[str]:
        return completions(magics, event.line)

    ipython.set_hook("complete_command", complete, str_key="%dataproduct")
    ipython.set_hook("complete_command", complete, str_key="%%dataproduct")


def completions(magics: DataProductMagics, line: str) -> list[str]:
    """Candidates for the word being typed at the end of ``line``."""
    typed = "" if line.endswith(" ") else (line.split() or [""])[-1]
    return [c for c in _candidates(magics, line) if c.startswith(typed)]


def _candidates(magics: DataProductMagics, line: str) -> list[str]:
    words = line.split()
    ending_space = line.endswith(" ")
    args = words[1:]  # drop the magic itself
    if len(args) == 0 or (len(args) == 1 and not ending_space):
        return sorted(COMMANDS)
    try:
        product = magics.product()
    except DataProductError:
        return []
    sub = args[0]
    if sub in ("run", "describe") and (len(args) == 1 or (len(args) == 2 and not ending_space)):
        plugins = [p.name for p in product.plugins() if not p.builtin] if sub == "run" else []
        return sorted(set(dir(product.protocols)) | set(plugins))
    if sub == "run" and len(args) >= 2:
        try:
            protocol = product.protocols[args[1]]
        except DataProductError:
            return []
        given = {a.split("=", 1)[0] for a in args[2:] if "=" in a}
        return [f"{p}=" for p in protocol.parameters if p not in given]
    if sub == "frame" and (len(args) == 1 or (len(args) == 2 and not ending_space)):
        return sorted(product.info["entities"])
    if sub == "snapshot" and (len(args) == 1 or (len(args) == 2 and not ending_space)):
        return ["build", "use", "verify", "diff", "tag"]
    if sub == "load":
        return [a.name for a in product.artifacts()]
    return []
