"""The Spark backend: the same reducers as :mod:`polars_backend`, run by a Spark session
(``local[n]`` or Spark Connect) over the snapshot's Parquet files.

An analysis's rows (its cohorts, labelled, and the columns it reads) are reduced in as
few Spark jobs as possible (see :class:`SparkReducers`), each re-reading only the Parquet
columns it needs (a cache cost more to build than it saved: 14 s against ~3 s per pass at
1M rows; ``DATAPRODUCT_SPARK_CACHE=1`` turns it on). Only small tables come back to the
driver (through Arrow). Ranks are never computed by a window over all rows (an
unpartitioned window moves every row to one task): Mann-Whitney uses counts per distinct
value, finished in the driver when they are few, and by range buckets with prefix sums
otherwise. Categories arrive as text and are put back in the model's order
by the driver.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import polars as pl

from ..cohort import Cohort
from ..model import Entity
from .choice import EngineChoice
from .reducers import (
    COHORT, GROUP, LABEL, SnapshotReducers, empty_moments, order_counts, order_moments, order_quantiles,
    quantiles_of_counts, rank_sums, typed,
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
# DATAPRODUCT_SPARK_CACHE=1 caches an analysis's rows (off: see SparkReducers.frame).
CACHE_ENV = "DATAPRODUCT_SPARK_CACHE"
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
        return SparkReducers(labelled, list(cohorts), entity, by, columns)

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
    """Reducers over labelled rows (see :class:`.reducers.Reducers`), in as few Spark jobs as
    the answers allow (each job pays Spark's fixed cost, and without a cache each re-reads
    the Parquet columns it needs):

    - the first pass: rows, and per numeric column n, missing, sums, sums of squares, min
      and max, in one aggregation (``rows`` and ``moments`` answer from it);
    - integer columns whose sums are exact in doubles (every partial sum below 2^53, which
      min, max and n prove) answer ``moments`` with any reference from the same pass, in
      exact arithmetic (no second pass for far-off means);
    - value counts of every category and of every integer column with a small range, in
      one grouping-sets job; Mann-Whitney's rank sums and the quantiles of those
      integer columns are finished from them in the driver;
    - the other numeric columns: rank sums in one job of range buckets (cut points from one
      approximate-quantiles job), quantiles by Spark's exact ``percentile``.
    """

    def __init__(self, rows: "DataFrame", labels: Sequence[str], entity: Entity, by: Sequence[str] = (),
                 columns: Sequence[str] | None = None) -> None:
        self._lazy = rows
        self._cached: "DataFrame | None" = None
        self.labels = list(labels)
        self.entity = entity
        self.by = list(by)
        wanted = rows.columns if columns is None else columns
        self.columns = [c for c in dict.fromkeys(wanted) if c != LABEL and c not in self.by]
        self._pass: pl.DataFrame | None = None  # the first pass, per (cohort, *by)
        self._counts: dict[str, pl.DataFrame] = {}  # value counts already fetched

    @property
    def frame(self) -> "DataFrame":
        if self._cached is None:
            self._cached = self._lazy
            if caching():  # off by default: building the cache costs more than the re-reads it saves
                try:
                    self._cached = self._lazy.cache()
                except Exception:  # some Spark Connect servers refuse caching: read again instead
                    pass
        return self._cached

    def release(self) -> None:
        if self._cached is not None and self._cached is not self._lazy:
            try:
                self._cached.unpersist()
            except Exception:
                pass
        self._cached, self._pass, self._counts = None, None, {}

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

    # -- the first pass -------------------------------------------------------------------

    def _numeric(self) -> list[str]:
        """The columns the first pass sums: the model's integers and floats."""
        return [c for c in self.columns if c in self.entity.columns and self.entity.columns[c].type in ("int", "float")]

    def _first_pass(self) -> pl.DataFrame:
        """rows, and n{i}, missing{i}, sum{i}, sum_sq{i}, min{i}, max{i} of every numeric column
        (unshifted), per (cohort, *by): one job."""
        if self._pass is None:
            self._pass = self._small(self.frame.groupBy(*self._keys()).agg(
                _functions().count(_functions().lit(1)).alias("__rows__"), *_moment_aggregates(self._numeric(), {})))
        return self._pass

    def _exact_sums(self, name: str) -> bool:
        """Whether the first pass's sums of ``name`` are exact integers: an integer column whose
        sum of squares (and so every partial sum, in any order) stays below 2^53."""
        if self.entity.columns[name].type != "int":
            return False
        i = self._numeric().index(name)
        table = self._first_pass()
        for n, low, high in zip(table[f"n{i}"], table[f"min{i}"], table[f"max{i}"]):
            if n and n * max(abs(low), abs(high)) ** 2 >= 2.0 ** 53:
                return False
        return True

    def _range(self, name: str) -> float | None:
        """max - min + 1 of an integer column over every cohort (None: unknown or not an integer)."""
        if self._pass is None or name not in self._numeric() or self.entity.columns[name].type != "int":
            return None
        i = self._numeric().index(name)
        lows, highs = self._pass[f"min{i}"].drop_nulls(), self._pass[f"max{i}"].drop_nulls()
        return 0.0 if lows.is_empty() else float(highs.max() - lows.min() + 1)

    def _few(self, name: str) -> bool:
        """An integer column with so small a range that its value counts are a small table."""
        width = self._range(name)
        return width is not None and width <= driver_rank_limit()

    def _countable(self, name: str) -> bool:
        """Counted along with any value counts asked for (they will be asked for next): a
        category or true/false column (few values by the model), or a small-range integer."""
        spec = self.entity.columns.get(name)
        return spec is not None and (spec.type in ("category", "bool") or self._few(name))

    def rows(self) -> dict[str, int]:
        table = self._first_pass()
        found = {label: int(table.filter(pl.col(COHORT) == label)["__rows__"].sum()) for label in self.labels}
        return found

    def moments(self, variables: Sequence[str], references: Mapping[str, float]) -> pl.DataFrame:
        if not variables:
            return empty_moments({g: self.entity.columns[g].polars_type() for g in self.by})
        numeric = self._numeric()
        from_pass = [n for n in variables if n in numeric and (not references.get(n) or self._exact_sums(n))]
        parts = [_shifted_moments(self._first_pass(), name, numeric.index(name), float(references.get(name) or 0.0),
                                  self.by) for name in from_pass]
        others = [n for n in dict.fromkeys(variables) if n not in from_pass]
        if others:
            wide = self._small(self.frame.groupBy(*self._keys()).agg(*_moment_aggregates(others, references)))
            parts += [_moment_rows(wide, name, i, self.by) for i, name in enumerate(others)]
        return order_moments(pl.concat(parts, how="vertical_relaxed"), self.labels, list(variables), self.by)

    # -- value counts ---------------------------------------------------------------------

    def value_counts(self, variables: Sequence[str]) -> dict[str, pl.DataFrame]:
        """Every variable's counts in one job: grouping sets (cohort, groups, variable), told
        apart by ``grouping()``, each value keeping its column's type. Integer columns with a
        small range (known from the first pass) and the other categories of the analysis are
        counted in the same job, for the rank sums, quantiles and counts asked next."""
        variables = list(dict.fromkeys(variables))
        keys = self._keys()
        result = {}
        for name in [n for n in variables if n in self.by]:  # a group column's own values (the group check)
            counts = self._small(self.frame.groupBy(*keys).agg(_functions().count(_functions().lit(1)).alias(_COUNT)))
            part = counts.select(COHORT, *self.by, pl.col(name).alias("value"), pl.col(_COUNT).alias("count"))
            result[name] = order_counts(part, self.entity.columns[name].polars_type(), self.labels, self.by)
        variables = [n for n in variables if n not in self.by]
        missing = [n for n in variables if n not in self._counts]
        if missing:
            along = [n for n in self.columns if self._countable(n) and n not in self._counts and n not in missing]
            self._counts.update(self._grouping_sets([*missing, *along]))
        return {**result, **{n: self._counts[n] for n in variables}}

    def _grouping_sets(self, variables: list[str]) -> dict[str, pl.DataFrame]:
        keys = self._keys()
        sets = [[*keys, name] for name in variables]
        counts = self._small(self.frame.groupingSets(sets, *keys, *[_functions().col(_q(n)) for n in variables]).agg(
            _functions().count(_functions().lit(1)).alias(_COUNT),
            *[_functions().grouping(_q(name)).alias(f"__grouped{i}") for i, name in enumerate(variables)]))
        result = {}
        for i, name in enumerate(variables):
            part = counts.filter(pl.col(f"__grouped{i}") == 0).select(
                COHORT, *self.by, pl.col(name).alias("value"), pl.col(_COUNT).alias("count"))
            result[name] = order_counts(part, self.entity.columns[name].polars_type(), self.labels, self.by)
        return result

    # -- ranks ----------------------------------------------------------------------------

    def rank_sums(self, variables: Sequence[str]) -> dict[str, dict[str, float]]:
        """From value counts where a column has few values (all such columns in one job);
        otherwise from range buckets (:meth:`_bucketed`, all such columns in one job)."""
        variables = list(dict.fromkeys(variables))
        if not variables:
            return {}
        if any(n in self._numeric() for n in variables):
            self._first_pass()  # min and max choose the path (no distinct estimate: it costs a whole pass)
        few = [n for n in variables if n in self._counts or self._few(n)]
        counted = self.value_counts(few) if few else {}
        found = {n: _rank_sums_of_counts(counted[n], self.labels[0]) for n in few}
        many = [n for n in variables if n not in few]
        if many:
            found.update(self._bucketed(many))
        return {n: found[n] for n in variables}

    def _bucketed(self, names: list[str]) -> dict[str, dict[str, float]]:
        """Rank sums of columns with many distinct values, without one task seeing them all:
        values go to range buckets (cuts from one approximate-quantiles job); one job counts
        each distinct value, takes its prefix sum within its bucket (a window per bucket) and
        sums per bucket; the driver adds the rows of the buckets below."""
        from pyspark.sql import Window

        functions = _functions()
        values = [functions.col(_q(n)).cast("double") for n in names]
        probabilities = [i / RANK_BUCKETS for i in range(1, RANK_BUCKETS)]
        cut_row = self.frame.agg(*[functions.percentile_approx(v, probabilities, 1000).alias(f"c{i}")
                                   for i, v in enumerate(values)]).collect()[0]
        in_a = (functions.col(LABEL) == self.labels[0]).cast("long")
        stacked = None
        for i, value in enumerate(values):
            cuts = sorted(set(cut_row[f"c{i}"] or []))
            bucket = sum((functions.when(value > functions.lit(c), 1).otherwise(0) for c in cuts), functions.lit(0))
            part = (self.frame.where(value.isNotNull())
                    .select(functions.lit(i).alias("variable"), bucket.alias("bucket"), value.alias("value"),
                            in_a.alias("a")))
            stacked = part if stacked is None else stacked.unionByName(part)
        counts = stacked.groupBy("variable", "bucket", "value").agg(
            functions.count(functions.lit(1)).alias("t"), functions.sum("a").alias("in_a"))
        within = (Window.partitionBy("variable", "bucket").orderBy("value")
                  .rowsBetween(Window.unboundedPreceding, Window.currentRow))
        t = functions.col("t").cast("double")
        below_in_bucket = functions.sum(t).over(within) - t
        ranked = counts.select("variable", "bucket", "t", "in_a",
                               ((below_in_bucket + (t + 1) / 2) * functions.col("in_a").cast("double")).alias("r"),
                               (t * t * t - t).alias("ties"))
        per_bucket = _to_polars(ranked.groupBy("variable", "bucket").agg(
            functions.sum("r").alias("r"), functions.sum("ties").alias("ties"),
            functions.sum("t").alias("size"), functions.sum("in_a").alias("in_a")))
        found = {}
        for i, name in enumerate(names):
            part = per_bucket.filter(pl.col("variable") == i).sort("bucket")
            offset = part["size"].cast(pl.Float64).cum_sum() - part["size"].cast(pl.Float64)
            n, n_a = int(part["size"].sum() or 0), int(part["in_a"].sum() or 0)
            found[name] = {"n_a": n_a, "n_b": n - n_a,
                           "rank_sum_a": float((part["r"] + offset * part["in_a"].cast(pl.Float64)).sum() or 0.0),
                           "ties": float(part["ties"].sum() or 0.0)}
        return found

    # -- survival, quantiles, values --------------------------------------------------------

    def event_counts(self, time: str, event: str, group: str | None) -> pl.DataFrame:
        functions = _functions()
        if group == COHORT:
            group_column = functions.col(LABEL)
        else:
            group_column = functions.col(_q(group)) if group else functions.lit(None).cast("string")
        counts = (
            self.frame.groupBy(group_column.alias(GROUP), functions.col(_q(time)).alias("time"))
            .agg(functions.sum(functions.col(_q(event)).cast("bigint")).alias("n_event"),
                 functions.count(functions.col(_q(event))).alias("rows"), functions.count(functions.lit(1)).alias("all"))
        )
        table = _to_polars(counts).with_columns(pl.col("n_event").fill_null(0))
        if group and group != COHORT:
            table = typed(table.rename({GROUP: group}), self.entity, [group]).rename({group: GROUP})
        if time in self.entity.columns:
            table = typed(table.rename({"time": time}), self.entity, [time]).rename({time: "time"})
        return table

    def quantiles(self, variables: Sequence[str], probabilities: Sequence[float]) -> pl.DataFrame:
        """Integer columns with a small range: from their value counts (exact, in the driver);
        the others by Spark's exact ``percentile``, all in one job."""
        probs = [float(p) for p in probabilities]
        few = [n for n in variables if self._few(n)]
        parts = []
        if few:
            counted = self.value_counts(few)
            parts += [quantiles_of_counts(counted[n], n, probs, self.by) for n in few]
        rest = [n for n in variables if n not in few]
        if rest:
            parts += self._percentiles(rest, probs)
        columns = [COHORT, *self.by, "variable", "probability", "value"]
        table = pl.concat([part.select(columns) for part in parts], how="vertical_relaxed")
        return order_quantiles(table, self.labels, list(variables), self.by)

    def _percentiles(self, variables: list[str], probs: list[float]) -> list[pl.DataFrame]:
        functions = _functions()
        # percentile (not percentile_approx) is exact and interpolates linearly, as polars' "linear".
        wide = self._small(self.frame.groupBy(*self._keys()).agg(*[
            functions.percentile(functions.col(_q(name)).cast("double"),
                                 functions.array(*[functions.lit(p) for p in probs])).alias(f"q{i}")
            for i, name in enumerate(variables)
        ]))
        parts = []
        for i, name in enumerate(variables):
            exploded = wide.select(COHORT, *self.by, pl.col(f"q{i}").fill_null([None] * len(probs))).explode(f"q{i}")
            parts.append(exploded.with_columns(
                pl.lit(name).alias("variable"),
                pl.Series("probability", probs * wide.height, dtype=pl.Float64),
            ).rename({f"q{i}": "value"}))
        return parts

    def values(self, variable: str) -> pl.DataFrame:
        functions = _functions()
        rows = self.frame.where(functions.col(_q(variable)).isNotNull()).select(
            LABEL, functions.col(_q(variable)).alias("value"))
        table = self._small(rows)
        return typed(table.rename({"value": variable}), self.entity, [variable]).rename({variable: "value"})


