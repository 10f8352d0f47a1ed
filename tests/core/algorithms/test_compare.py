"""compare_cohorts agrees with scipy's tests on real and random data (to 1e-9)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import polars as pl
import pytest
from scipy import stats

from jupyter_dataproduct.core.algorithms.compare import compare_cohorts
from jupyter_dataproduct.core.errors import ColumnNotFoundError, ParameterError



TOL = dict(rel=1e-9, abs=1e-12)


@pytest.fixture(scope="module")
def actg(actg_csv) -> pl.DataFrame:
    return pl.read_csv(actg_csv, null_values="NA")


def by_variable(result: pl.DataFrame) -> dict[str, dict]:
    return {row["variable"]: row for row in result.to_dicts()}


def test_numeric_variables_match_welch_and_mann_whitney(actg):
    a, b = actg.filter(pl.col("arms") == 0), actg.filter(pl.col("arms") == 1)
    result = by_variable(compare_cohorts(a.lazy(), b.lazy(), {"age": "numeric", "cd496": "numeric", "wtkg": "numeric"}))
    for name in ("age", "cd496", "wtkg"):
        x, y = a[name].drop_nulls().to_numpy(), b[name].drop_nulls().to_numpy()
        welch = stats.ttest_ind(x, y, equal_var=False)
        mw = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True)
        row = result[name]
        assert row["statistic"] == pytest.approx(welch.statistic, **TOL)
        assert row["p_value"] == pytest.approx(welch.pvalue, **TOL)
        assert row["mw_statistic"] == pytest.approx(mw.statistic, **TOL)
        assert row["mw_p_value"] == pytest.approx(mw.pvalue, **TOL)
        pooled = np.sqrt(((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / (len(x) + len(y) - 2))
        assert row["effect_size"] == pytest.approx((x.mean() - y.mean()) / pooled, **TOL)
        assert row["rank_biserial"] == pytest.approx(2 * mw.statistic / (len(x) * len(y)) - 1, **TOL)
    assert result["cd496"]["missing_a"] == a["cd496"].null_count()


def test_categorical_variables_match_chi_square_and_fisher(actg):
    a, b = actg.filter(pl.col("arms") == 0), actg.filter(pl.col("arms") == 3)
    result = by_variable(compare_cohorts(a.lazy(), b.lazy(), {"strat": "categorical", "gender": "categorical"}))
    for name in ("strat", "gender"):
        table = np.array([[int((a[name] == v).sum()), int((b[name] == v).sum())] for v in sorted(set(actg[name]))])
        expected = stats.chi2_contingency(table)
        assert result[name]["test"] == "chi_square"
        assert result[name]["statistic"] == pytest.approx(expected.statistic, **TOL)
        assert result[name]["p_value"] == pytest.approx(expected.pvalue, **TOL)
        v = np.sqrt(stats.chi2_contingency(table, correction=False).statistic / (table.sum() * (min(table.shape) - 1)))
        assert result[name]["effect_size"] == pytest.approx(v, **TOL)


def test_small_two_by_two_tables_use_fisher_exact():
    a = pl.DataFrame({"x": ["yes"] * 2 + ["no"] * 6})
    b = pl.DataFrame({"x": ["yes"] * 6 + ["no"] * 1})
    row = compare_cohorts(a.lazy(), b.lazy(), {"x": "categorical"}).row(0, named=True)
    fisher = stats.fisher_exact([[6, 1], [2, 6]])  # rows: no, yes; columns: a, b
    assert row["test"] == "fisher_exact"
    assert row["p_value"] == pytest.approx(fisher.pvalue, **TOL)
    assert row["effect_size"] == pytest.approx(fisher.statistic, **TOL)
    assert row["effect_measure"] == "odds_ratio"


def test_random_data_with_ties_nulls_and_bh_ranking():
    rng = np.random.default_rng(7)
    n = 400
    columns = {f"v{i}": rng.integers(0, 12, size=2 * n).astype(float) + (i % 3) * 0.5 for i in range(6)}
    columns["v0"][:n] += 2.0  # a real difference in one variable
    frame = pl.DataFrame(columns).with_columns(pl.when(pl.int_range(pl.len()) % 17 == 0).then(None).otherwise(pl.col("v1")).alias("v1"))
    a, b = frame.head(n), frame.tail(n)
    kinds = {c: "numeric" for c in columns}
    result = compare_cohorts(a.lazy(), b.lazy(), kinds)
    rows = by_variable(result)
    p_values = []
    for c in columns:
        x, y = a[c].drop_nulls().to_numpy(), b[c].drop_nulls().to_numpy()
        mw = stats.mannwhitneyu(x, y, method="asymptotic")
        assert rows[c]["mw_p_value"] == pytest.approx(mw.pvalue, **TOL)
        p_values.append(stats.ttest_ind(x, y, equal_var=False).pvalue)
    adjusted = stats.false_discovery_control(p_values, method="bh")
    for c, expected in zip(columns, adjusted):
        assert rows[c]["p_adjusted"] == pytest.approx(expected, **TOL)
    assert result.get_column("rank").to_list() == list(range(1, len(columns) + 1))
    assert result.row(0, named=True)["variable"] == "v0"
    assert result.get_column("p_value").is_sorted()


def test_single_level_and_too_few_values_are_explained_not_tested():
    a = pl.DataFrame({"c": ["x", "x"], "n": [1.0, None]})
    b = pl.DataFrame({"c": ["x", "x"], "n": [2.0, 3.0]})
    rows = by_variable(compare_cohorts(a.lazy(), b.lazy(), {"c": "categorical", "n": "numeric"}))
    assert rows["c"]["p_value"] is None and "one value" in rows["c"]["note"]
    assert rows["n"]["p_value"] is None and "at least 2 values" in rows["n"]["note"]


def test_errors_name_what_is_wrong():
    frame = pl.DataFrame({"age": [1, 2, 3]})
    with pytest.raises(ColumnNotFoundError, match="agee.*columns: age"):
        compare_cohorts(frame.lazy(), frame.lazy(), {"agee": "numeric"})
    with pytest.raises(ParameterError, match="Cohort B is empty"):
        compare_cohorts(frame.lazy(), frame.clear().lazy(), {"age": "numeric"})
    with pytest.raises(ParameterError, match="at least one variable"):
        compare_cohorts(frame.lazy(), frame.lazy(), {})


def test_nan_is_missing_like_null_in_every_test():
    a = pl.DataFrame({"x": [1.0, 2.5, float("nan"), 4.0, None, 3.0], "c": [1.0, 2.0, float("nan"), 1.0, 2.0, 1.0]})
    b = pl.DataFrame({"x": [2.0, float("nan"), 5.0, 6.5, 7.0, 8.0], "c": [2.0, 2.0, 1.0, None, 2.0, 2.0]})
    rows = by_variable(compare_cohorts(a.lazy(), b.lazy(), {"x": "numeric", "c": "categorical"}))
    x, y = a["x"].drop_nulls().drop_nans().to_numpy(), b["x"].drop_nans().to_numpy()
    assert (rows["x"]["n_a"], rows["x"]["missing_a"], rows["x"]["n_b"], rows["x"]["missing_b"]) == (4, 2, 5, 1)
    welch = stats.ttest_ind(a["x"].to_numpy(), b["x"].to_numpy(), equal_var=False, nan_policy="omit")
    assert rows["x"]["statistic"] == pytest.approx(welch.statistic, **TOL)
    assert rows["x"]["p_value"] == pytest.approx(welch.pvalue, **TOL)
    assert rows["x"]["mw_p_value"] == pytest.approx(stats.mannwhitneyu(x, y).pvalue, **TOL)
    assert (rows["c"]["n_a"], rows["c"]["missing_a"], rows["c"]["missing_b"]) == (5, 1, 1)
    assert "nan" not in rows["c"]["summary_a"].lower()


def exact_welch_t(x: list[float], y: list[float]) -> mpmath.mpf:
    """Welch's t from exact rational means and variances (the reference at huge offsets)."""
    def moments(values):
        exact = [Fraction(v) for v in values]
        mean = sum(exact) / len(exact)
        return mean, sum((v - mean) ** 2 for v in exact) / (len(exact) - 1)

    (mx, vx), (my, vy) = moments(x), moments(y)
    def mpf(q: Fraction) -> mpmath.mpf:
        return mpmath.mpf(q.numerator) / q.denominator

    with mpmath.workdps(50):
        return mpf(mx - my) / mpmath.sqrt(mpf(vx / len(x) + vy / len(y)))


