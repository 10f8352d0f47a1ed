"""The backend interface: reducers that turn many rows into small tables, and the driver
code that finishes them the same way for every backend.

A backend (polars in process, Spark on a cluster) only filters, groups and sums; all
statistics are finished in the driver on the small tables, so every engine runs the same
Kaplan-Meier, log-rank, Welch, Mann-Whitney, chi-square/Fisher and BH code. Reducers:

- :meth:`Backend.moments`: per (cohort, variable) n, missing, and sums of the values
  shifted by a per-column reference (so variances stay exact at large offsets);
- :meth:`Backend.value_counts`: per variable, (cohort, value, count) - also the
  contingency table and, through :func:`rank_sums`, Mann-Whitney without a global sort;
- :meth:`Backend.event_counts`: per (group, time) rows and events (finished by
  :func:`event_table`);
- :meth:`Backend.quantiles`: exact, linearly interpolated quantiles per cohort;
- :meth:`Backend.frame`: a filtered, projected frame for plugins.

Results are ordered in the driver (cohorts as given, values in the model's order - Spark
sees categories as text and would sort them alphabetically).
"""

from __future__ import annotations

from typing import Mapping, Protocol, Sequence

import polars as pl

from ..cohort import Cohort
from ..model import Entity

COHORT = "cohort"
GROUP = "group"


class Backend(Protocol):
    """What an engine must do; everything else happens in the driver."""

    name: str

    def version(self) -> str: ...

    def moments(self, snapshot, entity: Entity, cohorts: Mapping[str, Cohort], variables: Sequence[str],
                references: Mapping[str, float]) -> pl.DataFrame:
        """cohort, variable, n, missing, sum, sum_sq (of value - reference), min, max."""

    def value_counts(self, snapshot, entity: Entity, cohorts: Mapping[str, Cohort],
                     variables: Sequence[str]) -> dict[str, pl.DataFrame]:
        """Per variable: cohort, value (the column's type, null kept), count."""

    def event_counts(self, snapshot, entity: Entity, cohort: Cohort, time: str, event: str,
                     group: str | None) -> pl.DataFrame:
        """group, time, rows (with an event value), n_event - unordered, unfiltered."""

    def quantiles(self, snapshot, entity: Entity, cohorts: Mapping[str, Cohort], variables: Sequence[str],
                  probabilities: Sequence[float]) -> pl.DataFrame:
        """cohort, variable, probability, value (exact, linear interpolation, nulls skipped)."""

    def frame(self, snapshot, entity: Entity, cohort: Cohort, columns: Sequence[str]) -> pl.DataFrame:
        """The cohort's rows, projected, in snapshot order."""


# -- finishing in the driver (the same for every backend) -------------------------------------


MOMENTS_SCHEMA = {
    COHORT: pl.String, "variable": pl.String, "n": pl.Int64, "missing": pl.Int64,
    "sum": pl.Float64, "sum_sq": pl.Float64, "min": pl.Float64, "max": pl.Float64,
}


def order_moments(table: pl.DataFrame, cohorts: Sequence[str], variables: Sequence[str]) -> pl.DataFrame:
    """Cohorts and variables in the order asked, with the schema every backend returns."""
    rank = {(c, v): i for i, (c, v) in enumerate((c, v) for c in cohorts for v in variables)}
    table = table.select(list(MOMENTS_SCHEMA)).cast(MOMENTS_SCHEMA)
    order = [rank[(c, v)] for c, v in zip(table[COHORT], table["variable"])]
    return table.with_columns(pl.Series("_order", order)).sort("_order").drop("_order")


def finish_moments(table: pl.DataFrame, references: Mapping[str, float]) -> pl.DataFrame:
    """Mean and sample variance from shifted sums: var = (S2 - S1^2/n) / (n - 1), with S1 and
    S2 over (x - reference), so a column near 1e9 loses no digits to cancellation."""
    reference = pl.col("variable").replace_strict(dict(references), default=0.0, return_dtype=pl.Float64)
    n = pl.col("n").cast(pl.Float64)
    return table.with_columns(
        pl.when(pl.col("n") > 0).then(pl.col("sum") / n + reference).alias("mean"),
        pl.when(pl.col("n") > 1).then(((pl.col("sum_sq") - pl.col("sum") ** 2 / n) / (n - 1)).clip(lower_bound=0.0))
        .alias("var"),
    )


