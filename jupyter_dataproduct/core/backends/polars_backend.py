"""The in-process backend: polars over the snapshot's Parquet files (the default)."""

from __future__ import annotations

from typing import Mapping, Sequence

import polars as pl

from ..cohort import Cohort
from ..model import Entity
from .reducers import COHORT, GROUP, order_counts, order_moments, order_quantiles


class PolarsBackend:
    name = "polars"

    def version(self) -> str:
        return pl.__version__

    def _rows(self, snapshot, entity: Entity, cohort: Cohort) -> pl.LazyFrame:
        rows = snapshot.scan(cohort.entity)
        return rows if cohort.is_everyone else rows.filter(cohort.expression(entity))

    def _labelled(self, snapshot, entity: Entity, cohorts: Mapping[str, Cohort], columns: Sequence[str]) -> pl.LazyFrame:
        return pl.concat([
            self._rows(snapshot, entity, cohort).select(pl.lit(label).alias(COHORT), *columns)
            for label, cohort in cohorts.items()
        ])

    def moments(self, snapshot, entity, cohorts, variables, references) -> pl.DataFrame:
        rows = self._labelled(snapshot, entity, cohorts, variables)
        parts = []
        for name in variables:
            shifted = pl.col(name).cast(pl.Float64) - references.get(name, 0.0)
            parts.append(rows.group_by(COHORT).agg(
                pl.lit(name).alias("variable"), pl.col(name).count().alias("n"),
                pl.col(name).null_count().alias("missing"), shifted.sum().alias("sum"),
                (shifted ** 2).sum().alias("sum_sq"), pl.col(name).cast(pl.Float64).min().alias("min"),
                pl.col(name).cast(pl.Float64).max().alias("max"),
            ))
        table = pl.concat(pl.collect_all(parts), how="vertical_relaxed")
        return order_moments(table, list(cohorts), list(variables))

    def value_counts(self, snapshot, entity, cohorts, variables) -> dict[str, pl.DataFrame]:
        rows = self._labelled(snapshot, entity, cohorts, variables)
        queries = [rows.group_by(COHORT, pl.col(name).alias("value")).agg(pl.len().alias("count")) for name in variables]
        return {
            name: order_counts(table, entity.columns[name].polars_type(), list(cohorts))
            for name, table in zip(variables, pl.collect_all(queries))
        }

    def event_counts(self, snapshot, entity, cohort, time, event, group) -> pl.DataFrame:
        group_expr = pl.col(group) if group else pl.lit(None, dtype=pl.String)
        return (
            self._rows(snapshot, entity, cohort)
            .select(group_expr.alias(GROUP), pl.col(time).alias("time"), pl.col(event).alias("_event"))
            .group_by(GROUP, "time")
            .agg(pl.col("_event").count().alias("rows"), pl.col("_event").cast(pl.Int64).sum().alias("n_event"))
            .collect()
        )

    def quantiles(self, snapshot, entity, cohorts, variables, probabilities) -> pl.DataFrame:
        rows = self._labelled(snapshot, entity, cohorts, variables)
        parts = [
            rows.group_by(COHORT).agg(
                pl.lit(name).alias("variable"), pl.lit(p, dtype=pl.Float64).alias("probability"),
                pl.col(name).cast(pl.Float64).quantile(p, "linear").alias("value"),
            )
            for name in variables for p in probabilities
        ]
        return order_quantiles(pl.concat(pl.collect_all(parts)), list(cohorts), list(variables))

    def frame(self, snapshot, entity, cohort, columns) -> pl.DataFrame:
        return self._rows(snapshot, entity, cohort).select(list(columns)).collect()
