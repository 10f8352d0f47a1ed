"""One Python API for data products, local folders and remote servers alike.

>>> product = connect("examples/actg175")
>>> result = product.protocols.compare_arms(cohort_a="arms == 0", cohort_b="arms == 1")
>>> result.to_polars()

The classes load on first use (PEP 562), so that light modules of this package
(``client.connections``, read by the Jupyter server extension at start-up) do not pull in
polars. Client options: ``jupyter_dataproduct.client.options.options``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .objects import Artifact, Plugin, Snapshot
    from .product import DataProduct
    from .protocol import Protocol
    from .result import Result

TOKEN_ENV = "DATAPRODUCT_TOKEN"

__all__ = ["connect", "DataProduct", "Snapshot", "Protocol", "Plugin", "Result", "Artifact"]

_LAZY = {"DataProduct": "product", "Snapshot": "objects", "Protocol": "protocol", "Plugin": "objects",
         "Result": "result", "Artifact": "objects"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def connect(target: str | os.PathLike[str], token: str | None = None, engine: str | None = None,
            **options: Any) -> "DataProduct":
    """Connect to a product folder, or to ``http(s)://host:port/<product>`` of a server.

    ``engine`` runs a local product's protocols: ``polars`` (in process), ``spark-local[N]`` or
    ``sc://host:port`` (Spark Connect). Without it: the client option ``engine`` (the
    notebook's ``%config DataProductMagics.engine``), else ``DATAPRODUCT_ENGINE``, else the
    manifest's ``engine:`` block, else polars. A server chooses its own engine."""
    from .product import DataProduct

    text = os.fspath(target)
    if text.startswith(("http://", "https://")):
        if engine is not None:
            from ..core.errors import ParameterError

            raise ParameterError("A server runs protocols on the engine it was started with (its DATAPRODUCT_ENGINE); "
                                 "connect without engine=.", details={"parameter": "engine"})
        from .remote import RemoteTransport  # HTTP support loads only when used

        return DataProduct(RemoteTransport(text, token=token or os.environ.get(TOKEN_ENV), **options))
    from ..contract.transport import LocalTransport
    from ..core.backends.choice import parse_engine
    from .options import options as client_options

    if engine is not None:
        parse_engine(engine)  # an unknown name is refused here, with what is allowed
    return DataProduct(LocalTransport(text, engine=lambda: engine or client_options.engine or None))
