"""Plugins: Python (and R) functions that protocol steps call.

A Python plugin is a function in ``plugins/*.py`` marked with :func:`plugin`::

    import polars as pl
    from jupyter_dataproduct import plugin

    @plugin(title="CD4 response")
    def cd4_response(cohort: pl.LazyFrame, threshold: int = 50) -> pl.DataFrame:
        ...

Type hints decide what a plugin receives for a cohort argument: ``Cohort`` (the filter
itself), ``pl.LazyFrame`` (the cohort's rows, lazily) or ``pl.DataFrame`` (collected).
A first parameter named ``ctx`` receives the :class:`PluginContext` (snapshot, model,
entity frames). A plugin returns a frame, a scalar, a Vega-Lite chart, or a dict of them.

The built-in algorithms (``frame``, ``summary``, ``compare_cohorts``, ``survival``) are
plugins declared exactly this way, in :mod:`.builtins`.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Literal, get_type_hints

import polars as pl

from .cohort import Cohort
from .errors import DataProductError, ParameterError, PluginError
from .model import Model
from .snapshot import Snapshot

PLUGIN_ATTRIBUTE = "__dataproduct_plugin__"


@dataclass
class PluginSpec:
    """A registered plugin: where it lives and how to call it."""

    name: str
    function: Callable[..., Any] | None
    language: Literal["python", "r"] = "python"
    title: str = ""
    description: str = ""
    file: str | None = None
    line: int | None = None
    builtin: bool = False
    parameters: list[str] = field(default_factory=list)
    source: str | None = None  # R code, or the Python cell a notebook plugin came from

    @property
    def location(self) -> str:
        if self.builtin:
            return "built-in"
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "title": self.title,
            "description": self.description,
            "file": self.file,
            "line": self.line,
            "builtin": self.builtin,
            "parameters": self.parameters,
        }


def plugin(
    name: str | Callable[..., Any] | None = None, *, title: str = "", description: str = ""
) -> Any:
    """Mark a function as a plugin. Use as ``@plugin`` or ``@plugin("name", title=...)``."""

    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        doc = inspect.getdoc(function) or ""
        setattr(
            function,
            PLUGIN_ATTRIBUTE,
            {
                "name": name if isinstance(name, str) else function.__name__,
                "title": title or doc.split("\n", 1)[0],
                "description": description or doc,
            },
        )
        return function

    if callable(name):
        return mark(name)
    return mark


def specs_in_module(module: ModuleType, *, builtin: bool = False) -> list[PluginSpec]:
    """Every function of ``module`` marked with :func:`plugin`."""
    found = []
    for value in vars(module).values():
        marks = getattr(value, PLUGIN_ATTRIBUTE, None)
        if marks is None or not callable(value):
            continue
        code = getattr(value, "__code__", None)
        found.append(
            PluginSpec(
                name=marks["name"],
                function=value,
                title=marks["title"],
                description=marks["description"],
                file=code.co_filename if code and not builtin else None,
                line=code.co_firstlineno if code and not builtin else None,
                builtin=builtin,
                parameters=[p for p in inspect.signature(value).parameters if p != "ctx"],
            )
        )
    return found


def load_python_plugins(file: Path, module_prefix: str) -> list[PluginSpec]:
    """Import one ``plugins/*.py`` file and return its plugins."""
    module_name = f"{module_prefix}.{file.stem}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise PluginError(f"Cannot load plugin file {file}.", details={"file": str(file)})
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the plugin author's code: report where it broke
        raise plugin_failure(f"Plugin file {file.name} failed to load", exc, file) from None
    sys.modules.pop(module_name, None)
    return specs_in_module(module)


def plugin_failure(prefix: str, exc: BaseException, file: Path | str | None) -> PluginError:
    """A PluginError naming the plugin file and the line in it where ``exc`` happened."""
    line = None
    if file is not None:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if Path(frame.filename) == Path(file):
                line = frame.lineno
                break
        # A syntax error happens before any frame of the file runs: its line is on the error.
        if line is None and isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename) == Path(file):
            line = exc.lineno
    where = f" ({Path(file).name}, line {line})" if file is not None and line else (f" ({Path(file).name})" if file else "")
    return PluginError(
        f"{prefix}{where}: {type(exc).__name__}: {exc}",
        details={"file": str(file) if file else None, "line": line, "exception": type(exc).__name__},
    )


class PluginContext:
    """What a plugin can reach besides its arguments: the snapshot, the model, and the engine
    (``backend``) that reduces the snapshot's rows for the built-in algorithms."""

    def __init__(self, snapshot: Snapshot, model: Model, backend: Any = None) -> None:
        from .backends.polars_backend import PolarsBackend

        self.snapshot = snapshot
        self.model = model
        self.backend = backend if backend is not None else PolarsBackend()

    def scan(self, entity: str) -> pl.LazyFrame:
        """All rows of an entity, lazily."""
        return self.snapshot.scan(entity)

    def cohort_frame(self, cohort: Cohort) -> pl.LazyFrame:
        """The rows of a cohort's entity that belong to the cohort.

        On a distributed engine the engine filters them and they come to this process, up to
        :func:`plugin_max_rows` rows (a clear error beyond)."""
        if self.backend.name != "polars":
            return self._fetched(cohort).lazy()
        rows = self.scan(cohort.entity)
        if cohort.is_everyone:  # filtering every row by "true" still costs a pass over them
            return rows
        return rows.filter(cohort.expression(self.model.entities[cohort.entity]))

    def spark_frame(self, cohort: Cohort) -> Any:
        """The cohort's rows as a Spark DataFrame (for plugins whose parameter asks for one)."""
        if not hasattr(self.backend, "cohort_rows"):
            raise PluginError(
                "This plugin takes a Spark DataFrame: run it with a Spark engine (engine='spark-local[2]' or "
                "'sc://host:port', or DATAPRODUCT_ENGINE), or declare the parameter as pl.LazyFrame.",
                details={"engine": self.backend.name},
            )
        return self.backend.cohort_rows(self.snapshot, self.model.entities[cohort.entity], cohort)

    def _fetched(self, cohort: Cohort) -> pl.DataFrame:
        entity = self.model.entities[cohort.entity]
        limit = plugin_max_rows()
        reducers = self.backend.reducers(self.snapshot, entity, {"rows": cohort}, [])
        try:
            rows = reducers.rows()["rows"]
        finally:
            reducers.release()
        if rows > limit:
            raise ParameterError(
                f"The cohort {cohort.describe() or '(everyone)'} has {rows:,} rows of {cohort.entity}; on the "
                f"{self.backend.name} engine a plugin receives at most {limit:,} rows as a polars, pandas or R "
                f"frame ({PLUGIN_MAX_ROWS_ENV}). Filter the cohort further, or declare that the plugin takes a "
                "Spark DataFrame by its type hint (`def f(rows: pyspark.sql.DataFrame)`) to receive the rows "
                "where they are.",
                details={"rows": rows, "limit": limit, "entity": cohort.entity, "engine": self.backend.name},
            )
        return self.backend.frame(self.snapshot, entity, cohort, list(entity.columns))


PLUGIN_MAX_ROWS_ENV = "DATAPRODUCT_PLUGIN_MAX_ROWS"
DEFAULT_PLUGIN_MAX_ROWS = 5_000_000


def plugin_max_rows() -> int:
    """Most rows a plugin receives in memory from a distributed engine (``DATAPRODUCT_PLUGIN_MAX_ROWS``)."""
    text = os.environ.get(PLUGIN_MAX_ROWS_ENV, "").strip()
    return int(text) if text.isdigit() else DEFAULT_PLUGIN_MAX_ROWS


def wants_spark_frame(hint: Any) -> bool:
    """A ``pyspark.sql.DataFrame`` (classic or Spark Connect) hint, known without importing pyspark."""
    return (getattr(hint, "__name__", None) == "DataFrame"
            and str(getattr(hint, "__module__", "")).startswith("pyspark.sql"))


def call_plugin(spec: PluginSpec, arguments: dict[str, Any], context: PluginContext | None) -> Any:
    """Call a Python plugin, converting cohort and frame arguments as its type hints ask.

    Without a context (a cell plugin of a remote product, given frames, not cohorts) there
    is no snapshot to hand over: such a plugin takes no ``ctx``.
    """
    function = spec.function
    assert function is not None
    signature = inspect.signature(function)
    hints = _hints(function)
    call_args: dict[str, Any] = {}
    for name, value in arguments.items():
        call_args[name] = _convert_argument(value, hints.get(name), context)
    if "ctx" in signature.parameters:
        call_args["ctx"] = context
    try:
        return function(**call_args)
    except DataProductError:
        raise
    except Exception as exc:
        raise plugin_failure(f"Plugin {spec.name!r} raised", exc, spec.file) from None


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return get_type_hints(function)
    except Exception:  # unresolvable annotations: fall back to defaults
        return {}


def _wants_cohort(hint: Any) -> bool:
    """``Cohort``, ``Cohort | None`` and ``Optional[Cohort]`` ask for the cohort itself."""
    import typing

    return hint is Cohort or Cohort in typing.get_args(hint)


def cohort_arguments(spec: PluginSpec, names: Iterable[str], model: Model) -> list[str]:
    """Which of ``names`` the plugin takes as a cohort (or a cohort's rows): by type hint
    (``Cohort``, ``pl.LazyFrame``, ``pl.DataFrame``) or, without a hint, by being named after
    an entity."""
    hints = _hints(spec.function) if inspect.isfunction(spec.function) else {}
    found = []
    for name in names:
        hint = hints.get(name)
        if (_wants_cohort(hint) or hint in (pl.LazyFrame, pl.DataFrame) or wants_spark_frame(hint)
                or (hint is None and name in model.entities)):
            found.append(name)
    return found


def _convert_argument(value: Any, hint: Any, context: PluginContext | None) -> Any:
    if isinstance(value, Cohort):
        if _wants_cohort(hint):
            return value
        assert context is not None, "a cohort needs the snapshot to become rows"
        if wants_spark_frame(hint):
            return context.spark_frame(value)
        value = context.cohort_frame(value)
    if isinstance(value, pl.LazyFrame) and hint is pl.DataFrame:
        return value.collect()
    if isinstance(value, pl.DataFrame) and hint is pl.LazyFrame:
        return value.lazy()
    return value


def check_plugin_name(name: str) -> None:
    import re

    from .errors import InvalidNameError

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise InvalidNameError(f"Plugin name {name!r} is not allowed: use lower_snake_case (it names a file).")


def plugin_from_source(name: str, source: str, language: str = "python") -> PluginSpec:
    """A plugin from a notebook cell's source, in Python or R."""
    check_plugin_name(name)
    if language == "python":
        return python_plugin_from_source(name, source)
    if language == "r":
        from .rplugins import r_plugin_from_source  # R support is optional

        return r_plugin_from_source(name, source)
    raise ParameterError(f"Plugin language {language!r} is not supported; use python or r.")


def plugin_file_text(spec: PluginSpec) -> str:
    """The file a cell plugin becomes: R as written; Python with the ``@plugin`` mark added."""
    import re

    source, name = spec.source or "", spec.name
    if spec.language != "python":
        return source
    header = []
    if "from jupyter_dataproduct import plugin" not in source:
        header.append("from jupyter_dataproduct import plugin")
    body = source
    if not re.search(rf"^@plugin.*\n(?:@.*\n)*def {name}\(", source, re.MULTILINE):
        body = re.sub(rf"^def {name}\(", f"@plugin\ndef {name}(", source, count=1, flags=re.MULTILINE)
    return ("\n".join(header) + "\n\n" if header else "") + body.rstrip() + "\n"


def write_plugin_file(spec: PluginSpec, folder: Path, *, force: bool = False) -> Path:
    """Write a cell plugin into a ``plugins/`` folder; an existing file is kept unless ``force``."""
    from .snapshot import write_atomically

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (f"{spec.name}.py" if spec.language == "python" else f"{spec.name}.R")
    if target.exists() and not force:
        raise PluginError(
            f"{target} already exists; export with --force (force=True) to overwrite it.",
            details={"file": str(target)},
        )
    write_atomically(target, plugin_file_text(spec))
    return target


def python_plugin_from_source(name: str, source: str, origin: str = "<notebook cell>") -> PluginSpec:
    """A plugin from Python source text (a notebook cell): the function called ``name``."""
    import types

    module = types.ModuleType(f"dataproduct_session_{name}")
    module.__dict__["plugin"] = plugin
    try:
        code = compile(source, origin, "exec")
        exec(code, module.__dict__)  # the author's own cell, run in their own kernel
    except Exception as exc:
        raise plugin_failure(f"Plugin cell {name!r} failed", exc, origin) from None
    function = module.__dict__.get(name)
    marked = {s.name: s for s in specs_in_module(module)}
    if name in marked:
        spec = marked[name]
    elif callable(function):
        spec = specs_in_module_function(name, function)
    else:
        defined = [k for k, v in module.__dict__.items() if callable(v) and not k.startswith("_") and k != "plugin"]
        raise PluginError(
            f"The cell defines no function {name!r}; it defines: {', '.join(defined) or 'nothing callable'}. "
            f"Name the plugin after its function: def {name}(...).",
            details={"plugin": name},
        )
    spec.file, spec.source = origin, source
    return spec


def specs_in_module_function(name: str, function: Callable[..., Any]) -> PluginSpec:
    doc = inspect.getdoc(function) or ""
    return PluginSpec(
        name=name, function=function, title=doc.split("\n", 1)[0], description=doc,
        file=None, line=function.__code__.co_firstlineno,
        parameters=[p for p in inspect.signature(function).parameters if p != "ctx"],
    )
