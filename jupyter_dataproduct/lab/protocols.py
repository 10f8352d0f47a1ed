"""``dataproduct/products/{name}/protocols``: the list, one protocol's form, validation.

Validation is the engine's own parameter binding, so the panel shows the same messages as
the CLI and the magics.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ..contract.errors import BadRequestError
from .base import DataProductHandler
from .payloads import protocol_detail, protocol_summary
from .validation import validate


class ProtocolsHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        metas = await self.catalog.run(self.catalog.call, name, lambda p: p.transport.protocols())
        self.reply({"protocols": [protocol_summary(m) for m in metas]})


class ProtocolHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str, protocol: str) -> None:
        meta = await self.catalog.run(self.catalog.call, name, lambda p: p.transport.protocol(protocol))
        self.reply(protocol_detail(meta))


class ValidateHandler(DataProductHandler):
    @web.authenticated
    async def post(self, name: str, protocol: str) -> None:
        parameters: Any = self.body().get("parameters", {})
        if not isinstance(parameters, dict):
            raise BadRequestError("'parameters' must be a JSON object of parameter values.")
        await self.catalog.run(self.catalog.call, name, lambda p: validate(p, protocol, parameters))
        self.reply({"ok": True})
