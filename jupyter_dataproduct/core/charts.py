"""Vega-Lite chart specs (v5) built from result tables.

Charts carry their data inline, so a notebook, the sidebar or a saved artifact can render
them without reaching the snapshot. Aggregation (binning, quantiles) happens in polars
first, so a chart of ten million rows is still a few kilobytes.
"""

from __future__ import annotations

from typing import Any

import polars as pl

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MAX_POINTS = 5_000


def _spec(title: str, data: pl.DataFrame, **body: Any) -> dict[str, Any]:
    rows = _json_ready(data.head(MAX_POINTS)).to_dicts()
    spec: dict[str, Any] = {"$schema": SCHEMA, "data": {"values": rows}, "width": 480}
    if title:
        spec["title"] = title
    spec.update(body)
    return spec


def _json_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """NaN as null and dates as ISO text, done by polars (a Python loop over every value
    cost more than the analysis behind a small chart)."""
    fixes = []
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            fixes.append(pl.col(name).fill_nan(None))
        elif dtype == pl.Date:
            fixes.append(pl.col(name).dt.to_string("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            fixes.append(pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S%.f"))
    return frame.with_columns(fixes) if fixes else frame


def _field_type(frame: pl.DataFrame, column: str) -> str:
    dtype = frame.schema[column]
    if dtype.is_numeric():
        return "quantitative"
    if dtype in (pl.Date, pl.Datetime):
        return "temporal"
    return "nominal"


def bar_chart(
    table: pl.DataFrame, x: str, y: str, color: str | None = None, title: str = "", sort: str | None = None
) -> dict[str, Any]:
    encoding: dict[str, Any] = {
        "x": {"field": x, "type": _field_type(table, x), "sort": sort},
        "y": {"field": y, "type": _field_type(table, y)},
        "tooltip": [{"field": c, "type": _field_type(table, c)} for c in table.columns[:8]],
    }
    if color:
        encoding["color"] = {"field": color, "type": _field_type(table, color)}
    return _spec(title, table, mark={"type": "bar"}, encoding=encoding)


def histogram_chart(
    table: pl.DataFrame, column: str, bins: int = 30, color: str | None = None, title: str = ""
) -> dict[str, Any]:
    values = table.select(pl.col(column).cast(pl.Float64)).drop_nulls()
    if values.height == 0:
        binned = pl.DataFrame({"bin_start": [], "bin_end": [], "count": []})
    else:
        low, high = values.select(pl.col(column).min().alias("low"), pl.col(column).max().alias("high")).row(0)
        width = (high - low) / bins if high > low else 1.0
        groups = [color] if color else []
        binned = (
            table.lazy()
            .filter(pl.col(column).is_not_null())
            .with_columns(
                ((pl.col(column).cast(pl.Float64) - low) / width).floor().clip(0, bins - 1).alias("_bin")
            )
            .group_by(["_bin", *groups])
            .agg(pl.len().alias("count"))
            .with_columns(
                (pl.col("_bin") * width + low).alias("bin_start"),
                ((pl.col("_bin") + 1) * width + low).alias("bin_end"),
            )
            .sort(["_bin", *groups])
            .drop("_bin")
            .collect()
        )
    encoding: dict[str, Any] = {
        "x": {"field": "bin_start", "type": "quantitative", "bin": {"binned": True}, "title": column},
        "x2": {"field": "bin_end"},
        "y": {"field": "count", "type": "quantitative", "stack": None if color else "zero"},
    }
    if color:
        encoding["color"] = {"field": color, "type": "nominal"}
        encoding["opacity"] = {"value": 0.6}
    return _spec(title or f"Distribution of {column}", binned, mark={"type": "bar"}, encoding=encoding)


