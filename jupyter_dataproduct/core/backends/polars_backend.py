"""The in-process backend: polars over the snapshot's Parquet files (the default).

The rows an analysis needs (its cohorts, labelled, and the columns it reads) are read once
and collected; every reducer then works on that frame in memory, in parallel.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import polars as pl

from ..algorithms.columns import present
from ..cohort import Cohort
from ..model import Entity
from .reducers import (
    COHORT, GROUP, LABEL, SnapshotReducers, empty_moments, order_counts, order_moments, order_quantiles, rank_sums_of_sorted,
)


class PolarsBackend(SnapshotReducers):
    name = "polars"

    def version(self) -> str:
        return pl.__version__

    def reducers(self, snapshot, entity: Entity, cohorts: Mapping[str, Cohort], columns: Sequence[str],
                 by: Sequence[str] = ()) -> "PolarsReducers":
        scan = snapshot.scan(next(iter(cohorts.values())).entity)
        frames = {label: scan if c.is_everyone else scan.filter(c.expression(entity)) for label, c in cohorts.items()}
        return PolarsReducers.from_frames(frames, columns, by)

    def frame(self, snapshot, entity: Entity, cohort: Cohort, columns: Sequence[str],
              order_by: Sequence[str] = (), limit: int | None = None) -> pl.DataFrame:
        rows = snapshot.scan(cohort.entity)
        rows = rows if cohort.is_everyone else rows.filter(cohort.expression(entity))
        rows = rows.select(list(columns))
        if order_by:
            rows = rows.sort(list(order_by))
        if limit is not None:
            rows = rows.head(limit)
        return rows.collect()


class PolarsReducers:
    """Reducers over labelled rows collected once (see :class:`.reducers.Reducers`)."""

    def __init__(self, rows: pl.LazyFrame, labels: Sequence[str], by: Sequence[str] = ()) -> None:
        self._lazy = rows
        self._frame: pl.DataFrame | None = None
        self.labels = list(labels)
        self.by = list(by)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pl.LazyFrame], columns: Sequence[str], by: Sequence[str] = ()) -> "PolarsReducers":
        """Named frames (cohorts' rows) labelled and projected; NaN read as missing."""
        labels = list(frames)
        label_type = pl.Enum(labels)
        wanted = list(dict.fromkeys([*by, *columns]))
        parts = []
        for label, frame in frames.items():
            schema = frame.collect_schema()
            # with_columns, not select: a lone literal would be one row, not one per row.
            parts.append(frame.with_columns(pl.lit(label, dtype=label_type).alias(LABEL))
                         .select(LABEL, *[present(c, schema[c]) for c in wanted]))
        rows = parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical_relaxed")
        return cls(rows, labels, by)

    @property
    def frame(self) -> pl.DataFrame:
        if self._frame is None:
            self._frame = self._lazy.collect()
        return self._frame

    def release(self) -> None:
        self._frame = None

    def column_type(self, name: str) -> pl.DataType:
        return self._lazy.collect_schema()[name]

    def _keys(self) -> list[str]:
        return [LABEL, *self.by]

    def _labelled(self, table: pl.DataFrame) -> pl.DataFrame:
        return table.with_columns(pl.col(LABEL).cast(pl.String)).rename({LABEL: COHORT})

    def rows(self) -> dict[str, int]:
        counts = self.frame.get_column(LABEL).value_counts()
        found = dict(zip(counts[LABEL].cast(pl.String).to_list(), counts["count"].to_list()))
        return {label: int(found.get(label, 0)) for label in self.labels}

    def moments(self, variables: Sequence[str], references: Mapping[str, float]) -> pl.DataFrame:
        if not variables:
            return empty_moments({g: self.frame.schema[g] for g in self.by})
        aggregates = []
        for i, name in enumerate(variables):
            value = pl.col(name).cast(pl.Float64)
            shifted = value - float(references.get(name, 0.0)) if references.get(name) else value
            aggregates += [
                value.count().alias(f"n{i}"), value.null_count().alias(f"missing{i}"),
                shifted.sum().alias(f"sum{i}"), (shifted * shifted).sum().alias(f"sum_sq{i}"),
                value.min().alias(f"min{i}"), value.max().alias(f"max{i}"),
            ]
        wide = self._labelled(self.frame.group_by(self._keys()).agg(aggregates))
        table = pl.concat([
            wide.select(pl.col(COHORT), *self.by, pl.lit(name).alias("variable"),
                        *[pl.col(f"{key}{i}").alias(key) for key in ("n", "missing", "sum", "sum_sq", "min", "max")])
            for i, name in enumerate(variables)
        ], how="vertical_relaxed")
        return order_moments(table, self.labels, list(variables), self.by)

    def value_counts(self, variables: Sequence[str]) -> dict[str, pl.DataFrame]:
        queries = [self.frame.lazy().group_by(*self._keys(), pl.col(name).alias("value")).agg(pl.len().alias("count"))
                   for name in variables]
        return {
            name: order_counts(self._labelled(table), self.frame.schema[name], self.labels, self.by)
            for name, table in zip(variables, pl.collect_all(queries))
        }

    def rank_sums(self, variables: Sequence[str]) -> dict[str, dict[str, float]]:
        # Integer columns have few distinct values: count them instead of ranking every row.
        in_a = pl.col(LABEL) == self.labels[0]
        queries = []
        for name in variables:
            rows = self.frame.lazy().select(pl.col(name).alias("x"), in_a.alias("a")).drop_nulls("x")
            if self.frame.schema[name].is_integer():
                queries.append(rows.group_by("x").agg(pl.len().alias("t"), pl.col("a").sum().alias("in_a")).sort("x")
                               .select(pl.lit(True).alias("by_value"), "t", "in_a"))
            else:
                x = pl.col("x")
                t = x.unique_counts().cast(pl.Float64)
                queries.append(rows.select(
                    pl.lit(False).alias("by_value"),
                    x.rank("average").filter(pl.col("a")).sum().cast(pl.Float64).alias("rank_sum_a"),
                    (t.pow(3) - t).sum().alias("ties"), pl.col("a").sum().alias("n_a"), pl.len().alias("n"),
                ))
        found = {}
        for name, table in zip(variables, pl.collect_all(queries)):
            if table.height and table["by_value"][0] is False:
                row = table.row(0, named=True)
                found[name] = {"n_a": int(row["n_a"]), "n_b": int(row["n"] - row["n_a"]),
                               "rank_sum_a": float(row["rank_sum_a"] or 0.0), "ties": float(row["ties"] or 0.0)}
            else:
                found[name] = rank_sums_of_sorted(table["t"], table["in_a"])
        return found

    def event_counts(self, time: str, event: str, group: str | None) -> pl.DataFrame:
        if group == COHORT:
            group_expr = pl.col(LABEL).cast(pl.String)
        else:
            group_expr = pl.col(group) if group else pl.lit(None, dtype=pl.String)
        return (
            self.frame.lazy().group_by(group_expr.alias(GROUP), pl.col(time).alias("time"))
            .agg(pl.col(event).cast(pl.Int64).sum().alias("n_event"), pl.col(event).count().alias("rows"),
                 pl.len().alias("all"))
            .collect()
        )

    def quantiles(self, variables: Sequence[str], probabilities: Sequence[float]) -> pl.DataFrame:
        probabilities = [float(p) for p in probabilities]
        wide = self._labelled(self.frame.group_by(self._keys()).agg(
            pl.col(name).cast(pl.Float64).quantile(p, "linear").alias(f"q{i}_{j}")
            for i, name in enumerate(variables) for j, p in enumerate(probabilities)
        ))
        parts = [
            wide.select(pl.col(COHORT), *self.by, pl.lit(name).alias("variable"),
                        pl.lit(p, dtype=pl.Float64).alias("probability"), pl.col(f"q{i}_{j}").alias("value"))
            for i, name in enumerate(variables) for j, p in enumerate(probabilities)
        ]
        return order_quantiles(pl.concat(parts, how="vertical_relaxed"), self.labels, list(variables), self.by)

    def values(self, variable: str) -> pl.DataFrame:
        return self._labelled(self.frame.select(LABEL, pl.col(variable).alias("value")).drop_nulls("value"))
