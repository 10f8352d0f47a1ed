"""Compare two cohorts variable by variable.

Numbers: Welch's t test and Cohen's d from counts, means and variances that one polars
query computes for every variable at once; Mann-Whitney U from rank sums and tie counts,
also computed by polars (ranks of the pooled values per variable, in parallel across
variables), finished with the normal approximation exactly as
``scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True)``. No raw column
ever reaches scipy, which keeps memory flat and wide products fast: the costly part of
Mann-Whitney is one sort per variable, which polars runs multi-threaded.

Categories: contingency tables from one polars group-by per variable; chi-square test
(Yates-corrected for 2x2, as scipy) with Cramér's V, or Fisher's exact test with the odds
ratio for 2x2 tables with an expected count under 5.

p-values are adjusted with Benjamini-Hochberg across all variables and ranked.
"""

from __future__ import annotations

import math
from typing import Literal, Mapping

import numpy as np
import polars as pl

from ..errors import ParameterError
from .columns import require_columns
from .ranks import rank_sums_by_value

Kind = Literal["numeric", "categorical"]
_IN_A = "__in_cohort_a__"

OUTPUT_COLUMNS = [
    "variable", "kind", "test", "n_a", "n_b", "missing_a", "missing_b", "summary_a", "summary_b",
    "statistic", "p_value", "effect_size", "effect_measure", "mw_statistic", "mw_p_value",
    "rank_biserial", "p_adjusted", "rank", "note",
]


def compare_cohorts(a: pl.LazyFrame, b: pl.LazyFrame, variables: Mapping[str, Kind]) -> pl.DataFrame:
    """One row per variable: test, statistic, p-value, effect size, BH-adjusted p, rank."""
    if not variables:
        raise ParameterError("Choose at least one variable to compare.")
    require_columns(a, variables)
    bad_kinds = {v: k for v, k in variables.items() if k not in ("numeric", "categorical")}
    if bad_kinds:
        raise ParameterError(f"Variable kinds must be 'numeric' or 'categorical'; got {bad_kinds}.")
    columns = list(variables)
    pooled = pl.concat(
        [a.select(columns).with_columns(pl.lit(True).alias(_IN_A)),
         b.select(columns).with_columns(pl.lit(False).alias(_IN_A))],
        how="vertical_relaxed",
    ).collect()
    n_a = int(pooled.get_column(_IN_A).sum())
    n_b = pooled.height - n_a
    if n_a == 0 or n_b == 0:
        which = "A" if n_a == 0 else "B"
        raise ParameterError(f"Cohort {which} is empty: no rows match it, so there is nothing to compare.")
    numeric = [v for v, k in variables.items() if k == "numeric"]
    categorical = [v for v, k in variables.items() if k == "categorical"]
    rows = _numeric_rows(pooled, numeric) + [_categorical_row(pooled, v) for v in categorical]
    order = {v: i for i, v in enumerate(columns)}
    rows.sort(key=lambda r: order[r["variable"]])
    return _adjust_and_rank(rows)


# -- numeric ---------------------------------------------------------------------------------


