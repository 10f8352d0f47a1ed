"""One Python API for data products, local folders and remote servers alike.

>>> product = connect("examples/actg175")
>>> result = product.protocols.compare_arms(cohort_a="arms == 0", cohort_b="arms == 1")
>>> result.to_polars()
"""

from __future__ import annotations

import os
from typing import Any

from .objects import Artifact, Plugin, Snapshot
from .options import options
from .product import DataProduct
from .protocol import Protocol
from .result import Result

TOKEN_ENV = "DATAPRODUCT_TOKEN"

__all__ = ["connect", "DataProduct", "Snapshot", "Protocol", "Plugin", "Result", "Artifact", "options"]


def connect(target: str | os.PathLike[str], token: str | None = None, **options: Any) -> DataProduct:
    """Connect to a product folder, or to ``http(s)://host:port/<product>`` of a server."""
    text = os.fspath(target)
    if text.startswith(("http://", "https://")):
        from .remote import RemoteTransport  # HTTP support loads only when used

        return DataProduct(RemoteTransport(text, token=token or os.environ.get(TOKEN_ENV), **options))
    from .transport import LocalTransport

    return DataProduct(LocalTransport(text))
