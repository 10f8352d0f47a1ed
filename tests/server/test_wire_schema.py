"""Tables sent as JSON rows carry their column types (clients without Arrow, like R, read them)."""

import datetime as dt

import polars as pl

from jupyter_dataproduct.contract.wire import decode_table, encode_table


def test_json_tables_carry_each_columns_type_and_category_levels():
    frame = pl.DataFrame({
        "n": [1, 2], "x": [0.5, None], "arm": pl.Series(["ddI", "ZDV"], dtype=pl.Enum(["ZDV", "ddI"])),
        "seen": [dt.date(2020, 1, 1), None], "ok": [True, False], "note": ["a", None],
    })
    payload = encode_table(frame, "json")
    assert payload["schema"] == {
        "n": {"type": "int"}, "x": {"type": "float"}, "arm": {"type": "category", "levels": ["ZDV", "ddI"]},
        "seen": {"type": "date"}, "ok": {"type": "bool"}, "note": {"type": "string"},
    }
    assert decode_table(payload).columns == frame.columns  # the schema does not disturb Python clients


def test_arrow_tables_need_no_schema():
    assert "schema" not in encode_table(pl.DataFrame({"n": [1]}))