@pytest.mark.parametrize("offset, sd", [(1.7e9, 100.0), (1e9, 1e-3), (-3e12, 0.25)])
def test_moments_keep_their_digits_at_huge_offsets(offset, sd):
    rng = np.random.default_rng(11)
    x, y = offset + rng.normal(0, sd, 300), offset + rng.normal(sd / 20, sd, 200)
    row = compare_cohorts(pl.LazyFrame({"v": x}), pl.LazyFrame({"v": y}), {"v": "numeric"}).row(0, named=True)
    exact = exact_welch_t(x.tolist(), y.tolist())
    assert row["statistic"] == pytest.approx(float(exact), rel=1e-9)


def test_mann_whitney_uses_scipys_default_method_and_says_which():
    a, b = [1.1, 2.3, 3.8, 4.2, 7.5], [2.0, 5.1, 6.6, 8.4, 9.9, 10.2]
    exact = compare_cohorts(pl.LazyFrame({"v": a}), pl.LazyFrame({"v": b}), {"v": "numeric"}).row(0, named=True)
    assert exact["mw_method"] == "exact"
    assert exact["mw_p_value"] == pytest.approx(stats.mannwhitneyu(a, b).pvalue, **TOL)
    assert exact["mw_p_value"] != pytest.approx(stats.mannwhitneyu(a, b, method="asymptotic").pvalue, rel=1e-3)
    tied = [1.1, 2.0, 3.8, 4.2, 7.5]
    row = compare_cohorts(pl.LazyFrame({"v": tied}), pl.LazyFrame({"v": b}), {"v": "numeric"}).row(0, named=True)
    assert row["mw_method"] == "asymptotic"
    assert row["mw_p_value"] == pytest.approx(stats.mannwhitneyu(tied, b).pvalue, **TOL)


