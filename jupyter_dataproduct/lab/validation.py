"""Parameter validation and cohort counts: the engine's own binding, for folders and servers.

A folder binds with its :class:`~jupyter_dataproduct.core.product.Product`. A server has no
binding endpoint, so the same binding runs here on the model and parameters it describes
(``choices_from`` values come from its parameter schema): the messages are the engine's.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..core.errors import ParameterError


def validate(product: Any, protocol: str, parameters: dict[str, Any]) -> None:
    """Raise the engine's ParameterError when ``parameters`` do not bind to ``protocol``."""
    if product.is_local:
        product.transport.product.bind(protocol, parameters, snapshot=product.pinned or "latest")
        return
    from ..core.engine import bind_parameters
    from ..core.parameters import BindContext, Parameter

    meta = product.transport.protocol(protocol)
    spec = SimpleNamespace(key=f"{meta['name']}@{meta['version']}",
                           parameters={n: Parameter(**p) for n, p in meta["parameters"].items()})
    schema = meta.get("schema", {}).get("properties", {})

    def distinct_values(entity: str, column: str) -> list[Any]:
        for name, p in spec.parameters.items():
            if p.choices_from == f"{entity}.{column}":
                return list(schema.get(name, {}).get("enum", []))
        return []

    bind_parameters(spec, parameters, BindContext(remote_model(product.info), distinct_values,
                                                  lambda name: load_cohort(product, name)))


def cohort_count(product: Any, entity: str, cohort: Any) -> dict[str, Any]:
    """How many rows of ``entity`` the cohort keeps, of how many (the latest or pinned snapshot)."""
    if isinstance(cohort, str) and cohort.strip().startswith("@"):
        cohort = {"artifact": cohort.strip()[1:]}
    if product.is_local:
        return _local_count(product, entity, cohort)
    return _remote_count(product, entity, cohort)


def _local_count(product: Any, entity: str, value: Any) -> dict[str, Any]:
    import polars as pl

    core = product.transport.product
    cohort = core.cohort(entity, value)
    frame = core.snapshot(product.pinned or "latest").scan(entity)
    total = frame.select(pl.len()).collect().item()
    matched = total if cohort.is_everyone else frame.filter(cohort.expression(core.manifest.model.entities[entity])) \
        .select(pl.len()).collect().item()
    return {"matched": matched, "total": total, "text": cohort.describe()}


def _remote_count(product: Any, entity: str, value: Any) -> dict[str, Any]:
    from ..core.cohort import cohort_from_value

    info = product.info
    model = remote_model(info)
    if entity not in model.entities:
        raise ParameterError(f"No entity {entity!r}; entities: {', '.join(model.entities)}",
                             details={"entity": entity, "allowed": list(model.entities)})
    if isinstance(value, dict) and set(value) == {"artifact"}:
        cohort = load_cohort(product, value["artifact"])
    else:
        cohort = cohort_from_value(value, entity, model.entities[entity])
    snapshot = product.transport.snapshot(product.pinned or "latest")
    total = snapshot["rows"][entity] if isinstance(snapshot.get("rows"), dict) else snapshot["entities"][entity]["rows"]
    key = model.entities[entity].key[:1]
    matched = total if cohort.is_everyone else product.frame(entity, where=cohort, columns=key, library="polars").height
    return {"matched": matched, "total": total, "text": cohort.describe()}


def remote_model(info: dict[str, Any]) -> Any:
    """The data model a server describes, as the engine's Model (to bind parameters against)."""
    from ..core.model import Column, Entity, Model

    return Model(entities={
        name: Entity(source=name, title=e.get("title", ""), description=e.get("description", ""), key=e["key"],
                     columns={c: Column(**{k: v for k, v in meta.items() if k in Column.model_fields})
                              for c, meta in e["columns"].items()})
        for name, e in info["entities"].items()
    })


def load_cohort(product: Any, name: str) -> Any:
    from ..core.cohort import Cohort

    _, value = product.transport.load_artifact(name)
    if not isinstance(value, Cohort):
        raise ParameterError(f"Artifact {name!r} is not a cohort.", details={"artifact": name})
    return value
