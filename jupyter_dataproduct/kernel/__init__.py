"""IPython integration: ``%load_ext jupyter_dataproduct`` registers the ``%dataproduct`` magics.

Loading imports only the client and core (no web server, no JupyterLab).
"""

from __future__ import annotations

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    from .magic import DataProductMagics, register_completer

    from .warmup import WarmUp

    magics = DataProductMagics(shell=ipython)
    ipython.register_magics(magics)
    register_completer(ipython, magics)
    magics.warm_up = WarmUp(ipython, lambda: magics.session.products.values())
    magics.warm_up.install()
    from .comm import SessionComm

    # The Data Products panel learns the connected products through a comm (no code run here).
    magics.session_comm = SessionComm(ipython, lambda: magics.session)
    magics.session_comm.install()


def unload_ipython_extension(ipython: Any) -> None:  # pragma: no cover - IPython calls it
    pass
