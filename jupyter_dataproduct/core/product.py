"""A data product on disk: its folder, manifest and snapshot store.

:class:`Product` is the entry point of the core API. It re-reads ``dataproduct.yaml``
whenever the file changes, so a long-lived object (a notebook session, a server) never
works from a stale manifest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polars as pl

from .artifacts import ArtifactInfo, ArtifactStore
from .backends.choice import backend_for, choose_engine, parse_engine
from .backends.reducers import Backend
from .build import BuildResult, build_snapshot
from .cohort import Cohort
from .diff import diff_snapshots
from .dictionary import data_dictionary
from .engine import PLUGIN_VERSION, adhoc_spec, bind_parameters, execute
from .errors import DataProductError, ManifestError, ParameterError, ProductNotFoundError
from .history import History, HistoryEntry
from .manifest import MANIFEST_FILE, Manifest, load_manifest
from .object_store import ObjectSnapshot, ObjectSnapshotStore
from . import parameters as parameter_module  # MAX_CHOICES read at call time
from .parameters import BindContext, form_schema, json_schema
from .plugins import PluginSpec
from .progress import ProgressCallback, Steps
from .protocol import LoadedProtocol, ProtocolCatalog
from .repository import Repository
from .result import Result
from .snapshot import Snapshot, SnapshotStore
from .yaml_files import read_yaml_mapping

STORE_DIR = ".dataproduct"
STORE_ENV = "DATAPRODUCT_STORE"


def _check_product_folder(given: Path, folder: Path) -> None:
    """Refuse a path that is no product folder, saying what is there and where we looked."""
    details = {"path": str(given), "looked_in": str(folder), "cwd": os.getcwd()}
    if not folder.exists():
        where = "" if given.is_absolute() else f" (`{given}` is relative to the working folder {os.getcwd()})"
        raise ProductNotFoundError(f"No data product at {folder}: the folder does not exist{where}.", details=details)
    if not folder.is_dir():
        raise ProductNotFoundError(f"{folder} is a file; a data product is a folder holding {MANIFEST_FILE}.", details=details)
    if not (folder / MANIFEST_FILE).is_file():
        raise ProductNotFoundError(
            f"{folder} is not a data product: it has no {MANIFEST_FILE}. "
            f"To start one there: `dataproduct init {given}`.",
            details=details,
        )


class Product:
    """A data product folder: ``Product.open("examples/actg175")``."""

    def __init__(self, path: Path, store_dir: Path | None = None, engine: str | None = None) -> None:
        self.path = Path(path).resolve()
        if engine is not None:
            parse_engine(engine)  # refuse an unknown engine now, not at the first run
        self.engine = engine  # None: DATAPRODUCT_ENGINE, else the manifest's engine block, else polars
        _check_product_folder(Path(path), self.path)
        store_root = Path(store_dir) if store_dir else self.path / STORE_DIR
        self.local_store = SnapshotStore(store_root)
        self._object_store: ObjectSnapshotStore | None = None
        self.artifacts = ArtifactStore(store_root / "artifacts")
        self.history = History(store_root / "history")
        self.repository = Repository(self.path)
        self._manifest: Manifest | None = None
        self._manifest_stamp: tuple[int, int] | None = None
        self._choices: dict[tuple[str, str, str], list[Any]] = {}  # (snapshot id, entity, column): a pick-list

    @classmethod
    def open(cls, path: str | os.PathLike[str], engine: str | None = None) -> "Product":
        """The product at ``path``; ``engine`` (``polars``, ``spark-local[N]``, ``sc://host:port``)
        runs its protocols (default: ``DATAPRODUCT_ENGINE``, else the manifest's ``engine:``)."""
        store = os.environ.get(STORE_ENV)
        return cls(Path(path), Path(store) if store else None, engine=engine)

    def backend(self, snapshot: Snapshot, engine: str | None = None) -> Backend:
        """The engine for a run on ``snapshot``: ``engine``, else the product's, else
        ``DATAPRODUCT_ENGINE``, else the manifest's block (from its ``min_rows``), else polars."""
        block = self.manifest.engine
        choice = choose_engine(engine or self.engine, block.model_dump() if block else None, snapshot.rows())
        return backend_for(choice)

    @property
    def manifest(self) -> Manifest:
        """The validated manifest, re-read when the file changed on disk."""
        file = self.path / MANIFEST_FILE
        stat = file.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._manifest is None or stamp != self._manifest_stamp:
            self._manifest = load_manifest(self.path)
            self._manifest_stamp = stamp
        return self._manifest

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def store(self) -> SnapshotStore | ObjectSnapshotStore:
        """Where the snapshots are: the local folder, or object storage when the manifest's
        ``snapshots.url`` names it (``store.root`` is the local folder either way)."""
        try:
            url = self.manifest.snapshots.url
        except (ManifestError, OSError):
            if self._names_object_storage():
                raise  # the snapshots are elsewhere; the manifest's problem must be fixed first
            return self.local_store
        if url is None:
            return self.local_store
        if self._object_store is None or self._object_store.url != url:
            self._object_store = ObjectSnapshotStore(url, root=self.local_store.root)
        return self._object_store

    def _names_object_storage(self) -> bool:
        """Whether an invalid manifest has a ``snapshots:`` block (read without validating it:
        a product with another problem still lists its local snapshots as before)."""
        try:
            return "snapshots" in read_yaml_mapping(self.path / MANIFEST_FILE)
        except (DataProductError, OSError):
            return False

    def build(self, *, progress: ProgressCallback = None, force: bool = False) -> BuildResult:
        return build_snapshot(self.manifest, self.path, self.store, progress=progress, force=force)

    def publish(self, ref: str = "latest", *, progress: ProgressCallback = None) -> ObjectSnapshot:
        """Upload local snapshot ``ref`` (built before the product moved) to the object storage
        the manifest names; refused when it is already there."""
        store = self.store
        if not isinstance(store, ObjectSnapshotStore):
            raise ManifestError(
                f"{self.name} keeps its snapshots in its own folder; to publish them to object storage, "
                "first set snapshots.url (s3://bucket/prefix) in dataproduct.yaml.",
                details={"path": str(self.path)},
            )
        local = self.local_store.resolve(self._strip_product(ref))
        return store.publish(local, Steps(total=1, callback=progress))

    def snapshots(self) -> list[Snapshot]:
        """All snapshots, newest first."""
        return self.store.list()

    def snapshot(self, ref: str = "latest") -> Snapshot:
        """A snapshot by tag, 'latest', id or unique id prefix; ``name@ref`` is accepted too."""
        return self.store.resolve(self._strip_product(ref))

    def verify(self, ref: str = "latest", *, deep: bool = False) -> tuple[Snapshot | ObjectSnapshot, list[dict[str, str]]]:
        """Check a snapshot's files against its hashes. In object storage the stored SHA-256 of
        each object is compared (nothing downloaded); ``deep`` downloads and re-hashes."""
        snapshot = self.snapshot(ref)
        return snapshot, snapshot.verify(deep=deep)

    def tag(self, name: str, ref: str = "latest") -> Snapshot:
        return self.store.tag(name, self._strip_product(ref))

    def untag(self, name: str) -> None:
        self.store.untag(name)

    def diff(self, a: str, b: str) -> dict[str, Any]:
        return diff_snapshots(self.snapshot(a), self.snapshot(b))

    def dictionary(self) -> list[dict[str, Any]]:
        return data_dictionary(self.manifest)

    def _strip_product(self, ref: str) -> str:
        name, at, rest = ref.partition("@")
        if not at:
            return ref
        if name != self.name:
            raise ManifestError(
                f"{ref!r} names product {name!r}, but this product is {self.name!r}.",
                details={"ref": ref},
            )
        return rest

    # -- protocols and plugins ----------------------------------------------------------------

    def protocols(self) -> ProtocolCatalog:
        """Every protocol version in the product (re-read when files change)."""
        return self.repository.protocols(self.manifest)

    def protocol(self, ref: str) -> LoadedProtocol:
        """``name`` (newest version) or ``name@version``."""
        return self.repository.protocol(self.manifest, ref)

    def plugins(self) -> dict[str, PluginSpec]:
        return self.repository.plugins(self.manifest)

    def problems(self) -> list[dict[str, str]]:
        """Every source path, protocol and plugin file that is refused: ``{"file", "kind", "message"}``.

        The manifest itself raises when it is invalid (nothing else can be checked then)."""
        found = []
        for name, source in self.manifest.sources.items():
            try:
                if hasattr(source, "file"):
                    source.file(self.path)
            except DataProductError as exc:
                found.append({"file": str(self.path / MANIFEST_FILE), "kind": "source", "message": f"sources.{name}: {exc.message}"})
        catalog = self.protocols()
        found += [{"file": f, "kind": "protocol", "message": m} for f, m in sorted(catalog.problems.items())]
        plugin_problems = self.repository.plugin_problems(self.manifest)
        return found + [{"file": f, "kind": "plugin", "message": m} for f, m in sorted(plugin_problems.items())]

    def parameter_schema(self, ref: str, snapshot: str = "latest") -> dict[str, Any]:
        """JSON Schema of a protocol's parameters: the contract forms and clients share."""
        spec = self.protocol(ref).spec
        model = self.manifest.model
        context = self._bind_context(snapshot)
        properties = {}
        for name, parameter in spec.parameters.items():
            choices = None
            if parameter.choices_from is not None:
                choices = context.distinct_values(*parameter.choices_from.split(".", 1))
            properties[name] = json_schema(name, parameter, model, choices)
        required = [n for n, p in spec.parameters.items() if p.is_required]
        return form_schema(spec.title or spec.name, spec.description, properties, required)

    def bind(self, ref: str, parameters: dict[str, Any] | None = None, snapshot: str = "latest") -> dict[str, Any]:
        """Validate parameters for a protocol without running it."""
        return bind_parameters(self.protocol(ref).spec, parameters or {}, self._bind_context(snapshot))

    def run(
        self,
        ref: str,
        parameters: dict[str, Any] | None = None,
        *,
        snapshot: str = "latest",
        record: bool = True,
        engine: str | None = None,
    ) -> Result:
        """Run a protocol on a snapshot; the run is recorded in the analysis history."""
        spec = self.protocol(ref).spec
        pinned = self.snapshot(snapshot)
        bound = bind_parameters(spec, parameters or {}, self._bind_context(pinned.id))
        result = execute(self.manifest, spec, bound, pinned, self.plugins(), backend=self.backend(pinned, engine))
        if record:
            entry = self.history.record(result)
            result.provenance["history_id"] = entry.id
        return result

    def rerun(self, provenance: dict[str, Any], *, record: bool = True, engine: str | None = None) -> Result:
        """Run again exactly what a provenance describes (same snapshot, version, parameters)."""
        if provenance.get("product") not in (None, self.name):
            raise ParameterError(
                f"This provenance is of product {provenance.get('product')!r}, not {self.name!r}."
            )
        if provenance["protocol_version"] == PLUGIN_VERSION:
            return self.run_plugin(provenance["protocol"], provenance["parameters"], snapshot=provenance["snapshot"],
                                   record=record, engine=engine)
        ref = f"{provenance['protocol']}@{provenance['protocol_version']}"
        return self.run(ref, provenance["parameters"], snapshot=provenance["snapshot"], record=record, engine=engine)

    def bind_plugin(self, name: str, arguments: dict[str, Any] | None = None, snapshot: str = "latest") -> dict[str, Any]:
        """Validate a direct run's arguments without running it (the binding :meth:`run_plugin` does)."""
        plugin = self.repository.plugin(self.manifest, name)
        arguments = dict(arguments or {})
        return bind_parameters(adhoc_spec(plugin, arguments, self.manifest), arguments, self._bind_context(snapshot))

    def run_plugin(
        self, name: str, arguments: dict[str, Any] | None = None, *, snapshot: str = "latest", record: bool = True,
        engine: str | None = None,
    ) -> Result:
        """Run a plugin directly, without a protocol (e.g. one just written in a notebook cell).

        An argument named after an entity is a cohort of it; a plugin parameter named after
        an entity and not given receives the whole entity.
        """
        plugin = self.repository.plugin(self.manifest, name)
        arguments = dict(arguments or {})
        spec = adhoc_spec(plugin, arguments, self.manifest)
        pinned = self.snapshot(snapshot)
        bound = bind_parameters(spec, arguments, self._bind_context(pinned.id))
        result = execute(self.manifest, spec, bound, pinned, {**self.plugins(), name: plugin},
                         backend=self.backend(pinned, engine))
        result.provenance["protocol_version"] = PLUGIN_VERSION
        if record:
            entry = self.history.record(result)
            result.provenance["history_id"] = entry.id
        return result

    def history_result(self, entry: HistoryEntry | str) -> Result:
        """The result of a history entry: stored if it was small, otherwise re-run."""
        if isinstance(entry, str):
            entry = self.history.get(entry)
        stored = self.history.stored_result(entry)
        return stored if stored is not None else self.rerun(entry.provenance, record=False)

    def save_history_entry(self, entry_id: str, name: str, *, overwrite: bool = False, **access: Any) -> ArtifactInfo:
        """Save an entry's result as an artifact (``access``: ``saved_by``, ``may_replace``; see ArtifactStore)."""
        return self.artifacts.save_result(name, self.history_result(entry_id), overwrite=overwrite, **access)

    # -- cohorts as artifacts ---------------------------------------------------------------

    def cohort(self, entity: str, value: Any) -> Cohort:
        """Validate a cohort (text, tree or saved name) against an entity of the model."""
        from .cohort import cohort_from_value

        model = self.manifest.model
        if entity not in model.entities:
            raise ParameterError(f"No entity {entity!r}; entities: {', '.join(model.entities)}")
        if isinstance(value, dict) and set(value) == {"artifact"}:
            return self.artifacts.load_cohort(value["artifact"])
        return cohort_from_value(value, entity, model.entities[entity])

    def save_cohort(self, name: str, entity: str, value: Any, *, snapshot: str = "latest",
                    description: str = "", overwrite: bool = False, **access: Any) -> ArtifactInfo:
        cohort = self.cohort(entity, value)
        pinned = self.snapshot(snapshot)
        rows = pinned.scan(entity).filter(cohort.expression(self.manifest.model.entities[entity])).select(pl.len()).collect().item()
        provenance = {"product": self.name, "product_version": self.manifest.version, "snapshot": pinned.id,
                      "cohort": cohort.to_json()}
        return self.artifacts.save_cohort(name, cohort, provenance=provenance, rows=rows,
                                          description=description, overwrite=overwrite, **access)

    def _bind_context(self, snapshot: str) -> BindContext:
        def distinct_values(entity: str, column: str) -> list[Any]:
            return self._pick_list(self.snapshot(snapshot), entity, column)

        def find_value(entity: str, column: str, value: Any) -> tuple[bool, Any]:
            """Whether ``value`` (or its text) is a value of the column, and that value."""
            rows = self.snapshot(snapshot).scan(entity).select(pl.col(column))
            found = rows.filter(pl.col(column).cast(pl.String) == str(value)).head(1).collect().to_series()
            return (True, found[0]) if len(found) else (False, None)

        return BindContext(self.manifest.model, distinct_values, self.artifacts.load_cohort, find_value)

    def _pick_list(self, pinned: Snapshot, entity: str, column: str) -> list[Any]:
        """The column's first ``MAX_CHOICES + 1`` distinct values, sorted; once per snapshot
        (snapshots never change)."""
        key = (pinned.id, entity, column)
        values = self._choices.get(key)
        if values is None:
            if len(self._choices) > 256:  # old snapshots' lists: dropped, recomputed if asked again
                self._choices.clear()
            series = pinned.scan(entity).select(pl.col(column).drop_nulls().unique().sort().head(parameter_module.MAX_CHOICES + 1))
            values = self._choices[key] = series.collect().to_series().to_list()
        return values

    # -- frames ---------------------------------------------------------------------------

    def frame(
        self,
        entity: str,
        where: Any = None,
        columns: list[str] | None = None,
        *,
        join: list[str] | None = None,
        snapshot: str = "latest",
        limit: int | None = None,
    ) -> pl.LazyFrame:
        """Rows of an entity (a cohort ``where``), selected columns, related entities joined."""
        from .builtins import frame as frame_algorithm
        from .plugins import PluginContext

        if isinstance(where, str) and where.startswith("@"):
            where = {"artifact": where[1:]}
        if isinstance(where, dict) and set(where) == {"artifact"}:
            where = self.artifacts.load_cohort(where["artifact"])
        context = PluginContext(self.snapshot(snapshot), self.manifest.model)
        return frame_algorithm(context, entity, where=where, columns=columns, join=join, limit=limit)

    # -- plugins written in a notebook ------------------------------------------------------

    def define_plugin(self, name: str, source: str, language: str = "python") -> PluginSpec:
        """Define a plugin from source (a notebook cell) for this session; runs at once."""
        from .plugins import plugin_from_source

        spec = plugin_from_source(name, source, language)
        self.repository.register_session_plugin(spec)
        return spec

    def export_plugin(self, name: str, *, force: bool = False) -> Path:
        """Write a session plugin into the product's plugins/ folder."""
        from .errors import PluginError

        spec = self.repository.session_plugin(name)
        if spec is None or spec.source is None:
            raise PluginError(
                f"No plugin {name!r} defined in this session; define it with %%dataproduct plugin {name}.",
                details={"plugin": name},
            )
        from .plugins import write_plugin_file

        target = write_plugin_file(spec, self.path / self.manifest.plugins, force=force)
        self.repository.forget_session_plugin(name)
        return target
