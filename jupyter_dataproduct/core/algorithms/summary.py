"""Descriptive statistics, optionally by group: numeric moments and quantiles, category
frequencies. One polars query per kind of variable.

Conventions: null and NaN are missing (counted in ``missing``, left out of every statistic;
a missing category is its own row); ``sd`` has n - 1 in the denominator; quantiles are
linear interpolation (R's type 7, numpy's default)."""

from __future__ import annotations

from typing import Literal, Mapping, Sequence

import polars as pl

from ..errors import ParameterError
from .columns import present, require_columns

Kind = Literal["numeric", "categorical"]


def summarise(
    frame: pl.LazyFrame, columns: Mapping[str, Kind], by: Sequence[str] = ()
) -> dict[str, pl.DataFrame]:
    """``{"numeric": per (group, variable) stats, "categorical": per (group, variable, value) counts}``."""
    require_columns(frame, [*columns, *by])
    groups = list(by)
    overlap = [c for c in columns if c in groups]
    if overlap:
        raise ParameterError(f"{', '.join(overlap)} cannot be both summarised and grouped by.")
    # Groups keep their type while sorting (categories in model order), then become text.
    data = frame.select([*groups, *columns]).collect()
    numeric = [c for c, k in columns.items() if k == "numeric"]
    categorical = [c for c, k in columns.items() if k == "categorical"]
    return {"numeric": _numeric(data, numeric, groups), "categorical": _categorical(data, categorical, groups)}


_NUMERIC_SCHEMA = {
    "variable": pl.String, "count": pl.Int64, "missing": pl.Int64, "mean": pl.Float64, "sd": pl.Float64,
    "min": pl.Float64, "q25": pl.Float64, "median": pl.Float64, "q75": pl.Float64, "max": pl.Float64,
}


def _numeric(data: pl.DataFrame, columns: list[str], groups: list[str]) -> pl.DataFrame:
    schema = {**{g: pl.String for g in groups}, **_NUMERIC_SCHEMA}
    if not columns:
        return pl.DataFrame(schema=schema)
    parts = []
    for c in columns:
        v = pl.col(c).cast(pl.Float64).fill_nan(None)  # NaN is missing, as everywhere
        stats = [
            pl.lit(c).alias("variable"), v.count().cast(pl.Int64).alias("count"),
            v.null_count().cast(pl.Int64).alias("missing"), v.mean().alias("mean"), v.std().alias("sd"),
            v.min().alias("min"), v.quantile(0.25, "linear").alias("q25"), v.median().alias("median"),
            v.quantile(0.75, "linear").alias("q75"), v.max().alias("max"),
        ]
        part = data.group_by(groups, maintain_order=True).agg(stats).sort(groups) if groups else data.select(stats)
        parts.append(part.with_columns(pl.col(groups).cast(pl.String)))
    return pl.concat(parts, how="vertical_relaxed").select(list(schema)).cast(schema)


def _categorical(data: pl.DataFrame, columns: list[str], groups: list[str]) -> pl.DataFrame:
    schema = {**{g: pl.String for g in groups}, "variable": pl.String, "value": pl.String,
              "count": pl.Int64, "percent": pl.Float64}
    if not columns:
        return pl.DataFrame(schema=schema)
    parts = []
    for c in columns:
        counts = (
            data.select([*groups, present(c, data.schema[c]).cast(pl.String).alias("value")])
            .group_by([*groups, "value"]).len().rename({"len": "count"})
            .with_columns(pl.lit(c).alias("variable"))
        )
        total = pl.col("count").sum().over(groups) if groups else pl.col("count").sum()
        counts = counts.with_columns((100 * pl.col("count") / total).alias("percent"))
        parts.append(counts.sort([*groups, "value"], nulls_last=True).with_columns(pl.col(groups).cast(pl.String)))
    return pl.concat(parts, how="vertical_relaxed").select(list(schema)).cast(schema)