def _numeric_rows(pooled: pl.DataFrame, columns: list[str]) -> list[dict]:
    if not columns:
        return []
    from scipy import stats

    in_a = pl.col(_IN_A)
    by_value = [c for c in columns if pooled.schema[c].is_integer()]  # few distinct values: count, don't rank
    moments = pooled.select(
        *[expr for c in columns for expr in _moment_exprs(c, in_a)],
        *[expr for c in columns if c not in by_value for expr in _rank_exprs(c, in_a)],
    ).row(0, named=True)
    moments.update(rank_sums_by_value(pooled, by_value, _IN_A))
    rows = []
    for c in columns:
        na, nb = moments[f"{c}:n_a"], moments[f"{c}:n_b"]
        ma, mb = moments[f"{c}:mean_a"], moments[f"{c}:mean_b"]
        va, vb = moments[f"{c}:var_a"], moments[f"{c}:var_b"]
        row = _base_row(c, "numeric", "welch_t", na, nb, moments[f"{c}:missing_a"], moments[f"{c}:missing_b"])
        row["summary_a"], row["summary_b"] = _numeric_summary(ma, va), _numeric_summary(mb, vb)
        if na < 2 or nb < 2:
            row["note"] = f"needs at least 2 values in each cohort (has {na} and {nb})"
            rows.append(row)
            continue
        t, p = stats.ttest_ind_from_stats(ma, math.sqrt(va), na, mb, math.sqrt(vb), nb, equal_var=False)
        pooled_sd = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
        row.update(
            statistic=_float(t), p_value=_float(p), effect_measure="cohen_d",
            effect_size=(ma - mb) / pooled_sd if pooled_sd > 0 else None,
        )
        if pooled_sd == 0:
            row["note"] = "no variation in either cohort"
        row.update(_mann_whitney(na, nb, moments[f"{c}:rank_sum_a"], moments[f"{c}:ties"]))
        rows.append(row)
    return rows


def _moment_exprs(c: str, in_a: pl.Expr) -> list[pl.Expr]:
    value = pl.col(c).cast(pl.Float64)
    return [
        value.filter(in_a).count().alias(f"{c}:n_a"),
        value.filter(~in_a).count().alias(f"{c}:n_b"),
        value.filter(in_a).null_count().alias(f"{c}:missing_a"),
        value.filter(~in_a).null_count().alias(f"{c}:missing_b"),
        value.filter(in_a).mean().alias(f"{c}:mean_a"),
        value.filter(~in_a).mean().alias(f"{c}:mean_b"),
        value.filter(in_a).var(ddof=1).alias(f"{c}:var_a"),
        value.filter(~in_a).var(ddof=1).alias(f"{c}:var_b"),
    ]


def _rank_exprs(c: str, in_a: pl.Expr) -> list[pl.Expr]:
    value = pl.col(c)
    counts = value.drop_nulls().unique_counts().cast(pl.Float64)
    return [
        value.rank("average").filter(in_a).sum().cast(pl.Float64).alias(f"{c}:rank_sum_a"),
        (counts.pow(3) - counts).sum().alias(f"{c}:ties"),
    ]


