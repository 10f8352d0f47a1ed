"""Building blocks of the rich displays of client objects: escaped, self-contained HTML cards
and one display bundle per chart.

A chart never shares a bundle with HTML: frontends show only the one mimetype they rank
highest, and JupyterLab ranks HTML above Vega-Lite, so a card with its chart in one bundle
shows no chart. :func:`chart_bundle` is the one place that lists a chart's mimetypes.
"""

from __future__ import annotations

import html
import json
from typing import Any, Iterable

import polars as pl

VEGALITE_MIME = "application/vnd.vegalite.v5+json"
LONG_CELL = 60  # characters of HTML after which a text cell wraps

STYLE = (
    "<style>.dp-card{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;border:1px solid "
    "var(--jp-border-color2,#ddd);border-radius:6px;padding:8px 12px;margin:4px 0;max-width:1100px}"
    ".dp-card h4{margin:2px 0 6px 0}.dp-muted{color:var(--jp-ui-font-color2,#666)}"
    # table.dp-table outranks JupyterLab's `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`
    # (which right-aligns every cell): text left, numbers right.
    ".dp-scroll{overflow-x:auto;max-width:100%}"
    ".dp-card table.dp-table{border-collapse:collapse;margin:4px 0;table-layout:auto}"
    ".dp-card table.dp-table td,.dp-card table.dp-table th{padding:2px 8px;white-space:nowrap;"
    "border-bottom:1px solid var(--jp-border-color3,#eee);text-align:left;vertical-align:top}"
    ".dp-card table.dp-table td.dp-num,.dp-card table.dp-table th.dp-num{text-align:right;"
    "font-variant-numeric:tabular-nums}"
    ".dp-card table.dp-table td.dp-long{white-space:normal;min-width:18em;max-width:36em;overflow-wrap:anywhere}"
    ".dp-tag{background:var(--jp-layout-color2,#eef);border-radius:3px;padding:0 4px;margin-right:3px}</style>"
)


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def card(title: str, subtitle: str, *sections: str) -> str:
    return (
        f"{STYLE}<div class='dp-card'><h4>{escape(title)}</h4>"
        + (f"<div class='dp-muted'>{escape(subtitle)}</div>" if subtitle else "")
        + "".join(sections)
        + "</div>"
    )


def table(rows: Iterable[dict[str, Any]], columns: list[str] | None = None) -> str:
    """An HTML table (text left, numbers right) that scrolls sideways when it is wide."""
    rows = list(rows)
    if not rows:
        return "<div class='dp-muted'>(none)</div>"
    columns = columns or list(rows[0])
    numeric = {c for c in columns if _is_numeric(r.get(c) for r in rows)}
    align = {c: " class='dp-num'" if c in numeric else "" for c in columns}
    head = "".join(f"<th{align[c]}>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_td(r.get(c), align[c]) for c in columns) + "</tr>" for r in rows)
    return f"<div class='dp-scroll'><table class='dp-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def frame_table(frame: pl.DataFrame, max_rows: int) -> str:
    shown = frame.head(max_rows)
    note = (
        f"<div class='dp-muted'>{frame.height:,} rows x {frame.width} columns"
        + (f"; first {max_rows} shown" if frame.height > max_rows else "")
        + "</div>"
    )
    return table(shown.to_dicts(), shown.columns) + note


def section(title: str, body: str) -> str:
    return f"<div style='margin-top:6px'><b>{escape(title)}</b>{body}</div>"


def tags(values: Iterable[str]) -> str:
    return "".join(f"<span class='dp-tag'>{escape(v)}</span>" for v in values)


def parameter_text(value: Any) -> str:
    """A bound parameter as a person writes it (a cohort by its text, not its tree)."""
    if isinstance(value, dict) and "tree" in value:
        from ..core.cohort import tree_to_text

        return value.get("text") or tree_to_text(value["tree"]) or "(everyone)"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def parameters_text(parameters: dict[str, Any]) -> str:
    """``name=value`` pairs of bound parameters, for one table cell."""
    return ", ".join(f"{k}={parameter_text(v)}" for k, v in parameters.items())


def chart_bundle(spec: dict[str, Any]) -> dict[str, Any]:
    """The display bundle of one Vega-Lite chart: the spec, a text line, and an SVG picture
    when ``options.chart_svg`` is on and vl-convert is installed (for nbconvert HTML and
    other viewers without a Vega renderer; JupyterLab ranks Vega-Lite above SVG)."""
    bundle: dict[str, Any] = {VEGALITE_MIME: spec, "text/plain": f"<Chart: {_chart_title(spec)}>"}
    svg = _svg(spec)
    if svg is not None:
        bundle["image/svg+xml"] = svg
    return bundle


def _svg(spec: dict[str, Any]) -> str | None:
    from .options import options

    if not options.chart_svg:
        return None
    try:
        import vl_convert
    except ImportError:  # optional: the notebook extra installs it
        return None
    try:
        return vl_convert.vegalite_to_svg(spec)
    except Exception:  # a spec vl-convert cannot draw still shows in Vega-Lite frontends
        return None


def _chart_title(spec: dict[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title or spec.get("description") or "Vega-Lite chart")


def _is_numeric(values: Iterable[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)


def _td(value: Any, align: str) -> str:
    text = _cell(value)
    # Short cells stay on one line (the table scrolls sideways); long ones wrap in a column
    # of readable width instead of stretching the table.
    if len(text) > LONG_CELL and not align:
        align = " class='dp-long'"
    return f"<td{align}>{text}</td>"


def _cell(value: Any) -> str:
    if value is None:
        return "<span class='dp-muted'>null</span>"
    if isinstance(value, float):
        return escape(f"{value:.4g}")
    if isinstance(value, (dict, list)):
        return "<code>" + escape(json.dumps(value, default=str)[:200]) + "</code>"
    return escape(value)
