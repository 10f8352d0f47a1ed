"""The Spark backend: the same reducers as :mod:`polars_backend`, run by a Spark session
(``local[n]`` or Spark Connect) over the snapshot's Parquet files.

An analysis's rows (its cohorts, labelled, and the columns it reads) are cached by Spark
on first use, so the Parquet files are read once however many reducers run. Only small
tables come back to the driver (through Arrow). Ranks are never computed by a window over
all rows (an unpartitioned window moves every row to one task): Mann-Whitney uses counts
per distinct value, finished in the driver when they are few, and by range buckets with
prefix sums otherwise. Categories arrive as text and are put back in the model's order
by the driver.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import polars as pl

from ..cohort import Cohort
from ..model import Entity
from .choice import EngineChoice
from .reducers import (
    COHORT, GROUP, LABEL, SnapshotReducers, empty_moments, order_counts, order_moments, order_quantiles,
    rank_sums_of_sorted, typed,
)
from .spark_cohort import spark_expression
from .spark_session import spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# Up to this many distinct values a column's counts come to the driver for Mann-Whitney's
# ranks; above, the prefix sums run in Spark by range buckets (DATAPRODUCT_SPARK_DRIVER_RANKS).
DRIVER_RANKS_ENV = "DATAPRODUCT_SPARK_DRIVER_RANKS"
DRIVER_RANKS = 200_000
RANK_BUCKETS = 64
_COUNT = "__dataproduct_count__"  # not "count": a model column may have that name


def driver_rank_limit() -> int:
    text = os.environ.get(DRIVER_RANKS_ENV, "")
    return int(text) if text.strip().isdigit() else DRIVER_RANKS


def _to_polars(frame: "DataFrame") -> pl.DataFrame:
    return pl.from_arrow(frame.toArrow())


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class SparkBackend(SnapshotReducers):
    name = "spark"

    def __init__(self, choice: EngineChoice) -> None:
        self.choice = choice
        self.session = spark_session(choice)

    def version(self) -> str:
        return self.session.version

    def _read(self, snapshot, entity_name: str) -> "DataFrame":
        return self.session.read.parquet(self._location(snapshot, entity_name))

    @staticmethod
    def _location(snapshot, entity_name: str) -> str:
        # Local snapshots by path; snapshots in object storage by URL (needs hadoop-aws on the cluster).
        return snapshot.entity_url(entity_name) if hasattr(snapshot, "entity_url") else str(snapshot.entity_file(entity_name))

    def cohort_rows(self, snapshot, entity: Entity, cohort: Cohort) -> "DataFrame":
        """The cohort's rows as a Spark DataFrame (for plugins that take one)."""
        rows = self._read(snapshot, cohort.entity)
        return rows if cohort.is_everyone else rows.filter(spark_expression(cohort, entity))

    def reducers(self, snapshot, entity: Entity, cohorts: Mapping[str, Cohort], columns: Sequence[str],
                 by: Sequence[str] = ()) -> "SparkReducers":
        from pyspark.sql import functions as F

        wanted = list(dict.fromkeys([*by, *columns]))
        frames = []
        for label, cohort in cohorts.items():
            rows = self.cohort_rows(snapshot, entity, cohort)
            frames.append(rows.select(F.lit(label).alias(LABEL), *[_present(rows, c) for c in wanted]))
        labelled = frames[0]
        for frame in frames[1:]:
            labelled = labelled.unionByName(frame)
        return SparkReducers(labelled, list(cohorts), entity, by)

    def frame(self, snapshot, entity: Entity, cohort: Cohort, columns: Sequence[str],
              order_by: Sequence[str] = (), limit: int | None = None) -> pl.DataFrame:
        from pyspark.sql import functions as F

        rows = self.cohort_rows(snapshot, entity, cohort).select(*[F.col(_q(c)) for c in columns])
        if order_by:
            # polars' sort: nulls first, ties in snapshot order (Spark's sort is not stable).
            rows = rows.withColumn("__row__", F.monotonically_increasing_id()).orderBy(
                *[F.col(_q(c)).asc_nulls_first() for c in order_by], "__row__").drop("__row__")
        if limit is not None:
            rows = rows.limit(limit)
        return typed(_to_polars(rows), entity, columns)