def _functions():
    """pyspark's functions module (imported only when Spark is used)."""
    from pyspark.sql import functions

    return functions


def caching() -> bool:
    """Whether analyses cache their rows in Spark (``DATAPRODUCT_SPARK_CACHE=1``; off by default)."""
    return os.environ.get(CACHE_ENV, "").strip().lower() in ("1", "true", "yes")


def _moment_aggregates(variables: Sequence[str], references: Mapping[str, float]) -> list:
    functions = _functions()
    aggregates = []
    for i, name in enumerate(variables):
        value = functions.col(_q(name)).cast("double")
        shifted = value - functions.lit(float(references.get(name, 0.0))) if references.get(name) else value
        aggregates += [
            functions.count(value).alias(f"n{i}"),
            functions.sum(functions.when(value.isNull(), 1).otherwise(0)).alias(f"missing{i}"),
            functions.sum(shifted).alias(f"sum{i}"), functions.sum(shifted * shifted).alias(f"sum_sq{i}"),
            functions.min(value).alias(f"min{i}"), functions.max(value).alias(f"max{i}"),
        ]
    return aggregates


def _moment_rows(wide: pl.DataFrame, name: str, i: int, by: Sequence[str]) -> pl.DataFrame:
    return wide.select(pl.col(COHORT), *by, pl.lit(name).alias("variable"),
                       *[pl.col(f"{key}{i}").alias(key) for key in ("n", "missing", "sum", "sum_sq", "min", "max")])