@pytest.mark.parametrize("a, b", [([3.0], [1.0, 2.0, 4.0, 5.0]), ([2.0, 2.0, 2.0], [2.0, 2.0])])
def test_one_subject_or_all_values_equal_give_p_one_as_scipy(a, b):
    row = compare_cohorts(pl.LazyFrame({"v": a}), pl.LazyFrame({"v": b}), {"v": "numeric"}).row(0, named=True)
    assert stats.mannwhitneyu(a, b).pvalue == 1.0
    assert row["mw_p_value"] == 1.0


def test_notes_from_the_caller_reach_every_row():
    a, b = pl.LazyFrame({"v": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]}), pl.LazyFrame({"v": [2.0, 3.0], "c": ["x", "x"]})
    table = compare_cohorts(a, b, {"v": "numeric", "c": "categorical"}, notes=["cohorts overlap: 2 rows"])
    assert all(n.endswith("cohorts overlap: 2 rows") for n in table["note"])


def test_the_exact_mann_whitney_is_bounded_and_the_row_says_so():
    a, b = [0.5, 1.5, 2.5, 3.5, 4.5], [float(v) for v in range(1500)]
    row = compare_cohorts(pl.LazyFrame({"v": a}), pl.LazyFrame({"v": b}), {"v": "numeric"}).row(0, named=True)
    assert row["mw_method"] == "asymptotic" and "exact distribution, not computed for more than 1000" in row["note"]
    assert row["mw_p_value"] == pytest.approx(stats.mannwhitneyu(a, b, method="asymptotic").pvalue, **TOL)


# -- counts per cohort, no pooled frame (issue 15) ----------------------------------------------


LEVELS = pl.Enum(["low", "mid", "high", "never"])