def _present(rows: "DataFrame", name: str):
    """The column with NaN read as missing (as polars' ``fill_nan(None)``)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    column = F.col(_q(name))
    if isinstance(rows.schema[name].dataType, (DoubleType, FloatType)):
        column = F.nanvl(column, F.lit(None).cast(rows.schema[name].dataType))
    return column.alias(name)


class SparkReducers:
    """Reducers over labelled rows that Spark caches on first use (see :class:`.reducers.Reducers`)."""

    def __init__(self, rows: "DataFrame", labels: Sequence[str], entity: Entity, by: Sequence[str] = ()) -> None:
        self._lazy = rows
        self._cached: "DataFrame | None" = None
        self.labels = list(labels)
        self.entity = entity
        self.by = list(by)

    @property
    def frame(self) -> "DataFrame":
        if self._cached is None:
            try:
                self._cached = self._lazy.cache()
            except Exception:  # some Spark Connect servers refuse caching: read again instead
                self._cached = self._lazy
        return self._cached

    def release(self) -> None:
        if self._cached is not None:
            try:
                self._cached.unpersist()
            except Exception:
                pass
            self._cached = None

    def column_type(self, name: str) -> pl.DataType:
        return self.entity.columns[name].polars_type()

    def _keys(self) -> list[str]:
        return [LABEL, *self.by]

    def _small(self, frame: "DataFrame") -> pl.DataFrame:
        """A small Spark result in polars, with the label as ``cohort`` and groups in model types."""
        table = _to_polars(frame)
        if LABEL in table.columns:
            table = table.rename({LABEL: COHORT}).with_columns(pl.col(COHORT).cast(pl.String))
        return typed(table, self.entity, self.by)

    def rows(self) -> dict[str, int]:
        counts = _to_polars(self.frame.groupBy(LABEL).count())
        found = dict(zip(counts[LABEL].to_list(), counts["count"].to_list()))
        return {label: int(found.get(label, 0)) for label in self.labels}

    def moments(self, variables: Sequence[str], references: Mapping[str, float]) -> pl.DataFrame:
        from pyspark.sql import functions as F

        if not variables:
            return empty_moments({g: self.entity.columns[g].polars_type() for g in self.by})
        aggregates = []
        for i, name in enumerate(variables):
            value = F.col(_q(name)).cast("double")
            shifted = value - F.lit(float(references.get(name, 0.0)))
            aggregates += [
                F.count(value).alias(f"n{i}"), F.sum(F.when(value.isNull(), 1).otherwise(0)).alias(f"missing{i}"),
                F.sum(shifted).alias(f"sum{i}"), F.sum(shifted * shifted).alias(f"sum_sq{i}"),
                F.min(value).alias(f"min{i}"), F.max(value).alias(f"max{i}"),
            ]
        wide = self._small(self.frame.groupBy(*self._keys()).agg(*aggregates))  # one pass for every variable
        table = pl.concat([
            wide.select(pl.col(COHORT), *self.by, pl.lit(name).alias("variable"),
                        *[pl.col(f"{key}{i}").alias(key) for key in ("n", "missing", "sum", "sum_sq", "min", "max")])
            for i, name in enumerate(variables)
        ], how="vertical_relaxed")
        return order_moments(table, self.labels, list(variables), self.by)

    def value_counts(self, variables: Sequence[str]) -> dict[str, pl.DataFrame]:
        """Every variable's counts in one job: grouping sets (cohort, groups, variable), told
        apart by ``grouping()``, each value keeping its column's type."""
        from pyspark.sql import functions as F

        variables = list(dict.fromkeys(variables))
        keys = self._keys()
        result = {}
        for name in [n for n in variables if n in self.by]:  # a group column's own values (the group check)
            counts = self._small(self.frame.groupBy(*keys).agg(F.count(F.lit(1)).alias(_COUNT)))
            part = counts.select(COHORT, *self.by, pl.col(name).alias("value"), pl.col(_COUNT).alias("count"))
            result[name] = order_counts(part, self.entity.columns[name].polars_type(), self.labels, self.by)
        variables = [n for n in variables if n not in self.by]
        if not variables:
            return result
        sets = [[*keys, name] for name in variables]
        counts = self._small(self.frame.groupingSets(sets, *keys, *variables).agg(
            F.count(F.lit(1)).alias(_COUNT), *[F.grouping(name).alias(f"__grouped{i}") for i, name in enumerate(variables)]))
        for i, name in enumerate(variables):
            part = counts.filter(pl.col(f"__grouped{i}") == 0).select(
                COHORT, *self.by, pl.col(name).alias("value"), pl.col(_COUNT).alias("count"))
            result[name] = order_counts(part, self.entity.columns[name].polars_type(), self.labels, self.by)
        return result

    def rank_sums(self, variables: Sequence[str]) -> dict[str, dict[str, float]]:
        """Counts per distinct value, all variables with few values in one job (finished in the
        driver); a variable with many takes the bucketed path (:func:`_bucketed_rank_sums`)."""
        from pyspark.sql import functions as F

        variables = list(dict.fromkeys(variables))
        if not variables:
            return {}
        limit = driver_rank_limit()
        # An estimate is enough to choose the path: both paths are exact.
        distinct = self.frame.agg(*[F.approx_count_distinct(F.col(_q(n))).alias(f"d{i}")
                                    for i, n in enumerate(variables)]).collect()[0]
        few = [n for i, n in enumerate(variables) if distinct[f"d{i}"] <= limit]
        found = {n: self._bucketed(n) for n in variables if n not in few}
        if few:
            in_a = (F.col(LABEL) == self.labels[0]).cast("long")
            stacked = None
            for i, name in enumerate(few):
                part = (self.frame.where(F.col(_q(name)).isNotNull())
                        .select(F.lit(i).alias("variable"), F.col(_q(name)).cast("double").alias("value"), in_a.alias("a")))
                stacked = part if stacked is None else stacked.unionByName(part)
            counts = _to_polars(stacked.groupBy("variable", "value").agg(F.count(F.lit(1)).alias("t"), F.sum("a").alias("in_a")))
            for i, name in enumerate(few):
                table = counts.filter(pl.col("variable") == i).sort("value")
                found[name] = rank_sums_of_sorted(table["t"], table["in_a"])
        return {n: found[n] for n in variables}

    def _bucketed(self, name: str) -> dict[str, float]:
        from pyspark.sql import functions as F

        counts = (self.frame.where(F.col(_q(name)).isNotNull())
                  .groupBy(F.col(_q(name)).cast("double").alias("value"))
                  .agg(F.count(F.lit(1)).alias("t"),
                       F.sum(F.when(F.col(LABEL) == self.labels[0], 1).otherwise(0)).alias("in_a")))
        return _bucketed_rank_sums(counts.cache())

    def event_counts(self, time: str, event: str, group: str | None) -> pl.DataFrame:
        from pyspark.sql import functions as F

        if group == COHORT:
            group_column = F.col(LABEL)
        else:
            group_column = F.col(_q(group)) if group else F.lit(None).cast("string")
        counts = (
            self.frame.groupBy(group_column.alias(GROUP), F.col(_q(time)).alias("time"))
            .agg(F.sum(F.col(_q(event)).cast("bigint")).alias("n_event"), F.count(F.col(_q(event))).alias("rows"),
                 F.count(F.lit(1)).alias("all"))
        )
        table = _to_polars(counts).with_columns(pl.col("n_event").fill_null(0))
        if group and group != COHORT:
            table = typed(table.rename({GROUP: group}), self.entity, [group]).rename({group: GROUP})
        if time in self.entity.columns:
            table = typed(table.rename({"time": time}), self.entity, [time]).rename({time: "time"})
        return table

    def quantiles(self, variables: Sequence[str], probabilities: Sequence[float]) -> pl.DataFrame:
        from pyspark.sql import functions as F

        probs = [float(p) for p in probabilities]
        # percentile (not percentile_approx) is exact and interpolates linearly, as polars' "linear".
        wide = self._small(self.frame.groupBy(*self._keys()).agg(*[
            F.percentile(F.col(_q(name)).cast("double"), F.array(*[F.lit(p) for p in probs])).alias(f"q{i}")
            for i, name in enumerate(variables)
        ]))
        parts = []
        for i, name in enumerate(variables):
            exploded = wide.select(COHORT, *self.by, pl.col(f"q{i}").fill_null([None] * len(probs))).explode(f"q{i}")
            parts.append(exploded.with_columns(
                pl.lit(name).alias("variable"),
                pl.Series("probability", probs * wide.height, dtype=pl.Float64),
            ).rename({f"q{i}": "value"}))
        return order_quantiles(pl.concat(parts, how="vertical_relaxed"), self.labels, list(variables), self.by)

    def values(self, variable: str) -> pl.DataFrame:
        from pyspark.sql import functions as F

        rows = self.frame.where(F.col(_q(variable)).isNotNull()).select(LABEL, F.col(_q(variable)).alias("value"))
        table = self._small(rows)
        return typed(table.rename({"value": variable}), self.entity, [variable]).rename({variable: "value"})


