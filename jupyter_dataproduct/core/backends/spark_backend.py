"""The Spark backend: the same reducers as :mod:`polars_backend`, run by a Spark session
(``local[n]`` or Spark Connect) over the snapshot's Parquet files.

Only small tables come back to the driver (through Arrow). Ranks are never computed in
Spark (an unpartitioned window moves every row to one task): Mann-Whitney uses value counts.
Categories arrive as text and are put back in the model's order by the driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import polars as pl

from ..cohort import Cohort
from ..model import Entity
from .choice import EngineChoice
from .reducers import COHORT, GROUP, order_counts, order_moments, order_quantiles
from .spark_cohort import spark_expression
from .spark_session import spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _to_polars(frame: "DataFrame") -> pl.DataFrame:
    return pl.from_arrow(frame.toArrow())


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class SparkBackend:
    name = "spark"

    def __init__(self, choice: EngineChoice) -> None:
        self.choice = choice
        self.session = spark_session(choice)

    def version(self) -> str:
        return self.session.version

    def _rows(self, snapshot, entity: Entity, cohort: Cohort) -> "DataFrame":
        rows = self.session.read.parquet(self._location(snapshot, cohort.entity))
        return rows if cohort.is_everyone else rows.filter(spark_expression(cohort, entity))

    @staticmethod
    def _location(snapshot, entity_name: str) -> str:
        # Local snapshots by path; snapshots in object storage by URL (needs hadoop-aws on the cluster).
        return snapshot.entity_url(entity_name) if hasattr(snapshot, "entity_url") else str(snapshot.entity_file(entity_name))

    def _labelled(self, snapshot, entity, cohorts: Mapping[str, Cohort], columns: Sequence[str]) -> "DataFrame":
        from pyspark.sql import functions as F

        frames = [self._rows(snapshot, entity, cohort).select(F.lit(label).alias(COHORT), *[F.col(_q(c)) for c in columns])
                  for label, cohort in cohorts.items()]
        result = frames[0]
        for frame in frames[1:]:
            result = result.unionByName(frame)
        return result

    def moments(self, snapshot, entity, cohorts, variables, references) -> pl.DataFrame:
        from pyspark.sql import functions as F

        rows = self._labelled(snapshot, entity, cohorts, variables)
        aggregates = []
        for i, name in enumerate(variables):
            value = F.col(_q(name)).cast("double")
            shifted = value - F.lit(float(references.get(name, 0.0)))
            aggregates += [
                F.count(value).alias(f"n{i}"), F.sum(F.when(value.isNull(), 1).otherwise(0)).alias(f"missing{i}"),
                F.sum(shifted).alias(f"sum{i}"), F.sum(shifted * shifted).alias(f"sum_sq{i}"),
                F.min(value).alias(f"min{i}"), F.max(value).alias(f"max{i}"),
            ]
        wide = _to_polars(rows.groupBy(COHORT).agg(*aggregates))  # one scan for every variable
        table = pl.concat([
            wide.select(pl.col(COHORT), pl.lit(name).alias("variable"),
                        *[pl.col(f"{key}{i}").alias(key) for key in ("n", "missing", "sum", "sum_sq", "min", "max")])
            for i, name in enumerate(variables)
        ], how="vertical_relaxed")
        return order_moments(table, list(cohorts), list(variables))

    def value_counts(self, snapshot, entity, cohorts, variables) -> dict[str, pl.DataFrame]:
        from pyspark.sql import functions as F

        rows = self._labelled(snapshot, entity, cohorts, variables)
        result = {}
        for name in variables:
            counts = rows.groupBy(COHORT, F.col(_q(name)).alias("value")).agg(F.count(F.lit(1)).alias("count"))
            result[name] = order_counts(_to_polars(counts), entity.columns[name].polars_type(), list(cohorts))
        return result

    def event_counts(self, snapshot, entity, cohort, time, event, group) -> pl.DataFrame:
        from pyspark.sql import functions as F

        group_column = F.col(_q(group)) if group else F.lit(None).cast("string")
        counts = (
            self._rows(snapshot, entity, cohort)
            .select(group_column.alias(GROUP), F.col(_q(time)).alias("time"), F.col(_q(event)).alias("_event"))
            .groupBy(GROUP, "time")
            .agg(F.count("_event").alias("rows"), F.sum(F.col("_event").cast("bigint")).alias("n_event"))
        )
        return _to_polars(counts).with_columns(pl.col("n_event").fill_null(0))

    def quantiles(self, snapshot, entity, cohorts, variables, probabilities) -> pl.DataFrame:
        from pyspark.sql import functions as F

        rows = self._labelled(snapshot, entity, cohorts, variables)
        probs = [float(p) for p in probabilities]
        # percentile (not percentile_approx) is exact and interpolates linearly, as polars' "linear".
        wide = _to_polars(rows.groupBy(COHORT).agg(*[
            F.percentile(F.col(_q(name)).cast("double"), F.array(*[F.lit(p) for p in probs])).alias(f"q{i}")
            for i, name in enumerate(variables)
        ]))
        parts = []
        for i, name in enumerate(variables):
            exploded = wide.select(COHORT, pl.col(f"q{i}")).with_columns(
                pl.col(f"q{i}").fill_null([None] * len(probs))
            ).explode(f"q{i}")
            parts.append(exploded.with_columns(
                pl.lit(name).alias("variable"),
                pl.Series("probability", probs * wide.height, dtype=pl.Float64),
            ).rename({f"q{i}": "value"}))
        return order_quantiles(pl.concat(parts, how="vertical_relaxed"), list(cohorts), list(variables))

    def frame(self, snapshot, entity, cohort, columns) -> pl.DataFrame:
        from pyspark.sql import functions as F

        rows = self._rows(snapshot, entity, cohort).select(*[F.col(_q(c)) for c in columns])
        frame = _to_polars(rows)
        schema = {c: entity.columns[c].polars_type() for c in columns if c in entity.columns}
        return frame.with_columns(
            pl.col(c).cast(pl.String).cast(t) if isinstance(t, pl.Enum) else pl.col(c).cast(t) for c, t in schema.items()
        )
