"""The in-process backend: polars over the snapshot's Parquet files (the default).

Each cohort's rows (projected on the columns an analysis reads) are reduced per cohort; from
an analysis's second reduction on, they are read once and kept in memory (see
:class:`PolarsReducers`).
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
    """Reducers over each cohort's rows (see :class:`.reducers.Reducers`).

    No pooled frame of the cohorts is built: every reducer runs per cohort (aggregates as a
    ``select``, counts as a ``group_by``) and the small results are put together. The first
    reduction runs on the lazy scans; from the second on, the cohorts' projected rows are
    collected once (together, in one ``collect_all``) and reused, so one reduction (survival
    without checks) reads the file once and never materialises the rows."""

    def __init__(self, rows: Mapping[str, pl.LazyFrame], counted: Mapping[str, pl.LazyFrame],
                 by: Sequence[str] = ()) -> None:
        self._rows = dict(rows)  # per label: the cohort's rows, projected, NaN as null
        self._counted = dict(counted)  # per label: the cohort's rows before the projection
        self._collected: dict[str, pl.DataFrame] | None = None
        self._reductions = 0
        self.labels = list(rows)
        self.by = list(by)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pl.LazyFrame], columns: Sequence[str], by: Sequence[str] = ()) -> "PolarsReducers":
        """Named frames (cohorts' rows), projected; NaN read as missing."""
        wanted = list(dict.fromkeys([*by, *columns]))
        rows = {}
        for label, frame in frames.items():
            schema = frame.collect_schema()
            rows[label] = frame.select([present(c, schema[c]) for c in wanted])
        return cls(rows, frames, by)

    def _sources(self) -> dict[str, pl.LazyFrame]:
        """Each cohort's rows for one more reduction: the scans the first time, then the rows
        collected once (a second reduction would read the file again)."""
        self._reductions += 1
        if self._collected is None and self._reductions > 1 and self._schema():
            self._collected = dict(zip(self._rows, pl.collect_all(list(self._rows.values()))))
        if self._collected is None:
            return dict(self._rows)
        return {label: frame.lazy() for label, frame in self._collected.items()}

    def _schema(self) -> pl.Schema:
        return next(iter(self._rows.values())).collect_schema()

    def _pooled(self, sources: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        """The cohorts' rows one under the other, labelled (for the few reducers that group by cohort)."""
        label_type = pl.Enum(self.labels)
        # with_columns, not select: a lone literal would be one row, not one per row.
        parts = [frame.with_columns(pl.lit(label, dtype=label_type).alias(LABEL)) for label, frame in sources.items()]
        return parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical_relaxed")

    def _per_cohort(self, aggregates: list[pl.Expr]) -> pl.DataFrame:
        """The aggregates per cohort (and group): one row per (cohort, *by), cohort first."""
        queries = []
        for label, frame in self._sources().items():
            reduced = frame.group_by(self.by).agg(aggregates) if self.by else frame.select(aggregates)
            queries.append(reduced.select(pl.lit(label, dtype=pl.String).alias(COHORT), pl.all()))
        return pl.concat(pl.collect_all(queries), how="vertical_relaxed")

    def release(self) -> None:
        self._collected = None

    def column_type(self, name: str) -> pl.DataType:
        return self._schema()[name]

    def rows(self) -> dict[str, int]:
        if self._collected is not None:
            return {label: frame.height for label, frame in self._collected.items()}
        self._reductions += 1  # a reduction on the scans: the next one collects the rows
        counts = pl.collect_all([frame.select(pl.len()) for frame in self._counted.values()])
        return {label: int(count.item()) for label, count in zip(self.labels, counts)}

    def moments(self, variables: Sequence[str], references: Mapping[str, float]) -> pl.DataFrame:
        schema = self._schema()
        if not variables:
            return empty_moments({g: schema[g] for g in self.by})
        aggregates = []
        for i, name in enumerate(variables):
            value = pl.col(name).cast(pl.Float64)
            shifted = value - float(references.get(name, 0.0)) if references.get(name) else value
            aggregates += [
                value.count().alias(f"n{i}"), value.null_count().alias(f"missing{i}"),
                shifted.sum().alias(f"sum{i}"), (shifted * shifted).sum().alias(f"sum_sq{i}"),
                value.min().alias(f"min{i}"), value.max().alias(f"max{i}"),
            ]
        wide = self._per_cohort(aggregates)
        table = pl.concat([
            wide.select(pl.col(COHORT), *self.by, pl.lit(name).alias("variable"),
                        *[pl.col(f"{key}{i}").alias(key) for key in ("n", "missing", "sum", "sum_sq", "min", "max")])
            for i, name in enumerate(variables)
        ], how="vertical_relaxed")
        return order_moments(table, self.labels, list(variables), self.by)

    def value_counts(self, variables: Sequence[str]) -> dict[str, pl.DataFrame]:
        # Grouped on the column itself (an Enum groups on its codes); only the small counts
        # are converted, in order_counts.
        sources = self._sources()
        queries = [
            frame.group_by(*self.by, pl.col(name).alias("value")).agg(pl.len().alias("count"))
            .select(pl.lit(label, dtype=pl.String).alias(COHORT), pl.all())
            for name in variables for label, frame in sources.items()
        ]
        tables = iter(pl.collect_all(queries))
        schema = self._schema()
        found = {}
        for name in variables:
            table = pl.concat([next(tables) for _ in sources], how="vertical_relaxed")
            found[name] = order_counts(table, schema[name], self.labels, self.by)
        return found

    def rank_sums(self, variables: Sequence[str]) -> dict[str, dict[str, float]]:
        # Counts per distinct value (mid-ranks from a running sum), never a rank of every row:
        # cheaper than a sort for every column type, even when every value is distinct.
        sources = self._sources()
        first, second = self.labels[:2]
        queries = [
            pl.concat([sources[label].select(pl.col(name).alias("x"), pl.lit(label == first).alias("a"))
                       for label in (first, second)])
            .drop_nulls("x").group_by("x").agg(pl.len().alias("t"), pl.col("a").sum().alias("in_a")).sort("x")
            for name in variables
        ]
        return {name: rank_sums_of_sorted(table["t"], table["in_a"])
                for name, table in zip(variables, pl.collect_all(queries))}

    def event_counts(self, time: str, event: str, group: str | None) -> pl.DataFrame:
        if group == COHORT:
            group_expr = pl.col(LABEL).cast(pl.String)
        else:
            group_expr = pl.col(group) if group else pl.lit(None, dtype=pl.String)
        return (
            self._pooled(self._sources()).group_by(group_expr.alias(GROUP), pl.col(time).alias("time"))
            .agg(pl.col(event).cast(pl.Int64).sum().alias("n_event"), pl.col(event).count().alias("rows"),
                 pl.len().alias("all"))
            .collect()
        )

    def quantiles(self, variables: Sequence[str], probabilities: Sequence[float]) -> pl.DataFrame:
        probabilities = [float(p) for p in probabilities]
        wide = self._per_cohort([
            pl.col(name).cast(pl.Float64).quantile(p, "linear").alias(f"q{i}_{j}")
            for i, name in enumerate(variables) for j, p in enumerate(probabilities)
        ])
        parts = [
            wide.select(pl.col(COHORT), *self.by, pl.lit(name).alias("variable"),
                        pl.lit(p, dtype=pl.Float64).alias("probability"), pl.col(f"q{i}_{j}").alias("value"))
            for i, name in enumerate(variables) for j, p in enumerate(probabilities)
        ]
        return order_quantiles(pl.concat(parts, how="vertical_relaxed"), self.labels, list(variables), self.by)

    def values(self, variable: str) -> pl.DataFrame:
        rows = self._pooled(self._sources()).select(LABEL, pl.col(variable).alias("value")).drop_nulls("value")
        return rows.collect().with_columns(pl.col(LABEL).cast(pl.String)).rename({LABEL: COHORT})
