"""The backend interface: reducers that turn many rows into small tables, and the driver
code that finishes them the same way for every backend.

A backend (polars in process, Spark on a cluster) only filters, groups and sums; all
statistics are finished in the driver on the small tables, so every engine runs the same
Kaplan-Meier, log-rank, Welch, Mann-Whitney, chi-square/Fisher and BH code.

:meth:`Backend.reducers` binds a backend to named cohorts of one entity (optionally grouped
by columns, ``by``) and the columns an analysis needs; the returned :class:`Reducers`
reduce those rows, reading them once (polars reduces each cohort on the scan, then from the
second reduction on on its projected rows collected once; Spark caches them):

- :meth:`Reducers.rows`: rows per cohort;
- :meth:`Reducers.moments`: per (cohort, groups, variable) n, missing, and sums of the values
  shifted by a per-column reference (so variances stay exact at large offsets);
- :meth:`Reducers.value_counts`: per variable, (cohort, groups, value, count) - the
  contingency table;
- :meth:`Reducers.rank_sums`: Mann-Whitney's rank sum and tie term of the first cohort,
  from counts per distinct value (never a sort of every row);
- :meth:`Reducers.event_counts`: per (group, time) rows and events;
- :meth:`Reducers.quantiles`: exact, linearly interpolated quantiles;
- :meth:`Reducers.values`: the few values of small cohorts (the exact Mann-Whitney test).

:meth:`Backend.frame` is the filtered, projected frame for plugins and the ``frame``
built-in. Missing values are null, and NaN in float columns (the engine's one rule).
Results are ordered in the driver (cohorts as given, values in the model's order - Spark
sees categories as text and would sort them alphabetically).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Protocol, Sequence

import polars as pl

from ..cohort import Cohort
from ..model import Entity

COHORT = "cohort"
GROUP = "group"
# The cohort label inside a backend's rows (a model column may be called "cohort").
LABEL = "__dataproduct_cohort__"


class Reducers(Protocol):
    """A backend bound to named cohorts of one entity; every method returns a small table."""

    labels: list[str]
    by: list[str]

    def rows(self) -> dict[str, int]:
        """Rows per cohort label."""

    def column_type(self, name: str) -> pl.DataType:
        """A column's type (the model's)."""

    def moments(self, variables: Sequence[str], references: Mapping[str, float]) -> pl.DataFrame:
        """cohort, *by, variable, n, missing, sum, sum_sq (of value - reference), min, max."""

    def value_counts(self, variables: Sequence[str]) -> dict[str, pl.DataFrame]:
        """Per variable: cohort, *by, value (the column's type, null kept), count."""

    def rank_sums(self, variables: Sequence[str]) -> dict[str, dict[str, float]]:
        """Per variable, the first cohort against the second: n_a, n_b, rank_sum_a, ties."""

    def event_counts(self, time: str, event: str, group: str | None) -> pl.DataFrame:
        """group (a column, the cohort label if ``group == COHORT``, or null), time, rows (with an
        event value), n_event, all (every row) - unordered."""

    def quantiles(self, variables: Sequence[str], probabilities: Sequence[float]) -> pl.DataFrame:
        """cohort, *by, variable, probability, value (exact, linear interpolation, nulls skipped)."""

    def values(self, variable: str) -> pl.DataFrame:
        """cohort, value: the non-missing values (only asked of small cohorts)."""

    def release(self) -> None:
        """Free what the rows hold (Spark's cache)."""


class Backend(Protocol):
    """What an engine must do; everything else happens in the driver."""

    name: str

    def version(self) -> str: ...

    def reducers(self, snapshot: Any, entity: Entity, cohorts: Mapping[str, Cohort], columns: Sequence[str],
                 by: Sequence[str] = ()) -> Reducers: ...

    def frame(self, snapshot: Any, entity: Entity, cohort: Cohort, columns: Sequence[str],
              order_by: Sequence[str] = (), limit: int | None = None) -> pl.DataFrame:
        """The cohort's rows, projected, in snapshot order (or sorted by ``order_by``)."""


class SnapshotReducers:
    """Convenience reducers over a snapshot, one call each (tests, benchmarks)."""

    def moments(self, snapshot, entity, cohorts, variables, references) -> pl.DataFrame:
        return self.reducers(snapshot, entity, cohorts, variables).moments(variables, references)

    def value_counts(self, snapshot, entity, cohorts, variables) -> dict[str, pl.DataFrame]:
        return self.reducers(snapshot, entity, cohorts, variables).value_counts(variables)

    def quantiles(self, snapshot, entity, cohorts, variables, probabilities) -> pl.DataFrame:
        return self.reducers(snapshot, entity, cohorts, variables).quantiles(variables, probabilities)

    def event_counts(self, snapshot, entity, cohort, time, event, group) -> pl.DataFrame:
        columns = list(dict.fromkeys(c for c in (group, time, event) if c))
        counts = self.reducers(snapshot, entity, {"all": cohort}, columns).event_counts(time, event, group)
        return counts.drop("all")


def everyone(entity_name: str) -> Cohort:
    """The cohort of every row."""
    return Cohort(entity_name, {"and": []})


def both(a: Cohort, b: Cohort) -> Cohort:
    """The rows in both cohorts."""
    return Cohort(a.entity, {"and": [a.tree, b.tree]})


# -- finishing in the driver (the same for every backend) -------------------------------------


MOMENTS_SCHEMA = {
    COHORT: pl.String, "variable": pl.String, "n": pl.Int64, "missing": pl.Int64,
    "sum": pl.Float64, "sum_sq": pl.Float64, "min": pl.Float64, "max": pl.Float64,
}


def typed(frame: pl.DataFrame, entity: Entity, columns: Sequence[str]) -> pl.DataFrame:
    """Columns back in the model's types (categories arrive from Spark as text)."""
    casts = []
    for name in columns:
        if name not in entity.columns or name not in frame.columns:
            continue
        kind = entity.columns[name].polars_type()
        column = pl.col(name)
        casts.append(column.cast(pl.String).cast(kind) if isinstance(kind, (pl.Enum, pl.Categorical))
                     else column.cast(kind))
    return frame.with_columns(casts) if casts else frame


def _order(table: pl.DataFrame, keys: Sequence[tuple[str, str]], extra: Sequence[str] = ()) -> pl.DataFrame:
    rank = {key: i for i, key in enumerate(keys)}
    order = [rank[(c, v)] for c, v in zip(table[COHORT], table["variable"])]
    return (table.with_columns(pl.Series("_order", order, dtype=pl.Int64))
            .sort("_order", *extra, maintain_order=True).drop("_order"))


def order_moments(table: pl.DataFrame, cohorts: Sequence[str], variables: Sequence[str],
                  by: Sequence[str] = ()) -> pl.DataFrame:
    """Cohorts and variables in the order asked, with the schema every backend returns.

    Without groups every (cohort, variable) has a row (an empty cohort: n = 0)."""
    schema = {COHORT: pl.String, **{g: table.schema[g] for g in by}, **{k: t for k, t in MOMENTS_SCHEMA.items() if k != COHORT}}
    table = table.select(list(schema)).cast(schema)
    if not by:
        grid = pl.DataFrame({COHORT: [c for c in cohorts for _ in variables], "variable": [v for _ in cohorts for v in variables]},
                            schema={COHORT: pl.String, "variable": pl.String})
        table = grid.join(table, on=[COHORT, "variable"], how="left").with_columns(
            pl.col("n").fill_null(0), pl.col("missing").fill_null(0)).select(list(schema))
    table = table.with_columns(pl.col("sum").fill_null(0.0), pl.col("sum_sq").fill_null(0.0))  # Spark: null
    return _order(table, [(c, v) for c in cohorts for v in variables], by)


def empty_moments(by: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The moments table of no variables (``by``: the group columns' types)."""
    return pl.DataFrame(schema={COHORT: pl.String, **by,
                                **{k: t for k, t in MOMENTS_SCHEMA.items() if k != COHORT}})


def shifted_mean_and_variance(n: int, total: float | None, squares: float | None, low: float | None,
                              high: float | None) -> tuple[float | None, float | None]:
    """Mean and sample variance of the shifted values: var = (S2 - S1^2/n) / (n - 1); exactly 0
    where every value is equal (rounding would leave a tiny variance there)."""
    if not n:
        return None, None
    mean = total / n
    if n < 2:
        return mean, None
    if low is not None and low == high:
        return mean, 0.0
    return mean, max((squares - total * total / n) / (n - 1), 0.0)


def finish_moments(table: pl.DataFrame, references: Mapping[str, float]) -> pl.DataFrame:
    """Mean and sample variance from shifted sums (see :func:`shifted_mean_and_variance`), with
    S1 and S2 over (x - reference), so a column near 1e9 loses no digits to cancellation."""
    means, variances = [], []
    for row in table.iter_rows(named=True):
        mean, var = shifted_mean_and_variance(row["n"], row["sum"], row["sum_sq"], row["min"], row["max"])
        means.append(None if mean is None else mean + references.get(row["variable"], 0.0))
        variances.append(var)
    return table.with_columns(pl.Series("mean", means, dtype=pl.Float64), pl.Series("var", variances, dtype=pl.Float64))


def order_counts(table: pl.DataFrame, column_type: pl.DataType, cohorts: Sequence[str],
                 by: Sequence[str] = ()) -> pl.DataFrame:
    """(cohort, *by, value, count) with values in the model's type and order, nulls last."""
    rank = {c: i for i, c in enumerate(cohorts)}
    value = pl.col("value")
    typed_value = (value.cast(pl.String).cast(column_type) if isinstance(column_type, (pl.Enum, pl.Categorical))
                   else value.cast(column_type))
    typed_table = table.select(pl.col(COHORT).cast(pl.String), *by, typed_value, pl.col("count").cast(pl.Int64))
    return (typed_table.with_columns(pl.col(COHORT).replace_strict(rank, return_dtype=pl.Int64).alias("_order"))
            .sort("_order", *by, "value", nulls_last=True).drop("_order"))


def rank_sums(counts: pl.DataFrame, first: str) -> dict[str, float]:
    """Mann-Whitney's ingredients from value counts of two cohorts, without ranking rows:
    each distinct value's average rank is its prefix count plus (ties + 1) / 2.

    Returns n_a, n_b, rank_sum_a and ties (sum of t^3 - t), as the rank-based path does."""
    present = counts.filter(pl.col("value").is_not_null())
    wide = (present.with_columns((pl.col(COHORT) == first).alias("_a"))
            .group_by("value").agg(pl.col("count").sum().alias("t"),
                                   pl.col("count").filter(pl.col("_a")).sum().alias("in_a"))
            .sort("value"))
    return rank_sums_of_sorted(wide["t"], wide["in_a"])


def rank_sums_of_sorted(t: pl.Series, in_a: pl.Series) -> dict[str, float]:
    """The rank sum of cohort A and the tie term from counts per distinct value, in value order."""
    t = t.cast(pl.Float64)
    below = t.cum_sum() - t
    average_rank = below + (t + 1) / 2
    return {
        "n_a": int(in_a.sum()),
        "n_b": int(t.sum() - in_a.sum()),
        "rank_sum_a": float((average_rank * in_a.cast(pl.Float64)).sum()),
        "ties": float((t ** 3 - t).sum()),
    }


EVENTS_SCHEMA = {GROUP: pl.String, "time": pl.Float64, "n_risk": pl.Int64, "n_event": pl.Int64, "n_censor": pl.Int64}


def event_table(counts: pl.DataFrame, group_type: pl.DataType | None) -> pl.DataFrame:
    """Per (group, time): n_risk, n_event, n_censor from :meth:`Reducers.event_counts`, ordered
    by the group's model order then time (the table Kaplan-Meier and log-rank start from)."""
    typed_counts = counts.with_columns(
        pl.col(GROUP).cast(pl.String).cast(group_type) if group_type is not None else pl.col(GROUP).cast(pl.String),
        pl.col("time").cast(pl.Float64), pl.col("rows").cast(pl.Int64), pl.col("n_event").cast(pl.Int64),
    )
    return (
        typed_counts.filter(pl.col("time").is_not_null() & (pl.col("rows") > 0))
        .sort(GROUP, "time", nulls_last=True)
        .with_columns(
            pl.col(GROUP).cast(pl.String),
            pl.col("rows").reverse().cum_sum().reverse().over(GROUP).alias("n_risk"),
            (pl.col("rows") - pl.col("n_event")).alias("n_censor"),
        )
        .select(list(EVENTS_SCHEMA)).cast(EVENTS_SCHEMA)
    )


QUANTILES_SCHEMA = {COHORT: pl.String, "variable": pl.String, "probability": pl.Float64, "value": pl.Float64}


def order_quantiles(table: pl.DataFrame, cohorts: Sequence[str], variables: Sequence[str],
                    by: Sequence[str] = ()) -> pl.DataFrame:
    schema = {COHORT: pl.String, **{g: table.schema[g] for g in by},
              **{k: t for k, t in QUANTILES_SCHEMA.items() if k != COHORT}}
    table = table.select(list(schema)).cast(schema)
    return _order(table, [(c, v) for c in cohorts for v in variables], [*by, "probability"])


def quantiles_of_counts(counts: pl.DataFrame, variable: str, probabilities: Sequence[float],
                        by: Sequence[str] = ()) -> pl.DataFrame:
    """Exact quantiles (linear interpolation, as polars' ``"linear"``) from value counts
    (cohort, *by, value, count): per group, the order statistics at floor and ceil of
    (n - 1) p are found by the cumulative counts, never by sorting rows. Groups without a
    value get nulls. Returns cohort, *by, variable, probability, value (unordered)."""
    import numpy as np

    keys = [COHORT, *by]
    rows = []
    for group, part in counts.partition_by(keys, as_dict=True, maintain_order=True).items():
        present = part.filter(pl.col("value").is_not_null()).sort("value")
        values = present["value"].cast(pl.Float64).to_numpy()
        ends = np.cumsum(present["count"].to_numpy())  # rank (0-based) k lies at the first end > k
        n = int(ends[-1]) if len(ends) else 0
        for p in probabilities:
            value = None
            if n:
                position = (n - 1) * float(p)
                low, high = int(math.floor(position)), int(math.ceil(position))
                lower, upper = (float(values[np.searchsorted(ends, k, side="right")]) for k in (low, high))
                value = lower if lower == upper else (position - low) * (upper - lower) + lower
            rows.append((*group, variable, float(p), value))
    schema = {COHORT: pl.String, **{g: counts.schema[g] for g in by}, "variable": pl.String,
              "probability": pl.Float64, "value": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")
