"""Rank sums from counts per distinct value equal ranking every row."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from jupyter_dataproduct.core.algorithms.compare import compare_cohorts
from jupyter_dataproduct.core.algorithms.ranks import rank_sums_by_value


@pytest.fixture
def pooled() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    n = 5_000
    values = rng.integers(0, 40, n).astype(float)
    values[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "x": pl.Series(values).fill_nan(None).cast(pl.Int64),  # many ties, some missing
        "cohort_a": rng.random(n) < 0.4,
    })


def test_rank_sum_and_ties_equal_average_ranks_of_every_row(pooled):
    found = rank_sums_by_value(pooled, ["x"], "cohort_a")
    present = pooled.drop_nulls("x")
    ranks = stats.rankdata(present["x"].to_numpy())  # average ranks, as scipy and R give them
    expected_sum = ranks[present["cohort_a"].to_numpy()].sum()
    _, counts = np.unique(present["x"].to_numpy(), return_counts=True)
    assert found["x:rank_sum_a"] == pytest.approx(expected_sum, rel=1e-12)
    assert found["x:ties"] == pytest.approx(float((counts.astype(float) ** 3 - counts).sum()), rel=1e-12)


def test_no_columns_no_queries(pooled):
    assert rank_sums_by_value(pooled, [], "cohort_a") == {}


def test_compare_cohorts_mann_whitney_on_integers_matches_scipy(pooled):
    a = pooled.filter(pl.col("cohort_a")).drop("cohort_a")
    b = pooled.filter(~pl.col("cohort_a")).drop("cohort_a")
    row = compare_cohorts(a.lazy(), b.lazy(), {"x": "numeric"}).row(0, named=True)
    expected = stats.mannwhitneyu(a["x"].drop_nulls().to_numpy(), b["x"].drop_nulls().to_numpy(),
                                  method="asymptotic")
    assert row["mw_statistic"] == pytest.approx(expected.statistic, rel=1e-12)
    assert row["mw_p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
