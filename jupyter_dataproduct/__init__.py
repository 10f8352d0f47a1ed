"""jupyter-dataproduct: notebook-native data products.

Public names load lazily so that ``import jupyter_dataproduct`` stays cheap.
``%load_ext jupyter_dataproduct`` registers the ``%dataproduct`` magics.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["__version__", "connect", "plugin", "Product", "load_ipython_extension"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Jupyter Server loads the Data Products panel's API from :mod:`jupyter_dataproduct.lab`."""
    return [{"module": "jupyter_dataproduct.lab"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt labextension is installed (wheel shared-data)."""
    return [{"src": "labextension", "dest": "jupyter-dataproduct"}]


def __getattr__(name: str) -> Any:
    if name == "plugin":
        from .core.plugins import plugin

        return plugin
    if name == "Product":
        from .core.product import Product

        return Product
    if name == "connect":
        from .client import connect

        return connect
    if name in ("load_ipython_extension", "unload_ipython_extension"):
        from . import kernel

        return getattr(kernel, name)
    raise AttributeError(f"module 'jupyter_dataproduct' has no attribute {name!r}")
