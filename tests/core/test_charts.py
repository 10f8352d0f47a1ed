"""Vega-Lite charts carry JSON-ready data: no NaN, dates as ISO text, bounded size."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from jupyter_dataproduct.core.charts import MAX_STEPS, SCHEMA, bar_chart, kaplan_meier_chart


def test_nan_becomes_null_and_dates_become_iso_text():
    table = pl.DataFrame({
        "day": [dt.date(2024, 1, 5), dt.date(2024, 2, 1)],
        "at": [dt.datetime(2024, 1, 5, 10, 30), dt.datetime(2024, 2, 1)],
        "value": [1.5, float("nan")],
    })
    chart = bar_chart(table, x="day", y="value", title="t")
    assert chart["$schema"] == SCHEMA and chart["title"] == "t"
    rows = chart["data"]["values"]
    assert rows[0]["day"] == "2024-01-05" and rows[0]["at"].startswith("2024-01-05T10:30:00")
    assert rows[1]["value"] is None
    json.dumps(chart, allow_nan=False)  # strict JSON, as browsers parse it


def test_a_long_curve_is_thinned_to_what_a_chart_can_show():
    n = 5 * MAX_STEPS
    curve = pl.DataFrame({
        "group": ["a"] * n + ["b"] * 3, "time": [float(t) for t in range(n)] + [1.0, 2.0, 3.0],
        "survival": [1 - t / n for t in range(n)] + [0.9, 0.8, 0.7],
        "lower": [0.4] * n + [0.6] * 3, "upper": [0.6] * n + [0.9] * 3, "n_censor": [1] * n + [0, 2, 0],
    })
    points = pl.DataFrame(kaplan_meier_chart(curve)["data"]["values"])
    a, b = points.filter(pl.col("group") == "a"), points.filter(pl.col("group") == "b")
    assert a.height <= MAX_STEPS + 1
    # b's three steps lie within one bin of the shared time axis: drawn as the bin's last step.
    assert b.rows(named=True)[-1] == {"group": "b", "time": 3.0, "survival": 0.7, "lower": 0.6, "upper": 0.9, "n_censor": 2}
    assert a.row(0, named=True) == {"group": "a", "time": 0.0, "survival": 1.0, "lower": 1.0, "upper": 1.0, "n_censor": 0}
    assert a["time"].max() == n - 1 and a["survival"].min() == 1 - (n - 1) / n  # the curve still ends where it ends
    assert a["n_censor"].sum() == n  # every censoring is still marked, summed per step