def _shifted_moments(first: pl.DataFrame, name: str, i: int, reference: float, by: Sequence[str]) -> pl.DataFrame:
    """The moments of ``name`` around ``reference`` from the unshifted sums of the first pass:
    sum(x - r) = S1 - n r and sum((x - r)^2) = S2 - 2 r S1 + n r^2, in exact rational arithmetic
    (only asked where S1 and S2 are exact integers, see :meth:`SparkReducers._exact_sums`)."""
    table = _moment_rows(first, name, i, by)
    if not reference:
        return table
    r = Fraction(reference)
    sums, squares = [], []
    for n, s1, s2 in zip(table["n"], table["sum"], table["sum_sq"]):
        s1, s2 = Fraction(s1 or 0), Fraction(s2 or 0)
        sums.append(float(s1 - n * r))
        squares.append(float(s2 - 2 * r * s1 + n * r * r))
    return table.with_columns(pl.Series("sum", sums, dtype=pl.Float64), pl.Series("sum_sq", squares, dtype=pl.Float64))


def _rank_sums_of_counts(counts: pl.DataFrame, first: str) -> dict[str, float]:
    """Mann-Whitney's ingredients from (cohort, *by, value, count), the first cohort against the rest."""
    table = counts.select(COHORT, pl.col("value").cast(pl.Float64), "count")
    return rank_sums(table, first)
