"""HTML building blocks for the rich displays of client objects (escaped, self-contained)."""

from __future__ import annotations

import html
import json
from typing import Any, Iterable

import polars as pl

VEGALITE_MIME = "application/vnd.vegalite.v5+json"

STYLE = (
    "<style>.dp-card{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;border:1px solid "
    "var(--jp-border-color2,#ddd);border-radius:6px;padding:8px 12px;margin:4px 0;max-width:1100px}"
    ".dp-card h4{margin:2px 0 6px 0}.dp-muted{color:var(--jp-ui-font-color2,#666)}"
    ".dp-card table{border-collapse:collapse;margin:4px 0}.dp-card td,.dp-card th{padding:2px 8px;"
    "border-bottom:1px solid var(--jp-border-color3,#eee);text-align:left;vertical-align:top}"
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
    rows = list(rows)
    if not rows:
        return "<div class='dp-muted'>(none)</div>"
    columns = columns or list(rows[0])
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


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


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return escape(f"{value:.4g}")
    if isinstance(value, (dict, list)):
        return "<code>" + escape(json.dumps(value, default=str)[:200]) + "</code>"
    return escape(value)
