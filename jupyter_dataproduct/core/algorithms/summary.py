"""Descriptive statistics, optionally by group: numeric moments and quantiles, category
frequencies. One polars query per kind of variable.

Conventions: null and NaN are missing (counted in ``missing``, left out of every statistic;
a missing category is its own row); ``sd`` has n - 1 in the denominator; quantiles are
linear interpolation (R's type 7, numpy's default)."""

from __future__ import annotations

from typing import Literal, Mapping, Sequence

import polars as pl

from ..errors import ParameterError
from ..backends.polars_backend import PolarsReducers
from ..backends.reducers import COHORT, Reducers, finish_moments
from .columns import require_columns

Kind = Literal["numeric", "categorical"]


def summarise(
    frame: pl.LazyFrame, columns: Mapping[str, Kind], by: Sequence[str] = ()
) -> dict[str, pl.DataFrame]:
    """``{"numeric": per (group, variable) stats, "categorical": per (group, variable, value) counts}``."""
    require_columns(frame, [*columns, *by])
    check_overlap(columns, by)
    return summarise_reduced(PolarsReducers.from_frames({"all": frame}, list(columns), by=list(by)), columns)


def check_overlap(columns: Mapping[str, Kind], by: Sequence[str]) -> None:
    overlap = [c for c in columns if c in by]
    if overlap:
        raise ParameterError(f"{', '.join(overlap)} cannot be both summarised and grouped by.")


def summarise_reduced(reducers: Reducers, columns: Mapping[str, Kind]) -> dict[str, pl.DataFrame]:
    """:func:`summarise` from a backend's reducers over one cohort grouped by ``reducers.by``."""
    check_overlap(columns, reducers.by)
    numeric = [c for c, k in columns.items() if k == "numeric"]
    categorical = [c for c, k in columns.items() if k == "categorical"]
    return {"numeric": _numeric(reducers, numeric), "categorical": _categorical(reducers, categorical)}


_NUMERIC_SCHEMA = {
    "variable": pl.String, "count": pl.Int64, "missing": pl.Int64, "mean": pl.Float64, "sd": pl.Float64,
    "min": pl.Float64, "q25": pl.Float64, "median": pl.Float64, "q75": pl.Float64, "max": pl.Float64,
}
# As in compare: where a mean is this many sd from 0, sums of squares are taken again
# around the variable's overall mean.
_SHIFT_RATIO = 10.0
_QUARTILES = {"q25": 0.25, "median": 0.5, "q75": 0.75}


def _numeric(reducers: Reducers, columns: list[str]) -> pl.DataFrame:
    groups = reducers.by
    schema = {**{g: pl.String for g in groups}, **_NUMERIC_SCHEMA}
    if not columns:
        return pl.DataFrame(schema=schema)
    moments = _finished(reducers.moments(columns, {}), {})
    far = moments.filter(pl.col("mean").abs() > _SHIFT_RATIO * pl.col("var").fill_null(0.0).sqrt())
    if far.height:
        shifts = {
            v: float(part["sum"].sum() / part["n"].sum())
            for (v,), part in moments.filter(pl.col("variable").is_in(far["variable"].unique().to_list()))
            .partition_by("variable", as_dict=True).items() if part["n"].sum()
        }
        again = _finished(reducers.moments(list(shifts), shifts), shifts)
        moments = pl.concat([moments.filter(~pl.col("variable").is_in(list(shifts))), again], how="vertical_relaxed")
    keys = [COHORT, *groups, "variable"]
    quantiles = reducers.quantiles(columns, list(_QUARTILES.values()))
    wide = quantiles.pivot(on="probability", index=keys, values="value") if quantiles.height else None
    table = moments.select(*keys, pl.col("n").alias("count"), "missing", "mean", pl.col("var").sqrt().alias("sd"),
                           "min", "max")
    if wide is not None:
        names = {str(p): name for name, p in _QUARTILES.items()}
        table = table.join(wide.rename({c: names[c] for c in wide.columns if c in names}), on=keys, how="left",
                           nulls_equal=True)
    else:
        table = table.with_columns(*[pl.lit(None, dtype=pl.Float64).alias(n) for n in _QUARTILES])
    order = {v: i for i, v in enumerate(columns)}
    table = (table.with_columns(pl.col("variable").replace_strict(order, return_dtype=pl.Int64).alias("_order"))
             .sort("_order", *groups, maintain_order=True).drop("_order"))
    return table.with_columns(pl.col(groups).cast(pl.String)).select(list(schema)).cast(schema)


def _finished(table: pl.DataFrame, shifts: Mapping[str, float]) -> pl.DataFrame:
    return finish_moments(table, shifts)


def _categorical(reducers: Reducers, columns: list[str]) -> pl.DataFrame:
    groups = reducers.by
    schema = {**{g: pl.String for g in groups}, "variable": pl.String, "value": pl.String,
              "count": pl.Int64, "percent": pl.Float64}
    if not columns:
        return pl.DataFrame(schema=schema)
    parts = []
    for c, counts in reducers.value_counts(columns).items():
        counts = (counts.select(*groups, pl.col("value").cast(pl.String), "count")
                  .group_by([*groups, "value"]).agg(pl.col("count").sum())
                  .with_columns(pl.lit(c).alias("variable")))
        total = pl.col("count").sum().over(groups) if groups else pl.col("count").sum()
        counts = counts.with_columns((100 * pl.col("count") / total).alias("percent"))
        parts.append(counts.sort([*groups, "value"], nulls_last=True).with_columns(pl.col(groups).cast(pl.String)))
    return pl.concat(parts, how="vertical_relaxed").select(list(schema)).cast(schema)
