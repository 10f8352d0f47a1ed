"""The products a kernel is connected to, by name, and which one is the default.

``connect`` is idempotent: connecting again to what a name already holds (same location,
same token) keeps that product object, with its pinned snapshot and the plugins defined in
cells, so the sidebar may insert ``%dataproduct connect`` before every run. A target that
is a known connection name (the connections file shared with the Data Products panel, or a
product of the Jupyter server's config) connects with the location and token stored there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..client import connect
from ..client import connections
from ..core.errors import DataProductError

if TYPE_CHECKING:  # the client's classes load with the first connect, not with %load_ext
    from ..client import DataProduct


class NotConnectedError(DataProductError):
    code = "not_connected"
    http_status = 400


class Session:
    def __init__(self) -> None:
        self.products: dict[str, DataProduct] = {}
        self.default: str | None = None
        self._tokens: dict[str, str | None] = {}

    def connect(self, target: str, name: str | None = None, token: str | None = None) -> DataProduct:
        """Connect a folder, a URL or a named connection; the same again keeps the connected product."""
        named = self._named(target)
        if named is not None:
            target, name, token = named.location, name or named.name, token or named.token
        product = connect(target, token=token)
        name = name or product.name
        current = self.products.get(name)
        if current is not None and current.location == product.location and self._tokens.get(name) == token:
            product = current  # already connected: keep its pinned snapshot and cell plugins
        self.products[name] = product
        self._tokens[name] = token
        self.default = name
        return product

    def get(self, name: str | None = None) -> DataProduct:
        name = name or self.default
        if name is not None and name not in self.products and self._named(name) is not None:
            default = self.default
            self.connect(name)  # ``--product NAME`` of a known connection connects it
            self.default = default or name
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

    @staticmethod
    def _named(target: str) -> connections.Connection | None:
        """The named connection ``target`` names, if it is a name and one is known (``./name`` is a folder)."""
        if not connections.NAME.match(target):
            return None
        return connections.known().get(target)