def contingency(a: pl.Series, b: pl.Series, levels: list[str]) -> np.ndarray:
    """Rows: levels seen in either cohort (model order); columns: a, b - built by hand."""
    seen = [v for v in levels if (a == v).any() or (b == v).any()]
    return np.array([[int((a == v).sum()), int((b == v).sum())] for v in seen])


@pytest.mark.parametrize("dtype", [LEVELS, pl.String], ids=["enum", "string"])
def test_categories_with_nulls_and_a_level_unseen_in_one_cohort_match_chi_square(dtype):
    rng = np.random.default_rng(3)
    a = pl.Series("c", rng.choice(["low", "mid", None], size=300, p=[0.5, 0.4, 0.1]), dtype=pl.String)
    b = pl.Series("c", rng.choice(["low", "mid", "high", None], size=250, p=[0.3, 0.3, 0.3, 0.1]), dtype=pl.String)
    result = compare_cohorts(pl.DataFrame([a.cast(dtype)]).lazy(), pl.DataFrame([b.cast(dtype)]).lazy(),
                             {"c": "categorical"})
    row = result.row(0, named=True)
    table = contingency(a, b, ["low", "mid", "high"])  # "high" only in b, "never" in neither
    expected = stats.chi2_contingency(table)
    assert row["test"] == "chi_square"
    assert row["statistic"] == pytest.approx(expected.statistic, **TOL)
    assert row["p_value"] == pytest.approx(expected.pvalue, **TOL)
    assert (row["n_a"], row["n_b"]) == (a.drop_nulls().len(), b.drop_nulls().len())
    assert (row["missing_a"], row["missing_b"]) == (a.null_count(), b.null_count())
    assert "never" not in row["summary_a"] + row["summary_b"]  # a level seen in neither cohort is no row


def test_an_enum_and_the_same_values_as_text_give_the_same_row():
    rng = np.random.default_rng(5)
    values = [pl.Series("c", rng.choice(["low", "mid", "high"], size=n)) for n in (120, 90)]
    as_text = compare_cohorts(*(pl.DataFrame([v]).lazy() for v in values), {"c": "categorical"})
    as_enum = compare_cohorts(*(pl.DataFrame([v.cast(LEVELS)]).lazy() for v in values), {"c": "categorical"})
    assert as_enum.drop("summary_a", "summary_b").equals(as_text.drop("summary_a", "summary_b"))


def test_floats_with_ties_nan_and_signed_zeros_match_mann_whitney():
    # Rank sums come from counts per distinct value for floats too: ties, NaN (missing),
    # -0.0 and 0.0 (one value) must rank as scipy ranks them.
    rng = np.random.default_rng(9)
    x = np.round(rng.normal(0, 1, 700), 1)
    y = np.round(rng.normal(0.2, 1, 650), 1)
    x[::13], y[::17] = np.nan, np.nan
    x[1::29], y[2::31] = -0.0, 0.0
    result = compare_cohorts(pl.DataFrame({"v": x}).lazy(), pl.DataFrame({"v": y}).lazy(), {"v": "numeric"})
    row = result.row(0, named=True)
    mw = stats.mannwhitneyu(x[~np.isnan(x)], y[~np.isnan(y)], method="asymptotic")
    assert row["mw_statistic"] == pytest.approx(mw.statistic, **TOL)
    assert row["mw_p_value"] == pytest.approx(mw.pvalue, **TOL)
    assert (row["missing_a"], row["missing_b"]) == (int(np.isnan(x).sum()), int(np.isnan(y).sum()))


def test_floats_all_distinct_match_mann_whitney():
    rng = np.random.default_rng(10)
    x, y = rng.normal(0, 1, 3000), rng.normal(0.05, 1.2, 2500)
    row = compare_cohorts(pl.DataFrame({"v": x}).lazy(), pl.DataFrame({"v": y}).lazy(), {"v": "numeric"}).row(0, named=True)
    mw = stats.mannwhitneyu(x, y, method="asymptotic")
    assert row["mw_statistic"] == pytest.approx(mw.statistic, **TOL)
    assert row["mw_p_value"] == pytest.approx(mw.pvalue, **TOL)