def _bucketed_rank_sums(counts: "DataFrame") -> dict[str, float]:
    """Rank sums from many distinct values without one task seeing them all: values go to
    range buckets (by approximate quantiles), the driver adds up the buckets' sizes, and each
    bucket's prefix sums run in its own window partition, offset by the rows below it."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    try:
        cuts = sorted(set(counts.approxQuantile("value", [i / RANK_BUCKETS for i in range(1, RANK_BUCKETS)], 0.001)))
        bucket = sum((F.when(F.col("value") > F.lit(c), 1).otherwise(0) for c in cuts), F.lit(0))
        bucketed = counts.withColumn("bucket", bucket)
        sizes = _to_polars(bucketed.groupBy("bucket").agg(F.sum("t").alias("size"))).sort("bucket")
        offsets = dict(zip(sizes["bucket"].to_list(), (sizes["size"].cum_sum() - sizes["size"]).to_list()))
        offset = F.create_map(*[x for b, o in offsets.items() for x in (F.lit(b), F.lit(int(o)))])
        within = Window.partitionBy("bucket").orderBy("value").rowsBetween(Window.unboundedPreceding, Window.currentRow)
        t = F.col("t").cast("double")
        average_rank = offset[F.col("bucket")].cast("double") + F.sum(t).over(within) - t + (t + 1) / 2
        row = (bucketed.select(average_rank.alias("rank"), "t", "in_a")
               .agg(F.sum(F.col("rank") * F.col("in_a").cast("double")).alias("rank_sum_a"),
                    F.sum(t * t * t - t).alias("ties"), F.sum("in_a").alias("n_a"), F.sum("t").alias("n"))
               .collect()[0])
    finally:
        counts.unpersist()
    return {"n_a": int(row["n_a"] or 0), "n_b": int((row["n"] or 0) - (row["n_a"] or 0)),
            "rank_sum_a": float(row["rank_sum_a"] or 0.0), "ties": float(row["ties"] or 0.0)}
