"""A real IPython shell with ``%load_ext jupyter_dataproduct``, reset for every test."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_dataproduct.kernel.session import Session


@pytest.fixture(scope="session")
def _shell() -> InteractiveShell:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_dataproduct")
    return shell


@pytest.fixture
def ip(_shell: InteractiveShell):
    """The shell, with no product connected and default settings."""
    magics = _shell.magics_manager.registry["DataProductMagics"]
    magics.session = Session()
    for name in ("frame_library", "default_product", "display_max_rows", "show_progress"):
        magics.set_trait(name, magics.traits()[name].default_value)
    _shell.reset(new_session=False)
    yield _shell


@pytest.fixture
def run(ip):
    """Run a cell and return what it evaluates to; a failed cell raises its error."""

    def run_cell(code: str):
        outcome = ip.run_cell(code, store_history=False, silent=False)
        if outcome.error_in_exec is not None:
            raise outcome.error_in_exec
        if outcome.error_before_exec is not None:
            raise outcome.error_before_exec
        return outcome.result

    return run_cell
