"""Kaplan-Meier curves and the log-rank test from event tables.

polars reduces any number of rows to an event table (per group and distinct time: the
events, censorings and rows), and everything else is arithmetic on that small table.
Definitions follow R's ``survival`` package (checked against it to 1e-6):

- ``survfit`` with ``conf.type = "log"``: Greenwood's variance, ``std_err`` the standard
  error of the survival estimate (as ``summary(survfit)``), CIs ``S * exp(+-z * se(log S))``
  with the upper limit capped at 1; where S reaches 0 the standard error and limits are
  null (R: NaN / NA).
- Medians and their limits as ``print(survfit)``: the first time the curve (the lower band,
  the upper band) is at or below 0.5; where it sits exactly at 0.5 (within sqrt(machine
  epsilon)), the midpoint to the next lower step. A curve that never gets there has none.
- Times closer than sqrt(machine epsilon), absolutely or relative to the mean absolute time,
  are one time (R's default ``timefix = TRUE``): e.g. epoch seconds 1.5e9 and 1.5e9 + 1.
- ``survdiff`` (rho = 0): tied times are handled as R does (all events at a time, before
  censorings at that time). Groups with no expected events are left out of the test (as
  R); with fewer than two left, chi-square is 0 and p is null (R: NaN, or 1 with zero
  degrees of freedom); a singular variance (e.g. everyone at risk dies at one time) gives a
  null chi-square and a note instead of an error.
- Missing values: rows without a time or an event (null, or NaN in a float column) are
  dropped and counted; so are rows whose group is missing (R drops them with ``na.omit``).
- The event must be true/false or 0/1; other codes (R's 1/2) are refused, not summed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..errors import DataError, ParameterError
from ..backends.polars_backend import PolarsReducers
from ..backends.reducers import Reducers
from .columns import require_columns
from .distributions import chi2_sf, normal_quantile

GROUP = "group"
# R's tolerance for a curve sitting exactly at the median (survmean's minmin) and for
# times that count as equal (aeqSurv).
_MEDIAN_TOLERANCE = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True)
class EventTable:
    """Per (group, time): n_risk, n_event, n_censor; and how many rows were left out."""

    table: pl.DataFrame
    missing_rows: int = 0  # no time or no event (null or NaN)
    null_group_rows: int = 0  # a group column was given and the row's group is missing

    def notes(self) -> list[str]:
        """What a reader of the results must know about the rows left out."""
        notes = []
        if self.missing_rows:
            notes.append(f"{self.missing_rows} rows without a time or an event were left out")
        if self.null_group_rows:
            notes.append(f"{self.null_group_rows} rows with a missing group were left out")
        return notes


def event_table(frame: pl.LazyFrame, time: str, event: str, group: str | None = None) -> EventTable:
    """One scan: per (group, time) the events, censorings and rows still at risk."""
    require_columns(frame, [c for c in (time, event, group) if c])
    columns = list(dict.fromkeys(c for c in (group, time, event) if c))  # group may be the event
    return event_table_reduced(PolarsReducers.from_frames({"all": frame}, columns), time, event, group)


def event_table_reduced(reducers: Reducers, time: str, event: str, group: str | None = None) -> EventTable:
    """:func:`event_table` from a backend's reducers; ``group`` may be ``COHORT`` (the cohorts'
    labels as groups). Group and time keep their types for the reduction (categories keep
    their order); only the small aggregated table is converted."""
    _check_event_values(reducers, event)
    counts = reducers.event_counts(time, event, group)
    null_group = pl.col(GROUP).is_null() if group else pl.lit(False)
    null_group_rows = int(counts.filter(null_group).get_column("all").sum())
    kept = counts.filter(~null_group)
    missing_rows = int(kept.get_column("all").sum()) - int(
        kept.filter(pl.col("time").is_not_null()).get_column("rows").sum()
    )
    complete = kept.filter(pl.col("time").is_not_null() & (pl.col("rows") > 0))
    table = (
        _merge_close_times(complete.with_columns(pl.col("time").cast(pl.Float64)))
        .sort(GROUP, "time", nulls_last=True)
        .with_columns(
            pl.col(GROUP).cast(pl.String),
            (pl.col("rows").reverse().cum_sum().reverse().over(GROUP)).alias("n_risk"),
            (pl.col("rows") - pl.col("n_event")).alias("n_censor"),
        )
        .select(GROUP, "time", pl.col("n_risk").cast(pl.Int64), pl.col("n_event").cast(pl.Int64),
                pl.col("n_censor").cast(pl.Int64))
    )
    if table.height == 0:
        raise ParameterError("No rows with both a time and an event value: nothing to analyse.")
    return EventTable(table, missing_rows=missing_rows, null_group_rows=null_group_rows)


def _merge_close_times(counts: pl.DataFrame) -> pl.DataFrame:
    """Times closer than R's tolerance become the earliest of them, as ``survfit`` and
    ``survdiff`` do by default (``timefix = TRUE``, ``aeqSurv``): distinct times whose gap is at
    most sqrt(machine epsilon), absolutely or relative to the mean absolute time."""
    times = np.unique(counts.get_column("time").to_numpy())
    times = times[np.isfinite(times)]
    if len(times) < 2:
        return counts
    gaps = np.diff(times)
    tied = (gaps <= _MEDIAN_TOLERANCE) | (gaps / np.mean(np.abs(times)) <= _MEDIAN_TOLERANCE)
    if not tied.any():
        return counts
    cuts = times[np.concatenate([[True], ~tied])]
    merged = cuts[np.maximum(np.searchsorted(cuts, counts.get_column("time").to_numpy(), side="right") - 1, 0)]
    return (
        counts.with_columns(pl.Series("time", merged))
        .group_by(GROUP, "time", maintain_order=True)
        .agg(pl.col("n_event").sum(), pl.col("rows").sum())
    )


def _check_event_values(reducers: Reducers, event: str) -> None:
    """Refuse events other than true/false or 0/1 before they are summed as counts (the
    event's distinct values, counted where the column is not true/false)."""
    dtype = reducers.column_type(event)
    if dtype == pl.Boolean or dtype == pl.Null:
        return
    values = reducers.value_counts([event])[event].get_column("value").drop_nulls().unique().sort()
    if dtype.is_numeric() and values.cast(pl.Float64).is_in([0.0, 1.0]).all():
        return
    shown = values.head(11).to_list()
    seen = ", ".join(map(repr, shown[:10])) + (", ..." if len(shown) > 10 else "")
    raise DataError(
        f"The event column {event!r} must be true/false or 0/1 (1 = event); it holds {seen}. "
        f"Derive a true/false column in the model, e.g. `event: {{type: bool, derive: {event} = 2}}` "
        "for R's coding (1 = censored, 2 = event).",
        details={"column": event, "values": [str(v) for v in shown[:10]], "allowed": [0, 1, True, False]},
    )


def kaplan_meier(
    frame: pl.LazyFrame, time: str, event: str, group: str | None = None, conf_level: float = 0.95
) -> pl.DataFrame:
    """Kaplan-Meier estimate per group: group, time, n_risk, n_event, n_censor, survival,
    std_err, lower, upper (one row per distinct time, as R's ``summary(survfit, censored=TRUE)``)."""
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level must be between 0 and 1, not {conf_level}.")
    return kaplan_meier_from_events(event_table(frame, time, event, group).table, conf_level)


def kaplan_meier_from_events(table: pl.DataFrame, conf_level: float = 0.95) -> pl.DataFrame:
    """The Kaplan-Meier estimate from an :func:`event_table` (so one scan serves several analyses)."""
    z = normal_quantile(1 - (1 - conf_level) / 2)
    hazard = pl.col("n_event") / pl.col("n_risk")
    greenwood = pl.col("n_event") / (pl.col("n_risk") * (pl.col("n_risk") - pl.col("n_event")))
    curve = table.with_columns(
        (1 - hazard).cum_prod().over(GROUP).alias("survival"),
        greenwood.cast(pl.Float64).cum_sum().over(GROUP).sqrt().alias("_se_log"),
    )
    se_log = pl.col("_se_log")
    defined = (pl.col("survival") > 0) & se_log.is_finite()
    return curve.with_columns(
        pl.when(se_log.is_finite()).then(pl.col("survival") * se_log).otherwise(None).alias("std_err"),
        pl.when(defined).then(pl.col("survival") * (-z * se_log).exp()).otherwise(None).alias("lower"),
        pl.when(defined).then((pl.col("survival") * (z * se_log).exp()).clip(upper_bound=1.0))
        .otherwise(None).alias("upper"),
    ).drop("_se_log")


def log_rank(frame: pl.LazyFrame, time: str, event: str, group: str) -> dict:
    """Log-rank test between groups (R's ``survdiff``, rho = 0).

    Returns ``{"chisq", "df", "p_value", "observed": {group: n}, "expected": {group: e},
    "note"}``; chisq and p_value are None (with a note) where the test is undefined.
    """
    return log_rank_from_events(event_table(frame, time, event, group).table)


def log_rank_from_events(table: pl.DataFrame) -> dict:
    """The log-rank test from an :func:`event_table` with a group column."""
    # In the table's order (the model's category order, as R orders factor levels), not by name.
    groups = table.get_column(GROUP).drop_nulls().unique(maintain_order=True).to_list()
    if len(groups) < 2:
        raise ParameterError(f"The log-rank test needs at least two groups; found {len(groups)}.")
    n_risk, deaths = _risk_and_deaths(table, groups)
    total_risk = n_risk.sum(axis=1)
    total_deaths = deaths.sum(axis=1)
    expected = (total_deaths[:, None] * n_risk / total_risk[:, None]).sum(axis=0)
    observed = deaths.sum(axis=0)
    result = {
        "observed": dict(zip(groups, observed.tolist())), "expected": dict(zip(groups, expected.tolist())),
    }
    # As survdiff: groups nobody in which was at risk at an event time take no part.
    tested = expected > 0
    df = int(tested.sum()) - 1
    if df < 1:
        return {**result, "chisq": 0.0, "df": max(df, 0), "p_value": None,
                "note": "log-rank test undefined: fewer than two groups had anyone at risk at an event time"}
    variance = _log_rank_variance(n_risk, total_risk, total_deaths)[np.ix_(tested, tested)]
    difference = (observed - expected)[tested][1:]
    reduced = variance[1:, 1:]
    # R's solve() refuses a matrix whose reciprocal condition number is below machine epsilon.
    if not np.all(np.isfinite(reduced)) or 1 / np.linalg.cond(reduced, 1) < np.finfo(float).eps:
        return {**result, "chisq": None, "df": df, "p_value": None,
                "note": "log-rank test undefined: the variance matrix is singular "
                        "(e.g. everyone at risk had the event at the same time)"}
    return {**result, **_chi_square(float(difference @ np.linalg.solve(reduced, difference)), df)}


def _chi_square(chisq: float, df: int) -> dict:
    return {"chisq": chisq, "df": df, "p_value": chi2_sf(chisq, df), "note": ""}


def _risk_and_deaths(table: pl.DataFrame, groups: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct time (rows) and group (columns): the number at risk and the events."""
    times = np.sort(table.get_column("time").unique().to_numpy())
    n_risk = np.zeros((len(times), len(groups)))
    deaths = np.zeros((len(times), len(groups)))
    parts = table.partition_by(GROUP, as_dict=True, include_key=False)
    for g, name in enumerate(groups):
        part = parts[(name,)]
        part_times = part.get_column("time").to_numpy()
        deaths[np.searchsorted(times, part_times), g] = part.get_column("n_event").to_numpy()
        # At risk at time t: rows of the group with time >= t (a step function of the event table).
        risk_at = part.get_column("n_risk").to_numpy()
        positions = np.searchsorted(part_times, times, side="left")
        n_risk[:, g] = np.where(positions < len(part_times), risk_at[np.minimum(positions, len(part_times) - 1)], 0)
    return n_risk, deaths


def _log_rank_variance(n_risk: np.ndarray, total_risk: np.ndarray, total_deaths: np.ndarray) -> np.ndarray:
    """survdiff's hypergeometric variance-covariance of observed minus expected, summed over times."""
    usable = total_risk > 1
    factor = np.zeros_like(total_risk)
    factor[usable] = total_deaths[usable] * (total_risk[usable] - total_deaths[usable]) / (total_risk[usable] - 1)
    share = np.divide(n_risk, total_risk[:, None], out=np.zeros_like(n_risk), where=total_risk[:, None] > 0)
    variance = np.einsum("t,tg,th->gh", factor, share, -share)
    variance[np.diag_indices(n_risk.shape[1])] += np.einsum("t,tg->g", factor, share)
    return variance


def median_survival(curve: pl.DataFrame) -> pl.DataFrame:
    """Median survival per group with its confidence limits, as R's ``print(survfit)``:
    ``lower`` is where the lower band reaches 0.5, ``upper`` where the upper band does (null
    where a band never gets there)."""
    return (
        curve.group_by(GROUP, maintain_order=True)
        .agg(
            pl.col("n_risk").first().cast(pl.Int64).alias("n"),
            pl.col("n_event").sum().cast(pl.Int64).alias("events"),
            _quantile_time_expr("survival").alias("median"),
            _quantile_time_expr("lower").alias("lower"),  # the lower band reaches 0.5 first
            _quantile_time_expr("upper").alias("upper"),
        )
        .with_columns(pl.col(GROUP).cast(pl.String))
    )


def _quantile_time_expr(column: str, p: float = 0.5, tolerance: float = _MEDIAN_TOLERANCE) -> pl.Expr:
    """R's ``minmin``: the first time the curve is at or below p; where it sits at p (within
    the tolerance), the midpoint to the next time it is lower. Null values are skipped."""
    value, time = pl.col(column), pl.col("time").cast(pl.Float64)
    kept = value.is_not_null() & (value < p + tolerance)
    first_time = time.filter(kept).first()
    first_value = value.filter(kept).first()
    next_time = time.filter(kept & (value < first_value)).first()
    return (
        pl.when((first_value - p).abs() < tolerance)
        .then(pl.coalesce((first_time + next_time) / 2, first_time))
        .otherwise(first_time)
    )
