"""The tests' p-values without scipy.stats: the distributions, the chi-square test of a
contingency table and Benjamini-Hochberg equal scipy.stats' (1e-12 relative), tails and
edge cases of the degrees of freedom included; and whole comparisons and survival curves
far in the tails equal scipy's."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from jupyter_dataproduct.core.algorithms.compare import benjamini_hochberg, compare_cohorts
from jupyter_dataproduct.core.algorithms.contingency import chi_square_test
from jupyter_dataproduct.core.algorithms.distributions import chi2_sf, normal_quantile, normal_sf, t_two_sided
from jupyter_dataproduct.core.algorithms.survival import kaplan_meier, log_rank

REL = 1e-12

# From the middle to the far tails (p down to ~1e-300) and the degenerate ends.
Z = [0.0, 1e-9, 0.5, -0.5, 1.96, -3.0, 8.0, 12.0, 20.0, 37.0, -37.0, np.inf, -np.inf]
T = [0.0, 0.3, -1.2, 2.5, 6.0, 40.0, -150.0, 1e4, 1e8, np.inf]
T_DF = [1.0, 1.3, 2.0, 2.5, 7.0, 30.0, 1e3, 123456.7, 2e6, 1e9]
CHI2 = [0.0, 1e-12, 0.5, 3.84, 10.0, 80.0, 400.0, 1400.0, np.inf]
CHI2_DF = [1, 2, 3, 7, 30, 99, 1000]


def same(ours: float, theirs: float) -> bool:
    return (np.isnan(ours) and np.isnan(theirs)) or ours == pytest.approx(float(theirs), rel=REL, abs=0.0)


@pytest.mark.parametrize("z", Z)
def test_normal_tail_equals_scipy_stats(z):
    assert same(normal_sf(z), stats.norm.sf(z))


@pytest.mark.parametrize("q", [1e-300, 1e-20, 0.025, 0.5, 0.9, 0.975, 0.995, 1 - 1e-16])
def test_normal_quantile_equals_scipy_stats(q):
    assert same(normal_quantile(q), stats.norm.ppf(q))


@pytest.mark.parametrize("df", T_DF)
@pytest.mark.parametrize("t", T)
def test_two_sided_t_equals_scipy_stats(t, df):
    assert same(t_two_sided(t, df), 2 * stats.t.sf(abs(t), df))
    assert same(t_two_sided(-t, df), t_two_sided(t, df))


@pytest.mark.parametrize("df", CHI2_DF)
@pytest.mark.parametrize("x", CHI2)
def test_chi_square_tail_equals_scipy_stats(x, df):
    assert same(chi2_sf(x, df), stats.chi2.sf(x, df))


def test_a_chi_square_statistic_below_zero_by_rounding_has_p_one_as_scipy():
    assert chi2_sf(-1e-17, 1) == stats.chi2.sf(-1e-17, 1) == 1.0


def random_tables(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    tables = [rng.integers(1, 50, size=(rows, 2)) for rows in (2, 2, 3, 5, 12) for _ in range(4)]
    tables += [rng.integers(1, 10**6, size=(rows, cols)) for rows, cols in ((2, 2), (4, 3), (30, 2))]
    tables += [
        np.array([[10, 10], [10, 11]]),  # |observed - expected| < 0.5: Yates' correction stops at it
        np.array([[5000, 1], [1, 5000]]),  # p ~ 1e-2000 underflows to 0, as scipy's
        np.array([[900, 100], [100, 900]]),  # p ~ 1e-140: the far tail
        np.array([[400, 0], [0, 1]]),  # zeros in cells, a tiny expected count
        np.array([[7, 3, 9]]),  # one row: no degrees of freedom
    ]
    return tables


@pytest.mark.parametrize("correction", [True, False])
def test_chi_square_test_of_a_table_equals_chi2_contingency(correction):
    for table in random_tables(15):
        ours, theirs = chi_square_test(table, correction), stats.chi2_contingency(table, correction)
        assert ours.dof == theirs.dof, table
        assert same(ours.statistic, theirs.statistic), table
        assert same(ours.p_value, theirs.pvalue), table


def test_a_table_with_an_empty_row_is_refused_as_by_scipy():
    with pytest.raises(ValueError, match="no counts"):
        chi_square_test(np.array([[0, 0], [3, 4]]))
    with pytest.raises(ValueError, match="2-D table"):
        chi_square_test(np.array([3, 4]))


@pytest.mark.parametrize("p_values", [
    [], [0.3], [0.01, 0.04, 0.03, 0.2, 0.5, 1.0, 0.0],
    [0.05, 0.05, 0.05, 1e-300, 1e-300, 0.9],  # ties
    list(np.random.default_rng(3).uniform(size=200) ** 4),
])
def test_benjamini_hochberg_equals_scipys_false_discovery_control(p_values):
    theirs = stats.false_discovery_control(p_values, method="bh") if len(p_values) else []
    ours = benjamini_hochberg(p_values)
    assert len(ours) == len(p_values)
    assert all(same(o, t) for o, t in zip(ours, np.atleast_1d(theirs)))


def separated_cohorts(seed: int, n: int, shift: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)

    def cohort(offset: float, p_yes: float) -> pl.DataFrame:
        return pl.DataFrame({
            "x": rng.normal(offset, 1.0, n), "count": rng.poisson(5 + 3 * offset, n).astype(float),
            "answer": rng.choice(["yes", "no", "maybe"], n, p=[p_yes, (1 - p_yes) / 2, (1 - p_yes) / 2]),
        })
    return cohort(0.0, 0.3), cohort(shift, 0.3 + shift / 10)


@pytest.mark.parametrize("shift", [0.05, 1.0, 3.0])  # p from ~0.1 down to ~1e-300
def test_a_comparison_equals_scipy_stats_far_into_the_tails(shift):
    a, b = separated_cohorts(11, 2000, shift)
    rows = {r["variable"]: r for r in compare_cohorts(
        a.lazy(), b.lazy(), {"x": "numeric", "count": "numeric", "answer": "categorical"}).to_dicts()}
    for name in ("x", "count"):
        x, y = a[name].to_numpy(), b[name].to_numpy()
        assert same(rows[name]["p_value"], stats.ttest_ind(x, y, equal_var=False).pvalue)
        assert same(rows[name]["mw_p_value"], stats.mannwhitneyu(x, y, method="asymptotic").pvalue)
    levels = sorted(set(a["answer"]) | set(b["answer"]))
    table = np.array([[int((a["answer"] == v).sum()), int((b["answer"] == v).sum())] for v in levels])
    assert same(rows["answer"]["p_value"], stats.chi2_contingency(table).pvalue)
    p_values = [rows[v]["p_value"] for v in ("x", "count", "answer")]
    assert [rows[v]["p_adjusted"] for v in ("x", "count", "answer")] == pytest.approx(
        stats.false_discovery_control(p_values), rel=REL, abs=0.0)


def test_survival_intervals_and_log_rank_use_scipys_quantile_and_tail():
    rng = np.random.default_rng(5)
    n = 3000
    group = rng.integers(0, 3, n)
    time = np.round(rng.exponential(20 + 200 * group), 0) + 1  # groups far apart: p ~ 1e-200
    frame = pl.DataFrame({"time": time, "event": rng.uniform(size=n) < 0.9, "group": [f"g{g}" for g in group]})
    test = log_rank(frame.lazy(), "time", "event", "group")
    assert test["df"] == 2 and test["p_value"] < 1e-100
    assert same(test["p_value"], stats.chi2.sf(test["chisq"], 2))
    curve = kaplan_meier(frame.lazy(), "time", "event", "group", conf_level=0.9).drop_nulls("lower").row(0, named=True)
    z = stats.norm.ppf(0.95)
    se_log = curve["std_err"] / curve["survival"]
    assert curve["lower"] == pytest.approx(curve["survival"] * np.exp(-z * se_log), rel=1e-12)
