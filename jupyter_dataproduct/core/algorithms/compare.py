"""Compare two cohorts variable by variable.

Every number equals scipy's on the same values (checked to 1e-9 on random data); the
conventions, for a statistician to check without reading the code:

- **Missing values**: null, and NaN in float columns, are missing (scipy's
  ``nan_policy="omit"``, R's ``na.omit``), left out of every test and counted in
  ``missing_a`` / ``missing_b``.
- **Numbers**: Welch's t test (``ttest_ind(equal_var=False)``, two-sided) and Cohen's d with
  the pooled standard deviation. Means and variances come from one polars query of
  sufficient statistics; where a mean is over 100 standard deviations from 0 (values around
  1e9, or no variation), they are computed again from the values minus the pooled mean (the
  shifted formula, one more query), so such values keep their digits (scipy's lose some).
- **Mann-Whitney U** as ``mannwhitneyu`` with its default ``method="auto"``: the exact
  distribution when one sample has at most 8 values and no value is tied, otherwise the
  normal approximation with the tie correction and the continuity correction. ``mw_method``
  says which. One exception, for bounded work: the exact distribution is computed only
  while the larger sample has at most 1,000 values (scipy's takes minutes beyond a few
  thousand); above that the normal approximation is used and the row's note says so.
  ``mw_statistic`` is U of cohort A. Ranks and tie counts come from polars (one sort per
  variable, in parallel); no raw column reaches scipy except for the exact test.
- **Categories**: a contingency table per variable; the chi-square test of independence
  (``chi2_contingency``, Yates' continuity correction on 2x2 tables) with Cramér's V
  (from the uncorrected statistic), or Fisher's exact test (two-sided, with the sample odds
  ratio) for a 2x2 table with an expected count under 5.
- **Multiple testing**: Benjamini-Hochberg over all variables with a p-value (as R's
  ``p.adjust(method = "BH")``), then ranked by p.
- The tests assume independent samples: the caller passes ``notes`` (e.g. that the
  cohorts overlap), which are added to every row's note.
"""

from __future__ import annotations

import math
from typing import Literal, Mapping, Sequence

import numpy as np
import polars as pl

from ..errors import ParameterError
from ..backends.polars_backend import PolarsReducers
from ..backends.reducers import COHORT, Reducers, shifted_mean_and_variance
from .columns import require_columns
from .contingency import chi_square_test, expected_counts
from .distributions import normal_sf, t_two_sided

Kind = Literal["numeric", "categorical"]
_IN_A = "__in_cohort_a__"
# scipy's method="auto" picks the exact Mann-Whitney distribution when a sample has at most
# this many values and nothing is tied.
EXACT_MW_SMALL = 8
# scipy's exact distribution costs seconds to minutes once the other sample passes a few
# thousand values; above this the normal approximation is used (and said).
EXACT_MW_LARGEST = 1000

OUTPUT_COLUMNS = [
    "variable", "kind", "test", "n_a", "n_b", "missing_a", "missing_b", "summary_a", "summary_b",
    "statistic", "p_value", "effect_size", "effect_measure", "mw_statistic", "mw_p_value",
    "rank_biserial", "mw_method", "p_adjusted", "rank", "note",
]


def compare_cohorts(
    a: pl.LazyFrame, b: pl.LazyFrame, variables: Mapping[str, Kind], notes: Sequence[str] = ()
) -> pl.DataFrame:
    """One row per variable: test, statistic, p-value, effect size, BH-adjusted p, rank.

    ``notes`` (e.g. that the cohorts overlap) are added to every row's note."""
    _check_variables(variables)
    require_columns(a, variables)
    return compare_reduced(PolarsReducers.from_frames({"a": a, "b": b}, list(variables)), variables, notes)


def _check_variables(variables: Mapping[str, Kind]) -> None:
    if not variables:
        raise ParameterError("Choose at least one variable to compare.")
    bad_kinds = {v: k for v, k in variables.items() if k not in ("numeric", "categorical")}
    if bad_kinds:
        raise ParameterError(f"Variable kinds must be 'numeric' or 'categorical'; got {bad_kinds}.")


def compare_reduced(reducers: Reducers, variables: Mapping[str, Kind], notes: Sequence[str] = ()) -> pl.DataFrame:
    """:func:`compare_cohorts` from a backend's reducers over two cohorts (A first, then B)."""
    _check_variables(variables)
    columns = list(variables)
    rows_per_cohort = reducers.rows()
    n_a, n_b = (rows_per_cohort[label] for label in reducers.labels[:2])
    if n_a == 0 or n_b == 0:
        which = "A" if n_a == 0 else "B"
        raise ParameterError(f"Cohort {which} is empty: no rows match it, so there is nothing to compare.")
    numeric = [v for v, k in variables.items() if k == "numeric"]
    categorical = [v for v, k in variables.items() if k == "categorical"]
    counts = reducers.value_counts(categorical) if categorical else {}
    rows = _numeric_rows(reducers, numeric) + [_categorical_row(counts[v], v, reducers.labels[0]) for v in categorical]
    for row in rows:
        row["note"] = "; ".join([n for n in (row["note"], *notes) if n])
    order = {v: i for i, v in enumerate(columns)}
    rows.sort(key=lambda r: order[r["variable"]])
    return _adjust_and_rank(rows)


