"""DataProduct: one Python API for a product in a folder or behind a URL."""

from __future__ import annotations

from typing import Any, Callable

import polars as pl

from ..core.cohort import Cohort
from ..core.errors import ParameterError
from ..core.progress import ProgressEvent
from ..core.result import Result as CoreResult
from . import display
from .cell_plugins import CellPlugins, ran_in_kernel
from .objects import Artifact, Listing, Plugin, Snapshot
from .frame import Frame
from .options import as_frame, options
from .protocol import Protocols
from .result import Result
from ..contract.transport import Transport

# The roles a server lets run protocols and save artifacts (server/tokens.py; a reader only reads).
ANALYST_ROLES = ("analyst", "admin")


class DataProduct:
    """A connected data product. Nothing is cached: every call sees the product as it is now.

    ``pinned`` (set by :meth:`use`) fixes the snapshot that runs and frames use; otherwise
    they use the latest snapshot. Every result records the snapshot it used.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.pinned: str | None = None
        self.protocols = Protocols(self)
        self._cell_plugins = CellPlugins()  # remote products only: run here, on frames from the server
        self._analyst: bool | None = None

    # -- metadata --------------------------------------------------------------------------

    @property
    def info(self) -> dict[str, Any]:
        return self._transport.info()

    @property
    def name(self) -> str:
        return self.info["name"]

    @property
    def location(self) -> str:
        return self._transport.location

    @property
    def transport(self) -> Transport:
        """How this product is reached: plain JSON payloads (the sidebar's server extension
        reads metadata through it, without the display objects)."""
        return self._transport

    @property
    def is_local(self) -> bool:
        from ..contract.transport import LocalTransport

        return isinstance(self._transport, LocalTransport)

    @property
    def may_run_and_save(self) -> bool:
        """Whether this connection may run protocols and save artifacts: a folder is the
        user's own; a server says so for an analyst's or admin's token, not a reader's. The
        buttons of displayed results follow it (asked of a server once per connection)."""
        if self._analyst is None:
            self._analyst = self.is_local or self._transport.role() in ANALYST_ROLES  # type: ignore[attr-defined]
        return self._analyst

    # -- snapshots -----------------------------------------------------------------------

    def snapshots(self) -> Listing:
        name = self.name
        items = [Snapshot.from_json(s, name) for s in self._transport.snapshots()]
        return Listing(items, f"Snapshots of {name}", ["id", "created", "rows", "tags"])

    def snapshot(self, ref: str | None = None) -> Snapshot:
        return Snapshot.from_json(self._transport.snapshot(ref or self.pinned or "latest"), self.name)

    def use(self, ref: str | None) -> Snapshot | None:
        """Pin a snapshot for runs and frames (``None`` unpins: back to the latest)."""
        if ref is None:
            self.pinned = None
            return None
        snapshot = self.snapshot(ref)
        self.pinned = snapshot.id
        return snapshot

    def build(self, progress: Callable[[ProgressEvent], None] | None = None, force: bool = False) -> Snapshot:
        payload = self._transport.build(progress=progress, force=force)
        return Snapshot.from_json(payload["snapshot"], self.name)

    def verify(self, ref: str | None = None) -> dict[str, Any]:
        return self._transport.verify(ref or self.pinned or "latest")

    def diff(self, a: str, b: str = "latest") -> dict[str, Any]:
        return self._transport.diff(a, b)

    def tag(self, name: str, ref: str | None = None) -> dict[str, Any]:
        return self._transport.tag(name, ref or self.pinned or "latest")

    # -- running -------------------------------------------------------------------------

    def run(self, protocol: str, *, snapshot: str | None = None, **parameters: Any) -> Result:
        """Run a protocol (``name`` or ``name@version``) with keyword parameters."""
        parameters = {k: _wire_value(v) for k, v in parameters.items()}
        core = self._transport.run(protocol, parameters, snapshot or self.pinned or "latest")
        return Result(core, self)

    def run_plugin(self, name: str, *, snapshot: str | None = None, **arguments: Any) -> Result:
        """Run a plugin directly, without a protocol (e.g. one written in a notebook cell)."""
        arguments = {k: _wire_value(v) for k, v in arguments.items()}
        ref = snapshot or self.pinned or "latest"
        if name in self._cell_plugins.specs:
            return Result(self._cell_plugins.run(self._transport, name, arguments, ref), self)
        return Result(self._transport.run_plugin(name, arguments, ref), self)

    def rerun(self, provenance: dict[str, Any]) -> Result:
        if ran_in_kernel(provenance) and provenance.get("protocol") in self._cell_plugins.specs:
            return self.run_plugin(provenance["protocol"], snapshot=provenance["snapshot"], **provenance["parameters"])
        return Result(self._transport.rerun(provenance), self)

    def frame(self, entity: str, where: Any = None, columns: list[str] | str | None = None, *,
              limit: int | None = None, snapshot: str | None = None, library: str | None = None,
              progress: Callable[[ProgressEvent], None] | None = None) -> Any:
        """Rows of an entity matching ``where`` (a cohort), with ``columns``: a polars or pandas frame.

        ``progress`` hears the bytes received from a server (a local read needs none).
        """
        if isinstance(columns, str):
            columns = [c.strip() for c in columns.split(",") if c.strip()]
        ref = snapshot or self.pinned or "latest"
        frame = self._transport.frame(entity, _wire_value(where), columns, ref, limit, progress=progress)
        if (library or options.frame_library) == "polars":
            # A polars frame that remembers the read, for its display (and the code that repeats it).
            return Frame.wrap(frame, {"product": self.name, "snapshot": self._resolve(ref), "entity": entity,
                                      "where": _where_text(where), "columns": columns, "limit": limit},
                              savable=self.may_run_and_save)
        return as_frame(frame, library)

    def _resolve(self, ref: str) -> str:
        """The snapshot id a reference names now (a pinned id needs no question)."""
        return ref if ref == self.pinned else self._transport.snapshot(ref)["id"]

    # -- plugins, artifacts, history ---------------------------------------------------------

    def plugins(self) -> Listing:
        items = [Plugin.from_json(p) for p in self._transport.plugins()]
        items += [Plugin.from_json(s.to_json()) for s in self._cell_plugins.specs.values()]
        return Listing(items, f"Plugins of {self.name}", ["name", "language", "builtin", "title", "parameters"])

    def define_plugin(self, name: str, source: str, language: str = "python") -> Plugin:
        """Define a plugin from a cell's source for this session: usable at once.

        For a product folder the plugin joins the product's engine; for a server it runs in
        this kernel on frames the server sends (a server never runs code from a notebook).
        """
        if self.is_local:
            spec = self._transport.product.define_plugin(name, source, language)  # type: ignore[attr-defined]
        else:
            spec = self._cell_plugins.define(name, source, language)
        return Plugin.from_json(spec.to_json())

    def export_plugin(self, name: str, *, force: bool = False, folder: str | None = None) -> str:
        """Write a plugin defined in this session into a ``plugins/`` folder.

        A product folder: its own ``plugins/``. A server: ``folder`` (default ``./plugins``),
        to be committed to the product's repository and deployed - a server's repository is
        not written from a notebook.
        """
        if self.is_local:
            return str(self._transport.product.export_plugin(name, force=force))  # type: ignore[attr-defined]
        from pathlib import Path

        return str(self._cell_plugins.export(name, Path(folder or "plugins").resolve(), force=force))

    def test(self, protocol: str | None = None) -> Listing:
        """Run the protocols' tests (or one protocol's) on the pinned or latest snapshot.

        Tests are part of the product's repository: they run where its folder is (for a
        server, run ``dataproduct test`` in the repository before deploying).
        """
        if not self.is_local:
            raise ParameterError(
                f"{self.name} is served from {self.location}; protocol tests run where the product's folder is: "
                "dataproduct test PATH [PROTOCOL] in its repository."
            )
        from ..core.testing import run_protocol_tests

        outcomes = run_protocol_tests(self._transport.product, protocol, self.pinned or "latest")  # type: ignore[attr-defined]
        return Listing([o.to_json() for o in outcomes], f"Protocol tests of {self.name}",
                       ["protocol", "test", "passed", "skipped", "message"])

    def artifacts(self) -> Listing:
        items = [Artifact.from_json(a) for a in self._transport.artifacts()]
        return Listing(items, f"Artifacts of {self.name}", ["name", "kind", "created", "summary"])

    def save(self, value: Any, name: str, *, entity: str | None = None, overwrite: bool = False) -> Artifact:
        """Save a Result, or a cohort (text / tree, with ``entity``), as a named artifact."""
        if isinstance(value, Result):
            if ran_in_kernel(value.provenance) and not self.is_local:
                raise ParameterError(
                    f"This result was computed in this kernel by the cell plugin {value.provenance['protocol']!r}, "
                    f"so {self.name}'s server cannot save or reproduce it. Export the plugin and deploy it to "
                    "save its results there; or keep the table here: result.to_polars().write_parquet(...)."
                )
            return Artifact.from_json(self._transport.save_result(name, value._core, overwrite))
        if isinstance(value, CoreResult):
            return Artifact.from_json(self._transport.save_result(name, value, overwrite))
        if isinstance(value, Cohort):
            entity, value = value.entity, value.tree
        if isinstance(value, (str, dict)):
            if entity is None:
                raise ParameterError("Saving a cohort needs the entity it filters: save(cohort, name, entity='patients').")
            return Artifact.from_json(self._transport.save_cohort(name, entity, value, self.pinned or "latest", overwrite))
        raise ParameterError(f"Cannot save a {type(value).__name__}; save a Result or a cohort.")

    def load(self, name: str) -> Artifact:
        """An artifact by name; ``.value`` holds the cohort, table or Result."""
        meta, value = self._transport.load_artifact(name)
        if isinstance(value, CoreResult):
            value = Result(value, self)
        elif isinstance(value, pl.DataFrame):
            value = as_frame(value)
        return Artifact.from_json(meta, value)

    def delete_artifact(self, name: str) -> None:
        self._transport.delete_artifact(name)

    def history(self, limit: int | None = 20) -> Listing:
        entries = self._transport.history(limit)
        return Listing(entries, f"Analysis history of {self.name}", ["id", "when", "who", "protocol", "snapshot", "parameters"])

    def history_result(self, entry_id: str) -> Result:
        return Result(self._transport.history_result(entry_id), self)

    # -- display -------------------------------------------------------------------------

    def __repr__(self) -> str:
        info = self.info
        return f"<DataProduct {info['name']} {info['version']} at {self.location}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        info = self.info
        snapshots = self._transport.snapshots()[:5]
        protocols = self._transport.protocols()
        entities = [{"entity": n, "title": e["title"], "key": ", ".join(e["key"]), "columns": len(e["columns"])}
                    for n, e in info["entities"].items()]
        html = display.card(
            f"{info['title'] or info['name']} ({info['name']} {info['version']})",
            info["description"].strip(),
            display.section("Entities", display.table(entities)),
            display.section("Snapshots", display.table(
                [{"id": s["id"][:12], "created": s["created"], "tags": ", ".join(s["tags"]),
                  "rows": ", ".join(f"{k}={v:,}" for k, v in s["rows"].items())} for s in snapshots]
            ) + (f"<div class='dp-muted'>pinned: {display.escape(self.pinned[:12])}</div>" if self.pinned else "")),
            display.section("Protocols", display.table(
                [{"protocol": p["name"], "version": p["version"], "title": p["title"]} for p in protocols]
            )),
            f"<div class='dp-muted'>{display.escape(self.location)}</div>",
        )
        return {"text/plain": repr(self), "text/html": html}


def _where_text(where: Any) -> Any:
    """A frame's filter as the magic writes it: text, ``@artifact``, or a cohort tree."""
    if isinstance(where, Cohort):
        return where.text or where.tree
    if isinstance(where, Artifact):
        return f"@{where.name}"
    return where


def _wire_value(value: Any) -> Any:
    """Client-side values as the transport expects them (cohorts as trees, artifacts by name)."""
    if isinstance(value, Cohort):
        return {"entity": value.entity, "tree": value.tree}
    if isinstance(value, Artifact):
        return {"artifact": value.name}
    return value
