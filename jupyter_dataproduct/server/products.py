"""The products a server serves, by name, each with its token store."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator

from ..contract.transport import LocalTransport
from ..core.errors import DataProductError, ManifestError
from .arrow_cache import ArrowCache
from .parquet_files import ParquetFiles
from .tokens import TokenStore


@dataclass
class ServedProduct:
    name: str
    transport: LocalTransport
    tokens: TokenStore
    arrow_cache: ArrowCache | None = None  # None: whole entities are decoded from Parquet every time
    parquet_files: ParquetFiles = field(default_factory=ParquetFiles)  # whole entities asked for as Parquet

    @property
    def product(self):
        return self.transport.product


class Registry:
    """Products by manifest name; the names are fixed when the server starts."""

    def __init__(self, paths: list[str | os.PathLike[str]], *, arrow_cache: bool = True) -> None:
        if not paths:
            raise ManifestError("Serve at least one product folder.")
        self._products: dict[str, ServedProduct] = {}
        for path in paths:
            transport = LocalTransport(path)
            name = transport.product.name
            if name in self._products:
                raise ManifestError(
                    f"Two products are named {name!r} ({self._products[name].transport.location} and "
                    f"{transport.location}); a server serves each name once.", details={"name": name},
                )
            root = transport.product.store.root
            self._products[name] = ServedProduct(name, transport, TokenStore(root),
                                                 ArrowCache(root) if arrow_cache else None)
            _warm_up(transport)

    def get(self, name: str) -> ServedProduct | None:
        return self._products.get(name)

    def __iter__(self) -> Iterator[ServedProduct]:
        return iter(self._products.values())

    def __len__(self) -> int:
        return len(self._products)


def _warm_up(transport: LocalTransport) -> None:
    """Load plugins and protocols once before requests arrive from several threads."""
    try:
        transport.product.plugins()
        transport.product.protocols()
    except DataProductError:
        pass  # reported to whoever asks for them
