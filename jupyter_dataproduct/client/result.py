"""A protocol result in a notebook: frames out, provenance kept, rich display."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import polars as pl

from ..core.errors import ParameterError
from ..core.result import Result as CoreResult
from . import bundle, display
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
            bundle.RESULT_MIME: self._app(),
        }

    def _app(self) -> dict[str, Any]:
        """The JupyterLab app's document: all of the result, and the code that reproduces it."""
        p = self.provenance
        history_id = p.get("history_id")
        variable = _variable(p["protocol"])
        fetch = f"%dataproduct history --result {history_id} -o {variable}\n" if history_id else ""
        rest = {name: f"{fetch}{variable}.to_polars({name!r})" for name in self.tables}
        return bundle.payload(
            "result", f"{p['protocol']}@{p['protocol_version']}", f"{p['product']}@{p['snapshot'][:12]}",
            values=json.loads(json.dumps(self.values, default=str)),
            tables=bundle.tables(self.tables, rest),
            charts=[{"name": name, "spec": spec} for name, spec in self.charts.items()],
            provenance=json.loads(json.dumps(p, default=str)),
            code=self._code(variable),
        )

    def _code(self, variable: str) -> dict[str, Any]:
        """Code the app's buttons put in the notebook; ``{name}`` stands for the artifact's name."""
        p = self.provenance
        history_id = p.get("history_id")
        words = [f"%dataproduct run {bundle.shell_word(p['protocol'])}"]
        words += [bundle.parameter_word(k, v) for k, v in p["parameters"].items()]
        words += [f"--snapshot {p['snapshot'][:12]}", f"-o {variable}"]
        may = self._product.may_run_and_save  # a reader's buttons would only meet a refusal
        saves = []
        if history_id and may:
            saves.append({"label": f"the result of {p['protocol']}",
                          "code": f"%dataproduct history --save {history_id} {bundle.NAME_PLACEHOLDER}"})
        for name, value in p["parameters"].items():
            if may and isinstance(value, dict) and value.get("text") and value.get("entity"):
                saves.append({"label": f"the cohort {name}: {value['text']}", "code":
                              f"%dataproduct save --cohort {bundle.shell_word(value['text'])} "
                              f"--entity {bundle.shell_word(value['entity'])} {bundle.NAME_PLACEHOLDER}"})
        form = {k: (v.get("text") or v["tree"]) if isinstance(v, dict) and "tree" in v else v
                for k, v in p["parameters"].items()}
        return {
            "reproduce": " ".join(words),
            "rerun": f"%dataproduct history --rerun {history_id}" if history_id and may else None,
            "save": saves,
            "open": {"product": p["product"], "protocol": p["protocol"], "parameters": form},
        }

    def display_bundles(self) -> list[dict[str, Any]]:
        """What a notebook shows: the card, then one bundle per chart (never mixed with HTML).

        The card carries the JupyterLab app, which draws the charts; there the chart outputs
        show nothing (their :data:`bundle.CHART_MIME` entry), elsewhere they show the chart.
        """
        owner = self.provenance.get("history_id") or repr(self)
        charts = []
        for name, spec in self.charts.items():
            chart = display.chart_bundle(spec)
            chart[bundle.CHART_MIME] = bundle.chart_marker(name, owner)
            charts.append(chart)
        return [self._card(), *charts]

    def _ipython_display_(self) -> None:
        from IPython.display import display as show

        for output in self.display_bundles():
            show(output, raw=True)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The card alone, for callers that take one bundle; the charts are in ``display_bundles()``."""
        return self._card()


def _variable(protocol: str) -> str:
    """A Python name for a result of ``protocol``: ``<protocol>_result``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", protocol)
    return f"_{name}_result" if name[:1].isdigit() else f"{name}_result"
