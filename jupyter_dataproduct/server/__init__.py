"""HTTP service for remote data products: ``dataproduct serve PATH [PATH ...]``.

Starlette on uvicorn (``pip install "jupyter-dataproduct[server]"``). The modules split by
concern: :mod:`.app` assembles the routes of :mod:`.metadata`, :mod:`.protocols`,
:mod:`.frames`, :mod:`.artifacts` and :mod:`.history`; :mod:`.auth` and :mod:`.tokens`
do access control; :mod:`..contract.wire` is the payload format (shared with the remote client, it
imports no web framework); :mod:`.openapi` describes every endpoint.

Importing this package imports no web framework; ``create_app`` loads Starlette.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "serve"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module 'jupyter_dataproduct.server' has no attribute {name!r}")
