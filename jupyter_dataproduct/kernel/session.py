"""The products a kernel is connected to, by name, and which one is the default."""

from __future__ import annotations

from typing import Any

from ..client import DataProduct, connect
from ..core.errors import DataProductError


class NotConnectedError(DataProductError):
    code = "not_connected"
    http_status = 400


class Session:
    def __init__(self) -> None:
        self.products: dict[str, DataProduct] = {}
        self.default: str | None = None

    def connect(self, target: str, name: str | None = None, token: str | None = None) -> DataProduct:
        product = connect(target, token=token)
        name = name or product.name
        self.products[name] = product
        self.default = name
        return product

    def get(self, name: str | None = None) -> DataProduct:
        name = name or self.default
        if not self.products:
            raise NotConnectedError("No data product connected yet: %dataproduct connect PATH_OR_URL [--as NAME]")
        if name not in self.products:
            raise NotConnectedError(
                f"No connected product {name!r}; connected: {', '.join(self.products)}",
                details={"product": name, "allowed": list(self.products)},
            )
        return self.products[name]

    def listing(self) -> list[dict[str, Any]]:
        return [
            {"name": n, "location": p.location, "default": n == self.default, "pinned": (p.pinned or "")[:12]}
            for n, p in self.products.items()
        ]
