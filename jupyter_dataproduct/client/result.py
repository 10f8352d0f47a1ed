"""A protocol result in a notebook: frames out, provenance kept, rich display."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import polars as pl

from ..core.errors import ParameterError
from ..core.result import Result as CoreResult
from . import display
from .options import as_frame, options

if TYPE_CHECKING:  # pyarrow loads only when a frame needs it (%load_ext stays light)
    import pyarrow as pa

    from .product import DataProduct


class Result:
    """What a protocol returned: ``tables``, ``values``, ``charts`` and ``provenance``."""

    def __init__(self, core: CoreResult, product: "DataProduct") -> None:
        self._core = core
        self._product = product

    @property
    def provenance(self) -> dict[str, Any]:
        return self._core.provenance

    @property
    def tables(self) -> dict[str, pl.DataFrame]:
        return self._core.tables

    @property
    def values(self) -> dict[str, Any]:
        return self._core.values

    @property
    def charts(self) -> dict[str, dict[str, Any]]:
        return self._core.charts

    @property
    def snapshot(self) -> str:
        return self.provenance["snapshot"]

    def _table(self, name: str | None) -> pl.DataFrame:
        if not self.tables:
            raise ParameterError("This result has no table.")
        if name is None:
            return next(iter(self.tables.values()))
        if name not in self.tables:
            raise ParameterError(f"No table {name!r}; tables: {', '.join(self.tables)}")
        return self.tables[name]

    def to_polars(self, table: str | None = None) -> pl.DataFrame:
        return self._table(table)

    def to_pandas(self, table: str | None = None) -> Any:
        return self._table(table).to_pandas()

    def to_arrow(self, table: str | None = None) -> pa.Table:
        return self._table(table).to_arrow()

    def frame(self, table: str | None = None) -> Any:
        """A table as the configured frame library (polars or pandas)."""
        return as_frame(self._table(table))

    def save(self, name: str, *, overwrite: bool = False) -> Any:
        """Save this result as an artifact (with its provenance)."""
        return self._product.save(self, name, overwrite=overwrite)

    def rerun(self) -> "Result":
        """Run exactly this provenance again."""
        return self._product.rerun(self.provenance)

    def __getitem__(self, name: str) -> Any:
        if name in self.tables:
            return as_frame(self.tables[name])
        if name in self.values:
            return self.values[name]
        if name in self.charts:
            return self.charts[name]
        raise KeyError(f"No output {name!r}; outputs: {', '.join([*self.tables, *self.values, *self.charts])}")

    def _ipython_key_completions_(self) -> list[str]:
        return [*self.tables, *self.values, *self.charts]

    def __repr__(self) -> str:
        p = self.provenance
        parts = [f"{n}: {t.height:,} rows" for n, t in self.tables.items()]
        parts += [f"{n}={v!r}" for n, v in self.values.items()]
        return f"<Result {p['protocol']}@{p['protocol_version']} on {p['product']}@{p['snapshot'][:12]}: {'; '.join(parts)}>"

    def _card(self) -> dict[str, Any]:
        """The result's card: values, tables (first rows) and provenance, as HTML and text."""
        p = self.provenance
        sections = []
        if self.values:
            sections.append(display.section("Values", display.table([{"name": k, "value": v} for k, v in self.values.items()])))
        for name, frame in self.tables.items():
            sections.append(display.section(name, display.frame_table(frame, options.display_max_rows)))
        if self.charts:
            sections.append(f"<div class='dp-muted'>charts: {display.escape(', '.join(self.charts))}</div>")
        params = [{"parameter": k, "value": display.parameter_text(v)} for k, v in p["parameters"].items()]
        sections.append(
            "<details><summary class='dp-muted'>Provenance</summary>"
            + display.table(params) + f"<pre class='dp-muted'>{display.escape(json.dumps(p, indent=1, default=str))}</pre></details>"
        )
        return {
            "text/plain": repr(self),
            "text/html": display.card(
                f"{p['protocol']}@{p['protocol_version']}", f"{p['product']}@{p['snapshot'][:12]}", *sections
            ),
        }

    def display_bundles(self) -> list[dict[str, Any]]:
        """What a notebook shows: the card, then one bundle per chart (never mixed with HTML)."""
        return [self._card(), *(display.chart_bundle(chart) for chart in self.charts.values())]

    def _ipython_display_(self) -> None:
        from IPython.display import display as show

        for bundle in self.display_bundles():
            show(bundle, raw=True)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The card alone, for callers that take one bundle; the charts are in ``display_bundles()``."""
        return self._card()
