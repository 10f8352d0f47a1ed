"""HTML cards and chart bundles: what a notebook frontend is given to show."""

from __future__ import annotations

import re

import polars as pl

from jupyter_dataproduct.client import display
from jupyter_dataproduct.client.options import options

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "title": "Ages",
    "data": {"values": [{"age": 30}, {"age": 41}]},
    "mark": "bar",
    "encoding": {"x": {"field": "age", "type": "quantitative"}, "y": {"aggregate": "count"}},
}


def cells(html: str) -> list[tuple[str, str]]:
    """(class attribute, text) of every header and body cell."""
    return re.findall(r"<t[hd](?: class='([^']*)')?>([^<]*)</t[hd]>", html)


def test_text_columns_align_left_and_numbers_right():
    html = display.table([{"name": "ZDV", "n": 532, "mean": 35.2, "flag": True}, {"name": None, "n": 2, "mean": None, "flag": False}])
    found = dict((text, cls) for cls, text in cells(html))
    assert found["name"] == "" and found["ZDV"] == ""  # text: the card's left alignment
    assert found["n"] == "dp-num" and found["532"] == "dp-num" and found["35.2"] == "dp-num"
    assert found["flag"] == "" and found["True"] == ""  # booleans are not numbers
    # The rule must outrank JupyterLab's `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`
    # (specificity 0,2,1), which right-aligns every cell.
    assert ".dp-card table.dp-table td{" in display.STYLE.replace(",.dp-card table.dp-table th", "")


def test_a_wide_table_scrolls_inside_its_card():
    wide = pl.DataFrame({f"column_{i:02d}": [i * 1000.5] for i in range(20)})
    html = display.frame_table(wide, max_rows=10)
    assert html.startswith("<div class='dp-scroll'><table")
    assert ".dp-scroll{overflow-x:auto" in display.STYLE
    assert "1 rows x 20 columns" in html


def test_a_chart_bundle_has_no_html_and_an_svg_copy():
    bundle = display.chart_bundle(SPEC)
    assert bundle[display.VEGALITE_MIME] is SPEC and bundle["text/plain"] == "<Chart: Ages>"
    assert "text/html" not in bundle
    assert bundle["image/svg+xml"].lstrip().startswith("<svg")  # vl-convert drew it


def test_the_svg_copy_can_be_switched_off():
    options.chart_svg = False
    try:
        assert sorted(display.chart_bundle(SPEC)) == [display.VEGALITE_MIME, "text/plain"]
    finally:
        options.chart_svg = True