# -- numeric ---------------------------------------------------------------------------------


def _numeric_rows(reducers: Reducers, columns: list[str]) -> list[dict]:
    if not columns:
        return []
    moments = _moments(reducers, columns)
    ranks = reducers.rank_sums(columns)
    rows = []
    for c in columns:
        (na, missing_a, da, va), (nb, missing_b, db, vb) = moments[c]["a"], moments[c]["b"]  # means shifted
        shift = moments[c]["shift"]
        row = _base_row(c, "numeric", "welch_t", na, nb, missing_a, missing_b)
        row["summary_a"] = _numeric_summary(None if da is None else shift + da, va if na > 1 else None)
        row["summary_b"] = _numeric_summary(None if db is None else shift + db, vb if nb > 1 else None)
        notes = []
        if na >= 1 and nb >= 1:
            mann_whitney = _mann_whitney(reducers, c, na, nb, ranks[c]["rank_sum_a"], ranks[c]["ties"])
            notes.append(mann_whitney.pop("note", ""))
            row.update(mann_whitney)
        if na < 2 or nb < 2:
            notes.insert(0, f"Welch's t needs at least 2 values in each cohort (has {na} and {nb})")
        else:
            welch = _welch(da - db, va, na, vb, nb)
            notes.insert(0, welch.pop("note", ""))
            row.update(welch)
        row["note"] = "; ".join(n for n in notes if n)
        rows.append(row)
    return rows


# Where a mean is this many standard deviations from the reference (0 at first), the moments
# are computed again from the values minus the pooled mean (one more pass over the columns
# that need it): sums of squares lose about (mean / sd)^2 of their digits, and the difference
# of two large means loses digits too (1.7e9 +- 100: Welch p off by 4e-9 without the shift).
_SHIFT_RATIO = 10.0


def _moments(reducers: Reducers, columns: list[str]) -> dict[str, dict]:
    """Per column and side (a, b): (n, missing, mean of value - shift, variance), and the shift."""
    found = _moments_by_side(reducers.moments(columns, {}), reducers.labels, {})
    far = [c for c in columns if _needs_shift(found[c])]
    if far:
        shifts = {}
        for c in far:
            sides = [(mean, n) for n, _, mean, _ in (found[c]["a"], found[c]["b"]) if n]
            shifts[c] = sum(m * n for m, n in sides) / sum(n for _, n in sides)
        found.update(_moments_by_side(reducers.moments(far, shifts), reducers.labels, shifts))
    return found


def _moments_by_side(table: pl.DataFrame, labels: list[str], shifts: Mapping[str, float]) -> dict[str, dict]:
    sides = dict(zip(labels[:2], ("a", "b")))
    found: dict[str, dict] = {}
    for row in table.iter_rows(named=True):
        mean, var = shifted_mean_and_variance(row["n"], row["sum"], row["sum_sq"], row["min"], row["max"])
        entry = found.setdefault(row["variable"], {"shift": float(shifts.get(row["variable"], 0.0))})
        entry[sides[row[COHORT]]] = (int(row["n"]), int(row["missing"]), mean, var)
    return found


def _needs_shift(moments: dict) -> bool:
    for side in ("a", "b"):
        _, _, mean, var = moments[side]
        if mean is not None and abs(mean) > _SHIFT_RATIO * math.sqrt(max(var or 0.0, 0.0)):
            return True
    return False


def _welch(difference: float, va: float, na: int, vb: float, nb: int) -> dict:
    """Welch's t test as scipy's ``ttest_ind(equal_var=False)``, from the difference of the
    (shifted) means, so no digits are lost to a large common offset."""
    vn_a, vn_b = va / na, vb / nb
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.float64(vn_a + vn_b) ** 2 / (vn_a**2 / (na - 1) + vn_b**2 / (nb - 1))
        df = 1.0 if np.isnan(df) else df  # no variance at all: df does not matter (as scipy)
        t = np.divide(np.float64(difference), np.sqrt(np.float64(vn_a + vn_b)))
    p = t_two_sided(t, df)
    pooled_sd = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    row = {"statistic": _float(t) if np.isfinite(t) else None, "p_value": _float(p), "effect_measure": "cohen_d",
           "effect_size": difference / pooled_sd if pooled_sd > 0 else None}
    if pooled_sd == 0:
        row["note"] = "no variation in either cohort"
    return row


