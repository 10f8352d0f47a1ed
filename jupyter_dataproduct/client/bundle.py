"""The app bundle: what the JupyterLab renderer of this project reads from a result or a frame.

One JSON document under :data:`RESULT_MIME` (versioned in its name and its ``version``
field): a title, the values, every table as Arrow IPC (base64) over all its rows up to a
bound, every chart's Vega-Lite spec, the provenance, and the code that reproduces, re-runs
and saves it. Front ends without the renderer keep showing the HTML card and the chart
outputs beside it (see :mod:`.display`).

Each chart of a result is also a display output of its own (Vega-Lite and SVG, for
nbconvert and other front ends). In JupyterLab the result's renderer draws the charts, so
those outputs carry :data:`CHART_MIME`, which the renderer shows as nothing: each chart is
drawn once.
"""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import polars as pl

RESULT_MIME = "application/vnd.dataproduct.result.v1+json"
CHART_MIME = "application/vnd.dataproduct.chart.v1+json"
VERSION = 1
SAFE_WORD = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")
NAME_PLACEHOLDER = "{name}"


def shell_word(text: str) -> str:
    """Quote one word for the magic's ``shlex.split``, as readably as possible."""
    if text and SAFE_WORD.match(text):
        return text
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def arrow_table(name: str, frame: pl.DataFrame, *, max_rows: int, max_bytes: int,
                rest: str) -> dict[str, Any]:
    """One table of the bundle: Arrow IPC of all rows, or of the first rows that fit the bounds.

    ``rest`` is the code that gets every row (shown when the table is cut).
    """
    frame = _arrow_ready(frame)
    rows = min(frame.height, max(max_rows, 0))
    data = _ipc(frame.head(rows))
    while len(data) > max_bytes and rows > 0:
        # Shrink in proportion to the overshoot (rows are roughly the same size), at least by one.
        rows = min(rows - 1, int(rows * max_bytes / len(data) * 0.95))
        data = _ipc(frame.head(max(rows, 0)))
    return {
        "name": name,
        "arrow": base64.b64encode(data).decode("ascii"),
        "rows": frame.height,
        "included": max(rows, 0),
        "columns": frame.columns,
        "rest": rest if rows < frame.height else None,
    }


def tables(frames: dict[str, pl.DataFrame], rest: dict[str, str]) -> list[dict[str, Any]]:
    """The bundle's tables, bounded by the client options."""
    from .options import options

    return [
        arrow_table(name, frame, max_rows=options.bundle_max_rows, max_bytes=options.bundle_max_bytes,
                    rest=rest[name])
        for name, frame in frames.items()
    ]


def payload(kind: str, title: str, subtitle: str, **parts: Any) -> dict[str, Any]:
    """The JSON document under :data:`RESULT_MIME` (``parts``: values, tables, charts, provenance, code)."""
    return {"version": VERSION, "kind": kind, "title": title, "subtitle": subtitle,
            "values": {}, "tables": [], "charts": [], "provenance": {}, "code": {}, **parts}


def chart_marker(chart: str, owner: str) -> dict[str, Any]:
    """The :data:`CHART_MIME` entry of a chart output: which result draws it in JupyterLab."""
    return {"version": VERSION, "chart": chart, "result": owner}


def parameter_word(name: str, value: Any) -> str:
    """One ``key=value`` (``key:=JSON`` for lists and cohort trees without text) of a run line."""
    if isinstance(value, dict) and "tree" in value:
        text = value.get("text")
        return f"{name}={shell_word(text)}" if text else f"{name}:={shell_word(json.dumps(value['tree']))}"
    if isinstance(value, str):
        return f"{name}={shell_word(value)}"
    if isinstance(value, bool):
        return f"{name}={'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"{name}={value!r}"
    return f"{name}:={shell_word(json.dumps(value, default=str))}"


def _arrow_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Enums and categoricals as text, objects dropped: types every Arrow reader knows."""
    categorical = [n for n, t in frame.schema.items() if isinstance(t, (pl.Enum, pl.Categorical))]
    casts = [pl.col(n).cast(pl.String) for n in categorical]
    objects = [n for n, t in frame.schema.items() if t == pl.Object]
    return frame.drop(objects).with_columns(casts) if casts or objects else frame


def _ipc(frame: pl.DataFrame) -> bytes:
    """Arrow IPC stream bytes with the oldest layouts (large strings, no views) for apache-arrow JS."""
    import pyarrow as pa  # loads only when a table is displayed (%load_ext stays light)

    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()