def box_chart(table: pl.DataFrame, x: str, y: str, title: str = "") -> dict[str, Any]:
    """Box plot from precomputed quartiles per group (1.5 IQR whiskers, clipped to data)."""
    stats = (
        table.lazy()
        .filter(pl.col(y).is_not_null())
        .group_by(x)
        .agg(
            pl.col(y).min().alias("min"),
            pl.col(y).quantile(0.25, "linear").alias("q1"),
            pl.col(y).median().alias("median"),
            pl.col(y).quantile(0.75, "linear").alias("q3"),
            pl.col(y).max().alias("max"),
        )
        .with_columns(
            pl.max_horizontal(pl.col("min"), pl.col("q1") - 1.5 * (pl.col("q3") - pl.col("q1"))).alias("lower"),
            pl.min_horizontal(pl.col("max"), pl.col("q3") + 1.5 * (pl.col("q3") - pl.col("q1"))).alias("upper"),
        )
        .sort(x)
        .collect()
    )
    x_enc = {"field": x, "type": "nominal"}
    return _spec(
        title or f"{y} by {x}",
        stats,
        layer=[
            {"mark": {"type": "rule"}, "encoding": {"x": x_enc, "y": {"field": "lower", "type": "quantitative", "title": y}, "y2": {"field": "upper"}}},
            {"mark": {"type": "bar", "size": 28}, "encoding": {"x": x_enc, "y": {"field": "q1", "type": "quantitative"}, "y2": {"field": "q3"}, "color": {"field": x, "type": "nominal"}}},
            {"mark": {"type": "tick", "color": "white", "size": 28}, "encoding": {"x": x_enc, "y": {"field": "median", "type": "quantitative"}}},
        ],
    )


MAX_STEPS = 500  # per curve: more steps than a chart has pixels add bytes, not detail


def _thinned_steps(steps: pl.DataFrame, groups: list[str]) -> pl.DataFrame:
    """At most MAX_STEPS steps per curve: within each time bin, the step where the bin ends
    (what a step-after line shows there) with the bin's censorings summed."""
    if steps.height <= MAX_STEPS * max(1, steps.select(groups).n_unique() if groups else 1):
        return steps
    # Bins of the shared time axis (all curves are drawn on it).
    low, high = steps.get_column("time").min(), steps.get_column("time").max()
    bin_of = ((pl.col("time") - low) * ((MAX_STEPS - 1) / ((high - low) or 1))).cast(pl.Int32)
    return (
        steps.group_by([*groups, bin_of.alias("_bin")], maintain_order=True)
        .agg(pl.col("time", "survival", "lower", "upper").last(), pl.col("n_censor").sum())
        .drop("_bin")
    )


def kaplan_meier_chart(curve: pl.DataFrame, title: str = "Kaplan-Meier survival", group: str = "group") -> dict[str, Any]:
    """Step curves per group with confidence bands and censoring marks."""
    has_group = group in curve.columns and curve.schema[group] != pl.Null
    groups = [group] if has_group else []
    starts = curve.select(groups).unique() if groups else pl.DataFrame({"_": [0]})
    # Curves start at time 0 with survival 1.
    origin = starts.with_columns(
        pl.lit(0.0).alias("time"), pl.lit(1.0).alias("survival"), pl.lit(1.0).alias("lower"),
        pl.lit(1.0).alias("upper"), pl.lit(0).alias("n_censor"),
    ).select([*groups, "time", "survival", "lower", "upper", "n_censor"])
    steps = _thinned_steps(
        curve.select([*groups, pl.col("time").cast(pl.Float64), "survival", "lower", "upper", pl.col("n_censor").cast(pl.Int32)]),
        groups,
    )
    points = pl.concat([origin, steps], how="vertical_relaxed").sort([*groups, "time"])
    color = {"color": {"field": group, "type": "nominal", "title": group}} if has_group else {}
    x = {"field": "time", "type": "quantitative", "title": "time"}
    return _spec(
        title,
        points,
        layer=[
            {"mark": {"type": "area", "interpolate": "step-after", "opacity": 0.15},
             "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative"}, "y2": {"field": "upper"}, **color}},
            {"mark": {"type": "line", "interpolate": "step-after"},
             "encoding": {"x": x, "y": {"field": "survival", "type": "quantitative", "title": "survival probability", "scale": {"domain": [0, 1]}}, **color}},
            {"transform": [{"filter": "datum.n_censor > 0"}],
             "mark": {"type": "tick", "thickness": 1, "size": 8},
             "encoding": {"x": x, "y": {"field": "survival", "type": "quantitative"}, **color}},
        ],
    )
