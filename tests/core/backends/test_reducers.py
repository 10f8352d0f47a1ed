"""Finishing in the driver: quantiles from value counts equal polars' quantiles of the rows."""

from __future__ import annotations

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core.backends.reducers import COHORT, quantiles_of_counts


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