def order_counts(table: pl.DataFrame, column_type: pl.DataType, cohorts: Sequence[str]) -> pl.DataFrame:
    """(cohort, value, count) with values in the model's type and order, nulls last."""
    rank = {c: i for i, c in enumerate(cohorts)}
    typed = table.select(
        pl.col(COHORT).cast(pl.String),
        pl.col("value").cast(pl.String).cast(column_type) if isinstance(column_type, pl.Enum) else
        pl.col("value").cast(column_type),
        pl.col("count").cast(pl.Int64),
    )
    return (typed.with_columns(pl.col(COHORT).replace_strict(rank, return_dtype=pl.Int64).alias("_order"))
            .sort("_order", "value", nulls_last=True).drop("_order"))


def rank_sums(counts: pl.DataFrame, first: str) -> dict[str, float]:
    """Mann-Whitney's ingredients from value counts of two cohorts, without ranking rows:
    each distinct value's average rank is its prefix count plus (ties + 1) / 2.

    Returns n_a, n_b, rank_sum_a and ties (sum of t^3 - t), as the rank-based path does."""
    present = counts.filter(pl.col("value").is_not_null())
    wide = (present.with_columns((pl.col(COHORT) == first).alias("_a"))
            .group_by("value").agg(pl.col("count").sum().alias("t"),
                                   pl.col("count").filter(pl.col("_a")).sum().alias("in_a"))
            .sort("value"))
    t = wide["t"].cast(pl.Float64)
    below = t.cum_sum() - t
    average_rank = below + (t + 1) / 2
    return {
        "n_a": int(wide["in_a"].sum()),
        "n_b": int(wide["t"].sum() - wide["in_a"].sum()),
        "rank_sum_a": float((average_rank * wide["in_a"].cast(pl.Float64)).sum()),
        "ties": float((t ** 3 - t).sum()),
    }


EVENTS_SCHEMA = {GROUP: pl.String, "time": pl.Float64, "n_risk": pl.Int64, "n_event": pl.Int64, "n_censor": pl.Int64}


def event_table(counts: pl.DataFrame, group_type: pl.DataType | None) -> pl.DataFrame:
    """Per (group, time): n_risk, n_event, n_censor from :meth:`Backend.event_counts`, ordered
    by the group's model order then time (the table Kaplan-Meier and log-rank start from)."""
    typed = counts.with_columns(
        pl.col(GROUP).cast(pl.String).cast(group_type) if group_type is not None else pl.col(GROUP).cast(pl.String),
        pl.col("time").cast(pl.Float64), pl.col("rows").cast(pl.Int64), pl.col("n_event").cast(pl.Int64),
    )
    return (
        typed.filter(pl.col("time").is_not_null() & (pl.col("rows") > 0))
        .sort(GROUP, "time", nulls_last=True)
        .with_columns(
            pl.col(GROUP).cast(pl.String),
            pl.col("rows").reverse().cum_sum().reverse().over(GROUP).alias("n_risk"),
            (pl.col("rows") - pl.col("n_event")).alias("n_censor"),
        )
        .select(list(EVENTS_SCHEMA)).cast(EVENTS_SCHEMA)
    )


QUANTILES_SCHEMA = {COHORT: pl.String, "variable": pl.String, "probability": pl.Float64, "value": pl.Float64}


def order_quantiles(table: pl.DataFrame, cohorts: Sequence[str], variables: Sequence[str]) -> pl.DataFrame:
    rank = {(c, v): i for i, (c, v) in enumerate((c, v) for c in cohorts for v in variables)}
    table = table.select(list(QUANTILES_SCHEMA)).cast(QUANTILES_SCHEMA)
    order = [rank[(c, v)] for c, v in zip(table[COHORT], table["variable"])]
    return table.with_columns(pl.Series("_order", order, dtype=pl.Int64)).sort("_order", "probability").drop("_order")
