"""How the client reaches a product: the operations every transport offers.

:class:`LocalTransport` calls the core engine in this process; the HTTP transport (in
:mod:`.remote`) calls a ``dataproduct serve`` server. Client objects only ever talk to a
:class:`Transport`, so they behave the same for a folder and for a URL. Payloads are plain
JSON-able dicts, plus polars frames for tables.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable

import polars as pl

from ..core.progress import ProgressEvent
from ..core.result import Result


class Transport(ABC):
    """The operations a client needs from a product, local or remote."""

    location: str

    @abstractmethod
    def info(self) -> dict[str, Any]: ...
    @abstractmethod
    def snapshots(self) -> list[dict[str, Any]]: ...
    @abstractmethod
    def snapshot(self, ref: str) -> dict[str, Any]: ...
    @abstractmethod
    def build(self, progress: Callable[[ProgressEvent], None] | None = None, force: bool = False) -> dict[str, Any]: ...
    @abstractmethod
    def verify(self, ref: str) -> dict[str, Any]: ...
    @abstractmethod
    def diff(self, a: str, b: str) -> dict[str, Any]: ...
    @abstractmethod
    def tag(self, name: str, ref: str) -> dict[str, Any]: ...
    @abstractmethod
    def protocols(self) -> list[dict[str, Any]]: ...
    @abstractmethod
    def protocol(self, ref: str) -> dict[str, Any]: ...
    @abstractmethod
    def run(self, ref: str, parameters: dict[str, Any], snapshot: str) -> Result: ...
    @abstractmethod
    def run_plugin(self, name: str, arguments: dict[str, Any], snapshot: str) -> Result: ...
    @abstractmethod
    def rerun(self, provenance: dict[str, Any]) -> Result: ...
    @abstractmethod
    def frame(self, entity: str, where: Any, columns: list[str] | None, snapshot: str, limit: int | None,
              progress: Callable[[ProgressEvent], None] | None = None) -> pl.DataFrame: ...
    @abstractmethod
    def plugins(self) -> list[dict[str, Any]]: ...
    @abstractmethod
    def plugin(self, name: str) -> dict[str, Any]: ...
    @abstractmethod
    def plugin_source(self, name: str) -> dict[str, Any]: ...
    @abstractmethod
    def artifacts(self) -> list[dict[str, Any]]: ...
    @abstractmethod
    def save_result(self, name: str, result: Result, overwrite: bool) -> dict[str, Any]: ...
    @abstractmethod
    def save_cohort(self, name: str, entity: str, cohort: Any, snapshot: str, overwrite: bool) -> dict[str, Any]: ...
    @abstractmethod
    def load_artifact(self, name: str) -> tuple[dict[str, Any], Any]: ...
    @abstractmethod
    def delete_artifact(self, name: str) -> None: ...
    @abstractmethod
    def history(self, limit: int | None, offset: int = 0) -> list[dict[str, Any]]: ...
    @abstractmethod
    def history_result(self, entry_id: str) -> Result: ...


class LocalTransport(Transport):
    """A product folder on this machine, through the core engine."""

    def __init__(self, path: str | Path, engine: str | Callable[[], str | None] | None = None) -> None:
        """``engine``: the engine's name, or a function asked at each run (the notebook's
        setting may change between runs); None leaves the choice to the product."""
        from ..core.product import Product

        self.product = Product.open(path, engine=engine if isinstance(engine, str) else None)
        self._engine = engine if callable(engine) else None
        self.location = str(self.product.path)

    def _engine_now(self) -> str | None:
        return self._engine() if self._engine is not None else None

    def info(self) -> dict[str, Any]:
        m = self.product.manifest
        return {
            "name": m.name, "version": m.version, "title": m.title, "description": m.description,
            "owners": [o.model_dump() for o in m.owners], "license": m.license, "location": self.location,
            "entities": {
                name: {"title": e.title, "description": e.description, "key": e.key,
                       "columns": {c: col.model_dump(exclude_none=True) for c, col in e.columns.items()}}
                for name, e in m.model.entities.items()
            },
            "relations": m.model.relations(),
        }

    def snapshots(self) -> list[dict[str, Any]]:
        tags = self.product.store.tags_by_snapshot()
        return [_snapshot_json(s, tags) for s in self.product.snapshots()]

    def snapshot(self, ref: str) -> dict[str, Any]:
        return _snapshot_json(self.product.snapshot(ref), self.product.store.tags_by_snapshot())

    def build(self, progress=None, force: bool = False) -> dict[str, Any]:
        result = self.product.build(progress=progress, force=force)
        return {"created": result.created, "snapshot": _snapshot_json(result.snapshot, self.product.store.tags_by_snapshot())}

    def verify(self, ref: str) -> dict[str, Any]:
        snapshot, problems = self.product.verify(ref)
        return {"id": snapshot.id, "ok": not problems, "problems": problems}

    def diff(self, a: str, b: str) -> dict[str, Any]:
        return self.product.diff(a, b)

    def tag(self, name: str, ref: str) -> dict[str, Any]:
        return {"tag": name, "id": self.product.tag(name, ref).id}

    def protocols(self) -> list[dict[str, Any]]:
        catalog = self.product.protocols()
        return [_protocol_summary(v.spec, catalog) for v in catalog.latest()]

    def protocol(self, ref: str) -> dict[str, Any]:
        loaded = self.product.protocol(ref)
        summary = _protocol_summary(loaded.spec, self.product.protocols())
        summary["schema"] = self.product.parameter_schema(loaded.spec.key)
        summary["outputs"] = {k: v.model_dump() for k, v in loaded.spec.outputs.items()}
        return summary

    def run(self, ref: str, parameters: dict[str, Any], snapshot: str) -> Result:
        return self.product.run(ref, parameters, snapshot=snapshot, engine=self._engine_now())

    def run_plugin(self, name: str, arguments: dict[str, Any], snapshot: str) -> Result:
        return self.product.run_plugin(name, arguments, snapshot=snapshot, engine=self._engine_now())

    def rerun(self, provenance: dict[str, Any]) -> Result:
        return self.product.rerun(provenance, engine=self._engine_now())

    def frame(self, entity, where, columns, snapshot, limit, progress=None) -> pl.DataFrame:
        # A local read takes well under a second per GB: no progress to show.
        return self.product.frame(entity, where, columns, snapshot=snapshot, limit=limit).collect()

    def plugins(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.product.plugins().values()]

    def plugin(self, name: str) -> dict[str, Any]:
        """One plugin with its kind, typed parameters and their JSON Schema (a form)."""
        from ..core.plugin_parameters import plugin_detail

        return plugin_detail(self._plugin(name), self.product.manifest.model)

    def plugin_source(self, name: str) -> dict[str, Any]:
        from ..core.plugin_source import read_plugin_source

        return read_plugin_source(self._plugin(name), self.product.path)

    def _plugin(self, name: str) -> Any:
        from .errors import PluginNotFoundError

        plugins = self.product.plugins()
        if name not in plugins:
            raise PluginNotFoundError(f"No plugin {name[:100]!r}; plugins: {', '.join(sorted(plugins))}.",
                                      details={"plugin": name[:100], "allowed": sorted(plugins)})
        return plugins[name]

    def artifacts(self) -> list[dict[str, Any]]:
        return [a.to_json() for a in self.product.artifacts.list()]

    def save_result(self, name: str, result: Result, overwrite: bool) -> dict[str, Any]:
        return self.product.artifacts.save_result(name, result, overwrite=overwrite).to_json()

    def save_cohort(self, name, entity, cohort, snapshot, overwrite) -> dict[str, Any]:
        return self.product.save_cohort(name, entity, cohort, snapshot=snapshot, overwrite=overwrite).to_json()

    def load_artifact(self, name: str) -> tuple[dict[str, Any], Any]:
        info, value = self.product.artifacts.read(name)  # both of the same version, even while it is overwritten
        return info.to_json(), value

    def delete_artifact(self, name: str) -> None:
        self.product.artifacts.delete(name)

    def history(self, limit: int | None, offset: int = 0) -> list[dict[str, Any]]:
        return [e.to_json() for e in self.product.history.list(limit, offset)]

    def history_result(self, entry_id: str) -> Result:
        return self.product.history_result(entry_id)


def _snapshot_json(snapshot: Any, tags: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "id": snapshot.id, "created": snapshot.created, "rows": snapshot.rows(),
        "tags": tags.get(snapshot.id, []), "product_version": snapshot.info.get("product_version"),
        "entities": {n: {"rows": m["rows"], "bytes": m.get("bytes"), "schema": m["schema"]} for n, m in snapshot.entities.items()},
    }


def _protocol_summary(spec: Any, catalog: Any) -> dict[str, Any]:
    return {
        "name": spec.name, "version": spec.version, "title": spec.title, "description": spec.description,
        "versions": [v.spec.version for v in catalog.versions.get(spec.name, [])],
        "parameters": {n: p.model_dump(exclude_none=True) for n, p in spec.parameters.items()},
        "tests": len(spec.tests),
    }