def _mann_whitney(reducers: Reducers, column: str, na: int, nb: int, rank_sum_a: float, ties: float) -> dict:
    """U of cohort A and the two-sided p-value by scipy's default method (see the module)."""
    u1 = rank_sum_a - na * (na + 1) / 2
    result = {"mw_statistic": u1, "rank_biserial": 2 * u1 / (na * nb) - 1}
    exact = min(na, nb) <= EXACT_MW_SMALL and ties == 0
    if exact and max(na, nb) <= EXACT_MW_LARGEST:
        # Small samples: scipy's own exact distribution on the values themselves (the one
        # place numbers need scipy.stats, imported here only).
        from scipy import stats

        values = reducers.values(column)
        x, y = (values.filter(pl.col(COHORT) == label).get_column("value").to_numpy() for label in reducers.labels[:2])
        return {**result, "mw_p_value": float(stats.mannwhitneyu(x, y, method="exact").pvalue), "mw_method": "exact"}
    u2 = na * nb - u1
    n = na + nb
    sigma = math.sqrt(na * nb / 12 * ((n + 1) - ties / (n * (n - 1)))) if n > 1 else 0.0
    numerator = max(u1, u2) - na * nb / 2 - 0.5
    # As scipy: with no spread (all values equal) z is -inf and p is 1.
    z = numerator / sigma if sigma > 0 else math.copysign(math.inf, numerator)
    p = min(1.0, 2 * normal_sf(z))
    result.update(mw_p_value=p, mw_method="asymptotic")
    if exact:
        result["note"] = (f"Mann-Whitney: normal approximation; scipy's default would use the exact distribution, "
                          f"not computed for more than {EXACT_MW_LARGEST} values")
    return result


def _numeric_summary(mean: float | None, var: float | None) -> str:
    if mean is None:
        return "no values"
    sd = f" (sd {math.sqrt(var):.3g})" if var is not None and var >= 0 else ""
    return f"mean {mean:.3g}{sd}"


# -- categorical -----------------------------------------------------------------------------


def _categorical_row(value_counts: pl.DataFrame, column: str, first: str) -> dict:
    """The contingency table of the two cohorts (levels by their text, as they are shown)."""
    frame = value_counts.select(pl.col("value").cast(pl.String), (pl.col(COHORT) == first).alias(_IN_A), "count")
    missing = frame.filter(pl.col("value").is_null()).group_by(_IN_A).agg(pl.col("count").sum().alias("len"))
    missing_counts = {r[_IN_A]: r["len"] for r in missing.iter_rows(named=True)}
    counts = (
        frame.drop_nulls("value").group_by("value", _IN_A).agg(pl.col("count").sum().alias("len"))
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
    if table.shape == (2, 2) and (expected_counts(table) < 5).any():
        from scipy import stats  # Fisher's exact test: the hypergeometric distribution

        result = stats.fisher_exact(table)
        row.update(test="fisher_exact", statistic=_float(result.statistic), p_value=_float(result.pvalue),
                   effect_size=_float(result.statistic), effect_measure="odds_ratio")
        return row
    result = chi_square_test(table)
    uncorrected = chi_square_test(table, correction=False).statistic
    cramers_v = math.sqrt(uncorrected / (table.sum() * (min(table.shape) - 1)))
    row.update(statistic=_float(result.statistic), p_value=_float(result.p_value),
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
        "mw_statistic": None, "mw_p_value": None, "rank_biserial": None, "mw_method": None, "note": "",
    }


def _float(value: float | np.floating | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values, as R's ``p.adjust(p, method = "BH")`` and scipy's
    ``false_discovery_control``: p x m / rank, then the running minimum from the largest p down."""
    p = np.asarray(p_values, dtype=float)
    if p.size <= 1:
        return [float(v) for v in p]
    order = np.argsort(p)
    scaled = p[order] * (p.size / np.arange(1, p.size + 1))
    adjusted = np.empty_like(scaled)
    adjusted[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return [float(v) for v in np.clip(adjusted, 0.0, 1.0)]


def _adjust_and_rank(rows: list[dict]) -> pl.DataFrame:
    adjusted = iter(benjamini_hochberg([r["p_value"] for r in rows if r["p_value"] is not None]))
    for row in rows:
        row["p_adjusted"] = float(next(adjusted)) if row["p_value"] is not None else None
    ordered = sorted(range(len(rows)), key=lambda i: (rows[i]["p_value"] is None, rows[i]["p_value"] or 0.0, i))
    for position, index in enumerate(ordered, start=1):
        rows[index]["rank"] = position
    schema = {
        "variable": pl.String, "kind": pl.String, "test": pl.String, "n_a": pl.Int64, "n_b": pl.Int64,
        "missing_a": pl.Int64, "missing_b": pl.Int64, "summary_a": pl.String, "summary_b": pl.String,
        "statistic": pl.Float64, "p_value": pl.Float64, "effect_size": pl.Float64, "effect_measure": pl.String,
        "mw_statistic": pl.Float64, "mw_p_value": pl.Float64, "rank_biserial": pl.Float64, "mw_method": pl.String,
        "p_adjusted": pl.Float64, "rank": pl.Int64, "note": pl.String,
    }
    frame = pl.DataFrame([{k: r[k] for k in OUTPUT_COLUMNS} for r in rows], schema=schema)
    return frame.sort("rank")
