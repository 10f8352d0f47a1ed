"""Kaplan-Meier curves and the log-rank test from event tables.

polars reduces any number of rows to an event table (per group and distinct time: the
events, censorings and rows), and everything else is arithmetic on that small table.
Definitions follow R's ``survival`` package: ``survfit`` with ``conf.type = "log"``
(Greenwood's formula; ``std_err`` is the standard error of the survival estimate, as
``summary(survfit)`` reports it) and ``survdiff`` (rho = 0).
"""

from __future__ import annotations


import numpy as np
import polars as pl

from ..errors import ParameterError
from .columns import require_columns

GROUP = "group"


def event_table(frame: pl.LazyFrame, time: str, event: str, group: str | None = None) -> pl.DataFrame:
    """Per (group, time): n_event, n_censor and n_risk (rows still under observation)."""
    require_columns(frame, [c for c in (time, event, group) if c])
    # Group and time keep their types for the scan (cheap to hash, categories keep their
    # order); only the small aggregated table is converted.
    group_expr = pl.col(group) if group else pl.lit(None, dtype=pl.String)
    counts = (
        frame.select(group_expr.alias(GROUP), pl.col(time).alias("time"), pl.col(event).alias("_event"))
        # Rows missing the time or the event are dropped after aggregating, on the small table:
        # the event's count skips nulls and the null-time rows form their own group.
        .group_by(GROUP, "time")
        .agg(pl.col("_event").cast(pl.Int64).sum().alias("n_event"), pl.col("_event").count().alias("_rows"))
        .filter(pl.col("time").is_not_null() & (pl.col("_rows") > 0))
        .sort(GROUP, "time", nulls_last=True)
        .with_columns(
            pl.col(GROUP).cast(pl.String),
            pl.col("time").cast(pl.Float64),
            (pl.col("_rows").reverse().cum_sum().reverse().over(GROUP)).alias("n_risk"),
            (pl.col("_rows") - pl.col("n_event")).alias("n_censor"),
        )
        .select(GROUP, "time", pl.col("n_risk").cast(pl.Int64), pl.col("n_event").cast(pl.Int64),
                pl.col("n_censor").cast(pl.Int64))
        .collect()
    )
    if counts.height == 0:
        raise ParameterError("No rows with both a time and an event value: nothing to analyse.")
    bad = counts.filter(pl.col("n_event") < 0)
    if bad.height:
        raise ParameterError(f"The event column {event!r} must be true/false or 0/1.")
    return counts


def kaplan_meier(
    frame: pl.LazyFrame, time: str, event: str, group: str | None = None, conf_level: float = 0.95
) -> pl.DataFrame:
    """Kaplan-Meier estimate per group: group, time, n_risk, n_event, n_censor, survival,
    std_err, lower, upper (one row per distinct time, as R's ``summary(survfit, censored=TRUE)``)."""
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level must be between 0 and 1, not {conf_level}.")
    return kaplan_meier_from_events(event_table(frame, time, event, group), conf_level)


def kaplan_meier_from_events(table: pl.DataFrame, conf_level: float = 0.95) -> pl.DataFrame:
    """The Kaplan-Meier estimate from an :func:`event_table` (so one scan serves several analyses)."""
    from scipy import stats

    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
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

    Returns ``{"chisq", "df", "p_value", "observed": {group: n}, "expected": {group: e}}``.
    """
    return log_rank_from_events(event_table(frame, time, event, group))


def log_rank_from_events(table: pl.DataFrame) -> dict:
    """The log-rank test from an :func:`event_table` with a group column."""
    from scipy import stats

    groups = sorted(table.get_column(GROUP).drop_nulls().unique().to_list())
    if len(groups) < 2:
        raise ParameterError(f"The log-rank test needs at least two groups; found {len(groups)}.")
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
    total_risk = n_risk.sum(axis=1)
    total_deaths = deaths.sum(axis=1)
    expected = (total_deaths[:, None] * n_risk / total_risk[:, None]).sum(axis=0)
    observed = deaths.sum(axis=0)
    usable = total_risk > 1
    factor = np.zeros_like(total_risk)
    factor[usable] = total_deaths[usable] * (total_risk[usable] - total_deaths[usable]) / (total_risk[usable] - 1)
    share = np.divide(n_risk, total_risk[:, None], out=np.zeros_like(n_risk), where=total_risk[:, None] > 0)
    variance = np.einsum("t,tg,th->gh", factor, share, -share)
    variance[np.diag_indices(len(groups))] += np.einsum("t,tg->g", factor, share)
    difference = (observed - expected)[:-1]
    chisq = float(difference @ np.linalg.solve(variance[:-1, :-1], difference))
    df = len(groups) - 1
    return {
        "chisq": chisq, "df": df, "p_value": float(stats.chi2.sf(chisq, df)),
        "observed": dict(zip(groups, observed.tolist())), "expected": dict(zip(groups, expected.tolist())),
    }


def median_survival(curve: pl.DataFrame) -> pl.DataFrame:
    """Median survival per group with its confidence interval, as R's ``print(survfit)``."""
    return (
        curve.group_by(GROUP, maintain_order=True)
        .agg(
            pl.col("n_risk").first().cast(pl.Int64).alias("n"),
            pl.col("n_event").sum().cast(pl.Int64).alias("events"),
            _quantile_time_expr("survival").alias("median"),
            _quantile_time_expr("upper").alias("lower"),  # the upper band crosses 0.5 first
            _quantile_time_expr("lower").alias("upper"),
        )
        .with_columns(pl.col(GROUP).cast(pl.String))
    )


def _quantile_time_expr(column: str, p: float = 0.5, eps: float = 1e-12) -> pl.Expr:
    """First time the curve drops to p or below; the midpoint to the next lower step where it
    sits exactly at p (R's rule). The curve is non-increasing, so "first" is the earliest."""
    value, time = pl.col(column), pl.col("time").cast(pl.Float64)
    first_time = time.filter(value <= p + eps).first()
    first_value = value.filter(value <= p + eps).first()
    next_time = time.filter(value < p - eps).first()
    return (
        pl.when((first_value - p).abs() <= eps)
        .then(pl.coalesce((first_time + next_time) / 2, first_time))
        .otherwise(first_time)
    )
