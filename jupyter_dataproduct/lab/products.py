"""``dataproduct/products``: the list (with each product's health), add, remove, describe.

The list asks every product for its title and version in parallel, each on its own worker
thread and each bounded by ``c.DataProductLab.health_timeout``: an unreachable or slow
product shows its own error and never blanks (or stalls) the list.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tornado import web

from ..core.errors import DataProductError, SnapshotNotFoundError
from ..contract.errors import BadRequestError
from .base import DataProductHandler
from .catalog import Catalog, Source
from .errors import ProductTimeoutError
from .payloads import ProductEntry, product_info


class ProductsHandler(DataProductHandler):
    @web.authenticated
    async def get(self) -> None:
        sources = await self.catalog.run(self.catalog.sources)
        entries = await asyncio.gather(*(entry(self.catalog, s) for s in sources))
        self.reply({"products": list(entries)})

    @web.authenticated
    async def post(self) -> None:
        body = self.body()
        location, name, token = body.get("location"), body.get("name"), body.get("token")
        if not isinstance(location, str):
            raise BadRequestError("'location' (a folder under the Jupyter root, or a server URL) is required.")
        for key, value in (("name", name), ("token", token)):
            if value is not None and not isinstance(value, str):
                raise BadRequestError(f"'{key}' must be a string.")
        source = await self.catalog.run(self.catalog.add, location, name or None, token or None)
        self.reply(await entry(self.catalog, source), status=201)


class ProductHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        self.reply(await self.catalog.run(self.catalog.call, name, describe))

    @web.authenticated
    async def delete(self, name: str) -> None:
        await self.catalog.run(self.catalog.remove, name)
        self.set_status(204)
        self.finish()


async def entry(catalog: Catalog, source: Source) -> ProductEntry:
    """One product of the list: its title and version if it answers in time, else its error."""
    item: dict[str, Any] = {"name": source.name, "title": source.name, "version": "", "kind": source.kind,
                            "location": catalog.relative(source.location), "origin": source.origin,
                            "health": "ok", "connect": catalog.connect_argument(source)}
    try:
        pending = asyncio.wrap_future(catalog.pending_info(source))
        pending.add_done_callback(_retrieved)  # a late failure after the timeout is not logged as unhandled
        info = await asyncio.wait_for(asyncio.shield(pending), catalog.settings.health_timeout)
        item.update(title=info.get("title") or source.name, version=info.get("version", ""))
    except asyncio.TimeoutError:
        error = ProductTimeoutError(f"{item['location']} did not answer within {catalog.settings.health_timeout:g} s.")
        item.update(health="error", error={"code": error.code, "message": error.message})
    except DataProductError as exc:
        item.update(health="error", error={"code": exc.code, "message": exc.message})
    except Exception as exc:  # a broken product must not break the list
        if catalog.log is not None:
            catalog.log.exception("jupyter_dataproduct: %s failed", source.location)
        item.update(health="error", error={"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"})
    return item  # type: ignore[return-value]


def _retrieved(future: "asyncio.Future[Any]") -> None:
    if not future.cancelled():
        future.exception()


def describe(product: Any) -> dict[str, Any]:
    """Title, description, and the data dictionary (with row counts of the latest snapshot)."""
    info = product.info
    try:
        latest = product.transport.snapshot("latest")
        rows = {name: meta["rows"] for name, meta in latest.get("entities", {}).items()}
    except SnapshotNotFoundError:  # not built yet: no row counts
        rows = {}
    return dict(product_info(info, rows))
