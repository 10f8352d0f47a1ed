"""Finishing in the driver: quantiles and Mann-Whitney rank sums from value counts equal
what the rows themselves give (polars' quantiles, scipy's average ranks)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

from jupyter_dataproduct.core.algorithms.compare import compare_cohorts
from jupyter_dataproduct.core.backends.reducers import COHORT, quantiles_of_counts, rank_sums


def test_quantiles_from_value_counts_equal_polars_linear_quantiles():
    """The driver's quantiles of counted values (Spark's path for small-range integers) are
    polars' linear quantiles of the rows, ties, a single value and an all-missing group included."""
    generator = np.random.default_rng(7)
    rows = pl.DataFrame({
        COHORT: ["a"] * 500 + ["b"] * 1 + ["c"] * 3,
        "value": [*generator.integers(-20, 40, 500).tolist(), 5, None, None, None],
    }).with_columns(pl.when(pl.int_range(pl.len()) % 17 == 0).then(None).otherwise(pl.col("value")).alias("value"))
    counts = rows.group_by(COHORT, "value").agg(pl.len().alias("count"))
    probabilities = [0.0, 0.01, 0.25, 0.5, 0.333, 0.75, 0.99, 1.0]
    got = quantiles_of_counts(counts, "x", probabilities).sort(COHORT, "probability")
    expected = pl.concat([
        rows.group_by(COHORT).agg(pl.lit("x").alias("variable"), pl.lit(p).alias("probability"),
                                  pl.col("value").cast(pl.Float64).quantile(p, "linear").alias("value"))
        for p in probabilities
    ]).sort(COHORT, "probability")
    assert_frame_equal(got, expected, check_exact=False, rel_tol=1e-12)


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


def test_rank_sum_and_ties_from_counts_equal_average_ranks_of_every_row(pooled):
    counts = (pooled.with_columns(pl.when("cohort_a").then(pl.lit("a")).otherwise(pl.lit("b")).alias(COHORT))
              .group_by(COHORT, pl.col("x").alias("value")).agg(pl.len().alias("count")))
    found = rank_sums(counts, "a")
    present = pooled.drop_nulls("x")
    ranks = stats.rankdata(present["x"].to_numpy())  # average ranks, as scipy and R give them
    expected_sum = ranks[present["cohort_a"].to_numpy()].sum()
    _, tied = np.unique(present["x"].to_numpy(), return_counts=True)
    assert found["rank_sum_a"] == pytest.approx(expected_sum, rel=1e-12)
    assert found["ties"] == pytest.approx(float((tied.astype(float) ** 3 - tied).sum()), rel=1e-12)
    assert (found["n_a"], found["n_b"]) == (int(present["cohort_a"].sum()), int((~present["cohort_a"]).sum()))


def test_compare_cohorts_mann_whitney_on_integers_matches_scipy(pooled):
    a = pooled.filter(pl.col("cohort_a")).drop("cohort_a")
    b = pooled.filter(~pl.col("cohort_a")).drop("cohort_a")
    row = compare_cohorts(a.lazy(), b.lazy(), {"x": "numeric"}).row(0, named=True)
    expected = stats.mannwhitneyu(a["x"].drop_nulls().to_numpy(), b["x"].drop_nulls().to_numpy(),
                                  method="asymptotic")
    assert row["mw_statistic"] == pytest.approx(expected.statistic, rel=1e-12)
    assert row["mw_p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
