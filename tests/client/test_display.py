"""HTML cards and chart bundles: what a notebook frontend is given to show."""

from __future__ import annotations

import base64
import io
import json
import re

import polars as pl
import pyarrow as pa
import pytest

from jupyter_dataproduct import connect
from jupyter_dataproduct.client import bundle, display
from jupyter_dataproduct.client.frame import Frame
from jupyter_dataproduct.client.options import options
from jupyter_dataproduct.core.product import Product

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


# -- the JupyterLab app bundle: a result or a frame, all its rows as Arrow, bounded ---------


@pytest.fixture
def actg(actg_dir):
    Product.open(actg_dir).build()
    return connect(actg_dir)


def decoded(table: dict) -> pl.DataFrame:
    """What apache-arrow reads in the browser: the base64 Arrow IPC stream."""
    stream = pa.ipc.open_stream(io.BytesIO(base64.b64decode(table["arrow"])))
    return pl.from_arrow(stream.read_all())


def test_a_result_carries_the_app_mimetype_beside_its_html_card(actg):
    card, chart = actg.protocols.survival(group="arms", cohort="karnof >= 90").display_bundles()
    assert {"text/plain", "text/html", bundle.RESULT_MIME} <= set(card)
    app = card[bundle.RESULT_MIME]
    assert app["version"] == 1 and app["kind"] == "result" and app["title"] == "survival@1.0.0"
    assert [c["name"] for c in app["charts"]] == ["km_chart"]
    assert app["charts"][0]["spec"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    # The chart's own output stays (Vega-Lite, SVG) and says which result draws it in JupyterLab.
    assert chart[bundle.CHART_MIME] == {"version": 1, "chart": "km_chart", "result": app["provenance"]["history_id"]}
    assert display.VEGALITE_MIME in chart and "image/svg+xml" in chart
    assert json.loads(json.dumps(app)) == app  # plain JSON, as the notebook saves it


def test_every_table_decodes_to_the_same_frame(actg):
    result = actg.protocols.survival(group="arms")
    app = result._repr_mimebundle_()[bundle.RESULT_MIME]
    assert [t["name"] for t in app["tables"]] == list(result.tables)
    for table in app["tables"]:
        frame = result.tables[table["name"]]
        assert table["rows"] == table["included"] == frame.height and table["rest"] is None
        # Same values; enums arrive as text (every Arrow reader knows strings).
        assert decoded(table).equals(frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String)))


def test_provenance_and_code_of_a_result(actg):
    result = actg.protocols.survival(group="arms", cohort="karnof >= 90")
    app = result._repr_mimebundle_()[bundle.RESULT_MIME]
    p = app["provenance"]
    assert {"product", "snapshot", "protocol", "protocol_version", "parameters", "history_id"} <= set(p)
    assert p["snapshot"] == result.snapshot and p["history_id"] == result.provenance["history_id"]
    assert p["parameters"]["cohort"]["text"] == "karnof >= 90"
    code = app["code"]
    assert code["reproduce"] == (f"%dataproduct run survival group=arms cohort='karnof >= 90' "
                                 f"--snapshot {result.snapshot[:12]} -o survival_result")
    assert code["rerun"] == f"%dataproduct history --rerun {p['history_id']}"
    assert [s["code"] for s in code["save"]] == [
        f"%dataproduct history --save {p['history_id']} {{name}}",
        "%dataproduct save --cohort 'karnof >= 90' --entity patients {name}",
    ]
    assert code["open"] == {"product": "actg175", "protocol": "survival",
                            "parameters": {"group": "arms", "cohort": "karnof >= 90"}}


def test_a_frame_is_polars_with_provenance_and_the_app_bundle(actg):
    frame = actg.frame("patients", where="gender == 'female'", columns="pidnum,age,arms")
    assert isinstance(frame, Frame) and isinstance(frame, pl.DataFrame)
    assert type(frame.filter(pl.col("age") > 40)) is pl.DataFrame  # polars' own API, polars' own frames
    bundle_ = frame._repr_mimebundle_()
    assert "<table" in bundle_["text/html"]  # polars' HTML for other front ends
    app = bundle_[bundle.RESULT_MIME]
    assert app["kind"] == "frame" and app["provenance"] == {
        "product": "actg175", "snapshot": actg.snapshot().id, "entity": "patients",
        "where": "gender == 'female'", "columns": ["pidnum", "age", "arms"], "limit": None}
    assert decoded(app["tables"][0]).equals(frame.with_columns(pl.col("arms").cast(pl.String)))
    assert app["code"]["reproduce"] == (
        f"%dataproduct frame patients --where \"gender == 'female'\" --columns pidnum,age,arms "
        f"--snapshot {actg.snapshot().id[:12]} -o patients_frame")
    assert app["code"]["save"][0]["code"] == "%dataproduct save --cohort \"gender == 'female'\" --entity patients {name}"


@pytest.mark.parametrize("bound", ["rows", "bytes"])
def test_a_big_table_carries_its_first_rows_and_says_how_to_get_the_rest(actg, bound, monkeypatch):
    frame = actg.frame("labs")
    assert frame.height == 9_898
    if bound == "rows":
        monkeypatch.setattr(options, "bundle_max_rows", 1_000)
    else:
        monkeypatch.setattr(options, "bundle_max_bytes", 20_000)
    table = frame._repr_mimebundle_()[bundle.RESULT_MIME]["tables"][0]
    assert table["rows"] == 9_898 and 0 < table["included"] < 9_898
    if bound == "rows":
        assert table["included"] == 1_000
    else:
        assert len(base64.b64decode(table["arrow"])) <= 20_000 and table["included"] > 100
    assert decoded(table).equals(frame.head(table["included"]).with_columns(pl.col("marker").cast(pl.String)))
    assert table["rest"].startswith("%dataproduct frame labs --snapshot ")


def test_all_rows_go_under_the_default_bounds(actg):
    table = actg.frame("labs")._repr_mimebundle_()[bundle.RESULT_MIME]["tables"][0]
    assert table["included"] == table["rows"] == 9_898 and table["rest"] is None
