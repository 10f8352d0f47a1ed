"""Plugins written in notebook cells for a product behind a URL.

A server never runs code sent by a notebook. A cell plugin for a remote product therefore
runs here, in the kernel, on frames the server sends: a parameter named after an entity
receives that entity's rows (the cohort given, or all rows) from the pinned or latest
snapshot. The result has the same shape and provenance as a server-side run, so the
notebook reads the same either way. Exporting writes the plugin file locally, to be
committed to the product's repository and deployed.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import polars as pl

from .._version import __version__
from ..core.engine import PLUGIN_VERSION, plugin_outputs
from ..core.errors import ParameterError, PluginError
from ..core.parameters import refuse_unknown
from ..core.plugins import PluginSpec, call_plugin, plugin_from_source, write_plugin_file
from ..core.result import Result
from ..contract.transport import Transport


RAN_IN_KERNEL = "notebook kernel"  # provenance["ran_in"] of a cell plugin's result


def ran_in_kernel(provenance: dict[str, Any]) -> bool:
    """Whether a result was computed here by a cell plugin (the server only sent data)."""
    return provenance.get("ran_in") == RAN_IN_KERNEL


class CellPlugins:
    """The cell plugins of one connected remote product."""

    def __init__(self) -> None:
        self.specs: dict[str, PluginSpec] = {}

    def define(self, name: str, source: str, language: str) -> PluginSpec:
        spec = plugin_from_source(name, source, language)
        self.specs[name] = spec
        return spec

    def export(self, name: str, folder: Path, *, force: bool) -> Path:
        spec = self.specs.get(name)
        if spec is None:
            raise PluginError(
                f"No plugin {name!r} defined in this session; define it with %%dataproduct plugin {name}.",
                details={"plugin": name},
            )
        return write_plugin_file(spec, folder, force=force)

    def run(self, transport: Transport, name: str, arguments: dict[str, Any], snapshot: str) -> Result:
        spec = self.specs[name]
        info = transport.info()
        snapshot_id = transport.snapshot(snapshot)["id"]
        call_arguments = _call_arguments(spec, arguments, info["entities"], transport, snapshot_id)
        returned = call_plugin(spec, call_arguments, context=None)
        result = Result(provenance={})
        for output, value in plugin_outputs(name, spec, returned).items():
            result.add_output(output, value)
        result.provenance = {
            "product": info["name"],
            "product_version": info["version"],
            "snapshot": snapshot_id,
            "protocol": name,
            "protocol_version": PLUGIN_VERSION,
            "parameters": arguments,
            "engine_version": __version__,
            "polars_version": pl.__version__,
            "ran_in": RAN_IN_KERNEL,
        }
        return result


def _call_arguments(
    spec: PluginSpec, arguments: dict[str, Any], entities: dict[str, Any], transport: Transport, snapshot: str
) -> dict[str, Any]:
    assert spec.function is not None
    signature = inspect.signature(spec.function)
    if "ctx" in signature.parameters:
        raise ParameterError(
            f"Plugin {spec.name!r} takes ctx, which only exists where the snapshot is (a local product). "
            "Against a server, name a parameter after an entity to receive its rows."
        )
    refuse_unknown(f"Plugin {spec.name!r}", arguments, list(signature.parameters))
    call: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if name in entities:  # lazily, as a local cohort arrives; call_plugin collects it if hinted
            where = arguments.get(name) or None
            call[name] = transport.frame(name, where, None, snapshot, None).lazy()
        elif name in arguments:
            call[name] = arguments[name]
        elif parameter.default is parameter.empty and parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            raise ParameterError(f"Plugin {spec.name!r} needs parameter {name!r}.", details={"parameter": name})
    return call
