"""``GET dataproduct/products/{name}/history``: the product's runs, newest first, a page at a time.

The History section lists them with their parameters; the notebook re-runs or saves an
entry (``%dataproduct history --rerun ID`` / ``--save ID NAME``), so nothing here runs or
loads a result: one page of small JSON entries is read on a worker thread. The page carries
the role the panel acts with (:mod:`.roles`), so a reader sees no re-run or save button.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ..contract.errors import BadRequestError
from .base import DataProductHandler
from .payloads import history_entry
from .roles import access

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_OFFSET = 10**9


class HistoryHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        limit = self._query_int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = self._query_int("offset", 0, 0, MAX_OFFSET)

        def work(product: Any) -> dict[str, Any]:
            # One entry more than asked says whether a further page exists.
            entries = product.transport.history(limit + 1, offset)
            return {"entries": [history_entry(e) for e in entries[:limit]], "offset": offset,
                    "more": len(entries) > limit, **access(product)}

        self.reply(await self.catalog.run(self.catalog.call, name, work))

    def _query_int(self, key: str, default: int, minimum: int, maximum: int) -> int:
        text = self.get_query_argument(key, "")
        if text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise BadRequestError(f"'{key}' must be a whole number from {minimum} to {maximum}, not {text[:50]!r}.",
                                  details={"parameter": key, "minimum": minimum, "maximum": maximum}) from None
        if not minimum <= value <= maximum:
            raise BadRequestError(f"'{key}' must be from {minimum} to {maximum}, not {value}.",
                                  details={"parameter": key, "minimum": minimum, "maximum": maximum})
        return value

