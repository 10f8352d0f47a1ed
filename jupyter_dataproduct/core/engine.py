"""Running a protocol: bind parameters, execute steps in order, check the outputs.

This is the one place protocols execute, so another backend (a distributed engine) can
be added behind the same function later.
"""

from __future__ import annotations

from typing import Any, Callable

import polars as pl

from .._version import __version__
from .backends.choice import engine_provenance
from .errors import DataProductError, ParameterError, PluginError, ProtocolError
from .manifest import Manifest
from .parameters import BindContext, bind_value, bound_to_json, refuse_unknown
from .plugins import PluginContext, PluginSpec, call_plugin
from .cohort import cohort_from_value
from .protocol import ProtocolSpec, reference_of, text_cohorts, unescaped
from .result import Result, is_chart
from .snapshot import Snapshot

RunPlugin = Callable[[PluginSpec, dict[str, Any], PluginContext], Any]


def bind_parameters(spec: ProtocolSpec, raw: dict[str, Any], context: BindContext) -> dict[str, Any]:
    """Validate user input against the protocol's parameters, before any work is done."""
    refuse_unknown(spec.key, raw, list(spec.parameters))
    bound: dict[str, Any] = {}
    for name, parameter in spec.parameters.items():
        value = raw.get(name)
        if value is None:  # an explicit null is "not given": the default applies
            value = parameter.default
        if value is None:
            if parameter.is_required:
                raise ParameterError(
                    f"{spec.key} needs parameter {name!r} ({parameter.type}"
                    + (f": {parameter.description}" if parameter.description else "")
                    + ")",
                    details={"parameter": name, "type": parameter.type},
                )
            bound[name] = None
            continue
        bound[name] = bind_value(name, parameter, value, context)
    return bound


def execute(
    manifest: Manifest,
    spec: ProtocolSpec,
    bound: dict[str, Any],
    snapshot: Snapshot,
    plugins: dict[str, PluginSpec],
    run_plugin: RunPlugin = call_plugin,
    backend: Any = None,
) -> Result:
    """Run the protocol's steps against the snapshot on ``backend`` (polars unless given);
    return the result with provenance (which names the engine)."""
    context = PluginContext(snapshot, manifest.model, backend)
    scope: dict[str, Any] = dict(bound)
    produced: dict[str, dict[str, Any]] = {}
    for step in spec.steps:
        plugin = plugins[step.callable_name]
        arguments = {key: _resolve(value, scope) for key, value in step.with_.items()}
        if step.query is not None:
            arguments.setdefault("entity", step.query)
        for name, entity in text_cohorts(step, plugin, manifest.model, arguments.get("entity")).items():
            if entity is None:
                raise ProtocolError(f"Step {step.id!r}, argument {name!r}: a cohort written as text needs the step's entity.")
            arguments[name] = cohort_from_value(arguments[name], entity, manifest.model.entities[entity], parameter=name)
        try:
            returned = run_plugin(plugin, arguments, context)
        except DataProductError as exc:
            exc.details.setdefault("step", step.id)
            raise
        outputs = plugin_outputs(step.id, plugin, returned)
        produced[step.id] = outputs
        scope[step.id] = outputs[step.id] if list(outputs) == [step.id] else outputs
        for name, value in outputs.items():
            scope[f"{step.id}.{name}"] = value
    result = _collect_outputs(spec, produced)
    result.provenance = provenance(manifest, spec, bound, snapshot)
    result.provenance["engine"] = engine_provenance(context.backend)
    return result


def provenance(manifest: Manifest, spec: ProtocolSpec, bound: dict[str, Any], snapshot: Snapshot) -> dict[str, Any]:
    return {
        "product": manifest.name,
        "product_version": manifest.version,
        "snapshot": snapshot.id,
        "protocol": spec.name,
        "protocol_version": spec.version,
        "parameters": {k: bound_to_json(v) for k, v in bound.items()},
        "engine_version": __version__,
        "polars_version": pl.__version__,
    }


def _resolve(value: Any, scope: dict[str, Any]) -> Any:
    if isinstance(value, str):
        ref = reference_of(value)
        if ref is not None:
            return scope[ref]
        return unescaped(value)
    if isinstance(value, list):
        return [_resolve(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, scope) for k, v in value.items()}
    return value


def plugin_outputs(step_id: str, plugin: PluginSpec, returned: Any) -> dict[str, Any]:
    """A plugin's return value as named outputs (frames collected, pandas converted)."""
    if isinstance(returned, dict) and not is_chart(returned):
        items = returned
    else:
        items = {step_id: returned}
    outputs = {}
    for name, value in items.items():
        converted = _as_output(value)
        if converted is _INVALID or not isinstance(name, str):
            where = f" ({plugin.location})" if not plugin.builtin else ""
            raise PluginError(
                f"Plugin {plugin.name!r}{where} returned {type(value).__name__} for output {name!r}; a plugin "
                "returns a polars or pandas DataFrame, a number, text, a Vega-Lite chart (dict with a "
                "vega-lite $schema), or a dict of those.",
                details={"plugin": plugin.name, "file": plugin.file, "line": plugin.line, "output": str(name)},
            )
        outputs[name] = converted
    return outputs


