"""A plugin described as a form: its parameters as protocol parameters, and their JSON Schema.

A plugin run directly (``%dataproduct run NAME``, or the sidebar's form) binds its
arguments like a one-step protocol (:func:`.engine.adhoc_spec`): a parameter named after an
entity is a cohort of it (empty: every row); others are typed by their hint, else by their
default (``int``, ``float``, ``str``, ``bool``), else text. This module says the same
ahead of a run, so a form can show them. Python, R and notebook plugins all expose a
signature (R and notebooks build one from their defaults), so one reading serves the three.
"""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Any

from .model import Model
from .parameters import Parameter, form_schema, json_schema
from .plugins import PluginSpec

_HINT_TYPES = {bool: "bool", int: "int", float: "float", str: "string"}
_PYTHON_TYPES = {"bool": (bool,), "int": (int,), "float": (int, float), "string": (str,)}


def plugin_kind(spec: PluginSpec) -> str:
    """``python``, ``r`` or ``notebook`` (a whole ``.ipynb``), as the sidebar groups them."""
    if spec.file and Path(spec.file).suffix == ".ipynb":
        return "notebook"
    return spec.language


def plugin_parameters(spec: PluginSpec, model: Model) -> dict[str, dict[str, Any]]:
    """Each parameter the caller may give, as a protocol parameter (``Parameter`` fields)."""
    if spec.function is None:
        return {name: {"type": "string", "required": True} for name in spec.parameters}
    try:
        signature = inspect.signature(spec.function)
    except (TypeError, ValueError):  # a callable without a readable signature: names only
        return {name: {"type": "string", "required": True} for name in spec.parameters}
    hints = _hints(spec.function)
    found: dict[str, dict[str, Any]] = {}
    for name, parameter in signature.parameters.items():
        if name == "ctx" or parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            continue
        if name in model.entities:  # every row when not given (adhoc_spec's rule)
            found[name] = {"type": "cohort", "entity": name, "default": "", "required": False}
            continue
        default = None if parameter.default is parameter.empty else parameter.default
        kind = _HINT_TYPES.get(hints.get(name)) or _HINT_TYPES.get(type(default)) or "string"
        described: dict[str, Any] = {"type": kind, "required": parameter.default is parameter.empty}
        if isinstance(default, _PYTHON_TYPES[kind]) and not (kind != "bool" and isinstance(default, bool)):
            described["default"] = default
        found[name] = described
    return found


def plugin_schema(spec: PluginSpec, model: Model) -> dict[str, Any]:
    """The JSON Schema of a plugin's parameters: the same shape as a protocol's."""
    parameters = plugin_parameters(spec, model)
    properties = {}
    for name, described in parameters.items():
        parameter = Parameter(**{k: v for k, v in described.items() if k != "default" or v != ""})
        properties[name] = json_schema(name, parameter, model)
    required = [n for n, p in parameters.items() if p["required"]]
    return form_schema(spec.title or spec.name, spec.description, properties, required)


def plugin_detail(spec: PluginSpec, model: Model) -> dict[str, Any]:
    """A plugin's listing entry plus its kind, typed parameters and their JSON Schema."""
    return {
        **spec.to_json(),
        "kind": plugin_kind(spec),
        "parameter_types": plugin_parameters(spec, model),
        "schema": plugin_schema(spec, model),
    }


def _hints(function: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except Exception:  # unresolvable annotations: types come from the defaults
        return {}