def _mann_whitney(na: int, nb: int, rank_sum_a: float, ties: float) -> dict:
    from scipy import stats

    u1 = rank_sum_a - na * (na + 1) / 2
    u2 = na * nb - u1
    n = na + nb
    sigma = math.sqrt(na * nb / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return {"mw_statistic": u1, "mw_p_value": None, "rank_biserial": 0.0}
    z = (max(u1, u2) - na * nb / 2 - 0.5) / sigma
    p = min(1.0, 2 * float(stats.norm.sf(z)))
    return {"mw_statistic": u1, "mw_p_value": p, "rank_biserial": 2 * u1 / (na * nb) - 1}


def _numeric_summary(mean: float | None, var: float | None) -> str:
    if mean is None:
        return "no values"
    sd = f" (sd {math.sqrt(var):.3g})" if var is not None else ""
    return f"mean {mean:.3g}{sd}"


# -- categorical -----------------------------------------------------------------------------


def _categorical_row(pooled: pl.DataFrame, column: str) -> dict:
    from scipy import stats

    frame = pooled.select(pl.col(column).cast(pl.String).alias("value"), _IN_A)
    missing = frame.filter(pl.col("value").is_null()).group_by(_IN_A).len()
    missing_counts = {r[_IN_A]: r["len"] for r in missing.iter_rows(named=True)}
    counts = (
        frame.drop_nulls("value").group_by("value", _IN_A).len()
        .pivot(on=_IN_A, index="value", values="len").fill_null(0).sort("value")
    )
    levels = counts.get_column("value").to_list()
    table = np.array(
        [counts.get_column("true").to_list() if "true" in counts.columns else [0] * len(levels),
         counts.get_column("false").to_list() if "false" in counts.columns else [0] * len(levels)],
        dtype=np.int64,
    ).T  # rows: levels, columns: (a, b)
    na, nb = int(table[:, 0].sum()) if len(levels) else 0, int(table[:, 1].sum()) if len(levels) else 0
    row = _base_row(column, "categorical", "chi_square", na, nb, missing_counts.get(True, 0), missing_counts.get(False, 0))
    row["summary_a"], row["summary_b"] = _category_summary(levels, table[:, 0] if len(levels) else []), _category_summary(levels, table[:, 1] if len(levels) else [])
    if len(levels) < 2:
        row["note"] = "only one value present: the test does not apply"
        return row
    if na == 0 or nb == 0:
        row["note"] = "no values in one cohort: the test does not apply"
        return row
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if table.shape == (2, 2) and (expected < 5).any():
        result = stats.fisher_exact(table)
        row.update(test="fisher_exact", statistic=_float(result.statistic), p_value=_float(result.pvalue),
                   effect_size=_float(result.statistic), effect_measure="odds_ratio")
        return row
    result = stats.chi2_contingency(table)
    uncorrected = stats.chi2_contingency(table, correction=False).statistic
    cramers_v = math.sqrt(uncorrected / (table.sum() * (min(table.shape) - 1)))
    row.update(statistic=_float(result.statistic), p_value=_float(result.pvalue),
               effect_size=cramers_v, effect_measure="cramers_v")
    return row


def _category_summary(levels: list[str], counts: np.ndarray) -> str:
    total = int(np.sum(counts)) if len(levels) else 0
    if total == 0:
        return "no values"
    ordered = sorted(zip(levels, counts), key=lambda item: -item[1])[:4]
    text = " / ".join(f"{level} {100 * count / total:.0f}%" for level, count in ordered)
    return text + (" / ..." if len(levels) > 4 else "")


# -- shared ----------------------------------------------------------------------------------


def _base_row(variable: str, kind: str, test: str, na: int, nb: int, missing_a: int, missing_b: int) -> dict:
    return {
        "variable": variable, "kind": kind, "test": test, "n_a": int(na), "n_b": int(nb),
        "missing_a": int(missing_a), "missing_b": int(missing_b), "summary_a": "", "summary_b": "",
        "statistic": None, "p_value": None, "effect_size": None, "effect_measure": None,
        "mw_statistic": None, "mw_p_value": None, "rank_biserial": None, "note": "",
    }


def _float(value: float | np.floating | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _adjust_and_rank(rows: list[dict]) -> pl.DataFrame:
    from scipy import stats

    p_values = np.array([r["p_value"] for r in rows if r["p_value"] is not None], dtype=float)
    adjusted = iter(stats.false_discovery_control(p_values, method="bh") if len(p_values) else [])
    for row in rows:
        row["p_adjusted"] = float(next(adjusted)) if row["p_value"] is not None else None
    ordered = sorted(range(len(rows)), key=lambda i: (rows[i]["p_value"] is None, rows[i]["p_value"] or 0.0, i))
    for position, index in enumerate(ordered, start=1):
        rows[index]["rank"] = position
    schema = {
        "variable": pl.String, "kind": pl.String, "test": pl.String, "n_a": pl.Int64, "n_b": pl.Int64,
        "missing_a": pl.Int64, "missing_b": pl.Int64, "summary_a": pl.String, "summary_b": pl.String,
        "statistic": pl.Float64, "p_value": pl.Float64, "effect_size": pl.Float64, "effect_measure": pl.String,
        "mw_statistic": pl.Float64, "mw_p_value": pl.Float64, "rank_biserial": pl.Float64,
        "p_adjusted": pl.Float64, "rank": pl.Int64, "note": pl.String,
    }
    frame = pl.DataFrame([{k: r[k] for k in OUTPUT_COLUMNS} for r in rows], schema=schema)
    return frame.sort("rank")