_INVALID = object()


def _as_output(value: Any) -> Any:
    if isinstance(value, pl.DataFrame) or is_chart(value):
        return value
    if isinstance(value, pl.LazyFrame):
        return value.collect()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas"):
        return pl.from_pandas(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return value.item()
        except (TypeError, ValueError):
            return _INVALID
    return _INVALID


def _collect_outputs(spec: ProtocolSpec, produced: dict[str, dict[str, Any]]) -> Result:
    flat: dict[str, Any] = {}
    for step_id, outputs in produced.items():
        for name, value in outputs.items():
            flat[name] = value
            flat[f"{step_id}.{name}"] = value
    wanted = spec.outputs or {name: None for outputs in produced.values() for name in outputs}
    result = Result(provenance={})
    for name in wanted:
        if name not in flat:
            raise ProtocolError(
                f"{spec.key} promises output {name!r}, but no step produced it; produced: "
                f"{', '.join(n for o in produced.values() for n in o)}",
                details={"output": name},
            )
        value = flat[name]
        out_name = name.split(".")[-1]
        if isinstance(value, pl.DataFrame):
            _check_contract(spec, name, value)
        result.add_output(out_name, value)
    return result


_TYPE_CHECKS: dict[str, Callable[[pl.DataType], bool]] = {
    "int": lambda d: d.is_integer(),
    "float": lambda d: d.is_numeric(),
    "number": lambda d: d.is_numeric(),
    "string": lambda d: d in (pl.String, pl.Categorical) or isinstance(d, pl.Enum),
    "bool": lambda d: d == pl.Boolean,
    "date": lambda d: d == pl.Date,
    "any": lambda d: True,
}


def _check_contract(spec: ProtocolSpec, name: str, table: pl.DataFrame) -> None:
    promised = spec.outputs.get(name)
    if promised is None or promised.columns is None:
        return
    for column, kind in promised.columns.items():
        if column not in table.columns:
            raise ProtocolError(
                f"{spec.key}: output {name!r} breaks its contract: column {column!r} is missing "
                f"(it has {', '.join(table.columns)})",
                details={"output": name, "column": column},
            )
        check = _TYPE_CHECKS.get(kind)
        if check is not None and not check(table.schema[column]) and table.schema[column] != pl.Null:
            raise ProtocolError(
                f"{spec.key}: output {name!r} breaks its contract: column {column!r} should be {kind}, "
                f"is {table.schema[column]}",
                details={"output": name, "column": column},
            )


PLUGIN_VERSION = "plugin"  # protocol_version recorded for a plugin run without a protocol


def adhoc_spec(plugin: PluginSpec, arguments: dict[str, Any], manifest: Manifest) -> ProtocolSpec:
    """A one-step protocol that calls ``plugin`` directly (notebook authoring, quick tries).

    An argument named after an entity is a cohort of that entity (text, tree or ``@saved``);
    a plugin parameter named after an entity and not given receives the whole entity.
    """
    import inspect

    entities = manifest.model.entities
    accepted = list(plugin.parameters)
    if plugin.function is not None:
        signature = inspect.signature(plugin.function)
        takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        required = [
            n for n, p in signature.parameters.items()
            if n != "ctx" and p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]
    else:
        takes_any, required = False, accepted
    if not takes_any:
        refuse_unknown(f"Plugin {plugin.name!r}", arguments, accepted)
    parameters: dict[str, Any] = {}
    values = dict(arguments)
    for name in dict.fromkeys([*arguments, *required]):
        if name in entities:
            parameters[name] = {"type": "cohort", "entity": name, "default": ""}
        elif name not in arguments:
            raise ParameterError(
                f"Plugin {plugin.name!r} needs parameter {name!r}.", details={"parameter": name}
            )
        else:
            parameters[name] = {"type": _declared_type(plugin, name) or _parameter_type(values[name], name), "required": True}
    return ProtocolSpec.model_validate(
        {
            "name": plugin.name,
            "version": "0.0.0",
            "title": plugin.title,
            "parameters": parameters,
            "steps": [{"id": plugin.name if plugin.name not in parameters else f"{plugin.name}_result",
                       "algorithm": plugin.name, "with": {n: f"${n}" for n in parameters}}],
        }
    )


_HINT_TYPES = {bool: "bool", int: "int", float: "float", str: "string"}


def _declared_type(plugin: PluginSpec, name: str) -> str | None:
    """The parameter type a plugin's signature asks for (hint first, then default value)."""
    import inspect
    import typing

    if plugin.function is None:
        return None
    try:
        hints = typing.get_type_hints(plugin.function)
    except Exception:
        hints = {}
    if hints.get(name) in _HINT_TYPES:
        return _HINT_TYPES[hints[name]]
    parameter = inspect.signature(plugin.function).parameters.get(name)
    if parameter is not None and type(parameter.default) in _HINT_TYPES:
        return _HINT_TYPES[type(parameter.default)]
    return None


def _parameter_type(value: Any, name: str) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    raise ParameterError(
        f"Parameter {name!r}: a plugin run directly takes text, numbers, true/false or a cohort of an "
        f"entity; got {type(value).__name__}. Write a protocol to pass other values.",
        details={"parameter": name},
    )
