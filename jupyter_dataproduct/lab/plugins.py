"""``dataproduct/products/{name}/plugins``: the list, one plugin's form, its source, validation.

A plugin's source opens in JupyterLab's editor when the product is a folder under the
Jupyter root (the answer is the file's path there); a folder outside the root, or a server
that shares its sources (``dataproduct serve --share-plugin-source``), answers the text for
a read-only viewer. A server that does not share them refuses with its own message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tornado import web

from ..contract.errors import BadRequestError
from .base import DataProductHandler
from .catalog import Catalog
from .payloads import PluginSource, plugin_detail_payload, plugin_entry
from .validation import remote_model, load_cohort


class PluginsHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        def work(product: Any) -> list[dict[str, Any]]:
            return [plugin_entry(p, _editor_path(self.catalog, product, p.get("file"))) for p in product.transport.plugins()]

        self.reply({"plugins": await self.catalog.run(self.catalog.call, name, work)})


class PluginHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str, plugin: str) -> None:
        meta = await self.catalog.run(self.catalog.call, name, lambda p: p.transport.plugin(plugin))
        self.reply(plugin_detail_payload(meta))


class PluginSourceHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str, plugin: str) -> None:
        self.reply(await self.catalog.run(self.catalog.call, name, lambda p: plugin_source(self.catalog, p, plugin)))


class PluginValidateHandler(DataProductHandler):
    @web.authenticated
    async def post(self, name: str, plugin: str) -> None:
        parameters: Any = self.body().get("parameters", {})
        if not isinstance(parameters, dict):
            raise BadRequestError("'parameters' must be a JSON object of parameter values.")
        await self.catalog.run(self.catalog.call, name, lambda p: validate_plugin(p, plugin, parameters))
        self.reply({"ok": True})


def plugin_source(catalog: Catalog, product: Any, plugin: str) -> PluginSource:
    """Where to open the plugin: a path for JupyterLab's editor, else its text (read-only)."""
    if product.is_local:
        meta = product.transport.plugin(plugin)  # unknown names: 404 before any file is read
        path = _editor_path(catalog, product, meta.get("file"))
        if path is not None:
            return {"name": meta["name"], "language": meta["language"], "kind": meta["kind"], "path": path,
                    "editable": True}
    found = product.transport.plugin_source(plugin)
    return {"name": found["name"], "language": found["language"], "kind": found["kind"], "file": found["file"],
            "text": found["text"], "editable": False}


def _editor_path(catalog: Catalog, product: Any, file: str | None) -> str | None:
    """A local plugin file relative to the Jupyter root (None: a server's, a built-in, or outside the root)."""
    if not file or not product.is_local:
        return None
    path = Path(file).resolve()
    if not path.is_relative_to(catalog.root) or not path.is_relative_to(product.transport.product.path.resolve()):
        return None
    return path.relative_to(catalog.root).as_posix()


def validate_plugin(product: Any, plugin: str, parameters: dict[str, Any]) -> None:
    """Raise the engine's ParameterError when ``parameters`` do not bind to a direct run of ``plugin``."""
    meta = product.transport.plugin(plugin)  # 404 for an unknown plugin, before binding
    if product.is_local:
        product.transport.product.bind_plugin(plugin, parameters, snapshot=product.pinned or "latest")
        return
    from types import SimpleNamespace

    from ..core.engine import bind_parameters
    from ..core.parameters import BindContext, Parameter, refuse_unknown

    refuse_unknown(f"Plugin {plugin!r}", parameters, list(meta["parameter_types"]))
    spec = SimpleNamespace(key=f"{meta['name']}@plugin",
                           parameters={n: Parameter(**p) for n, p in meta["parameter_types"].items()})
    bind_parameters(spec, parameters, BindContext(remote_model(product.info), lambda entity, column: [],
                                                  lambda name: load_cohort(product, name)))
