"""Which engine runs a product's protocols: polars (the default) or Spark.

An engine is named by one string, from (first found) an argument, the
``DATAPRODUCT_ENGINE`` environment variable, or the manifest's ``engine:`` block:

- ``polars``: in process (the default);
- ``spark-local[N]`` (or ``spark-local[*]``): a local Spark with N worker threads;
- ``sc://host:port``: a Spark Connect server (the notebook needs no Java).

The manifest block may set a size threshold: ``engine: {name: "sc://...", min_rows: 50000000}``
uses Spark only when the snapshot's largest entity has at least that many rows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import EngineError

if TYPE_CHECKING:
    from .reducers import Backend

ENVIRONMENT_VARIABLE = "DATAPRODUCT_ENGINE"
POLARS = "polars"
_LOCAL = re.compile(r"^spark-local\[(\d+|\*)\]\Z")
_CONNECT = re.compile(r"^sc://[A-Za-z0-9.\-]+(:\d{1,5})?(/.*)?\Z")


@dataclass(frozen=True)
class EngineChoice:
    """A parsed engine name: ``kind`` is ``polars`` or ``spark``; ``master`` is Spark's."""

    name: str
    kind: str
    master: str | None = None

    @property
    def is_spark(self) -> bool:
        return self.kind == "spark"


def parse_engine(name: str) -> EngineChoice:
    """Parse an engine name; a clear error lists what is allowed."""
    text = str(name).strip()
    if text == POLARS:
        return EngineChoice(text, POLARS)
    local = _LOCAL.match(text)
    if local:
        return EngineChoice(text, "spark", f"local[{local.group(1)}]")
    if _CONNECT.match(text):
        return EngineChoice(text, "spark", text)
    raise EngineError(
        f"Unknown engine {name!r}: use 'polars', 'spark-local[N]' (N threads, or *) or "
        "'sc://host:port' (a Spark Connect server).",
        details={"engine": name, "allowed": ["polars", "spark-local[N]", "sc://host:port"]},
    )


def choose_engine(
    argument: str | None = None,
    manifest_block: Mapping[str, Any] | None = None,
    rows: Mapping[str, int] | None = None,
    environ: Mapping[str, str] | None = None,
) -> EngineChoice:
    """The engine for one run: the argument, else the environment, else the manifest's block
    (when the snapshot reaches its ``min_rows``), else polars."""
    environ = os.environ if environ is None else environ
    if argument:
        return parse_engine(argument)
    if environ.get(ENVIRONMENT_VARIABLE):
        return parse_engine(environ[ENVIRONMENT_VARIABLE])
    if manifest_block:
        choice = parse_engine(manifest_block.get("name", POLARS))
        threshold = int(manifest_block.get("min_rows", 0))
        largest = max((rows or {}).values(), default=0)
        if largest >= threshold:
            return choice
    return EngineChoice(POLARS, POLARS)


def backend_for(choice: EngineChoice) -> "Backend":
    """The backend that runs ``choice`` (pyspark is imported only for a Spark engine)."""
    if not choice.is_spark:
        from .polars_backend import PolarsBackend

        return PolarsBackend()
    from .spark_backend import SparkBackend

    return SparkBackend(choice)


def engine_provenance(backend: "Backend") -> dict[str, str]:
    """What a result's provenance says about the engine: ``{"name": "spark", "version": "4.1.0"}``."""
    return {"name": backend.name, "version": backend.version()}
