"""compare_cohorts agrees with scipy's tests on real and random data (to 1e-9)."""

from __future__ import annotations

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
