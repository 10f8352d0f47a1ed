"""IPython integration: ``%load_ext jupyter_dataproduct`` registers the ``%dataproduct`` magics.

Loading imports neither the client's classes nor polars (nor a web server or JupyterLab): the
magics import a subcommand's module when it first runs, and after the first cell a daemon
thread imports the client while the person types (see :mod:`.warmup`).
"""

from __future__ import annotations

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    from .magic import DataProductMagics, register_completer

    from .warmup import CLIENT_MODULES, WarmUp

    magics = DataProductMagics(shell=ipython)
    ipython.register_magics(magics)
    register_completer(ipython, magics)
    magics.warm_up = WarmUp(ipython, lambda: magics.session.products.values())
    magics.warm_up.install()
    magics.preload = WarmUp(ipython, lambda: (), CLIENT_MODULES, local_only=False, delay=0.3)
    magics.preload.install()
    from .comm import SessionComm

    # The Data Products panel learns the connected products through a comm (no code run here).
    magics.session_comm = SessionComm(ipython, lambda: magics.session)
    magics.session_comm.install()


def unload_ipython_extension(ipython: Any) -> None:  # pragma: no cover - IPython calls it
    pass
