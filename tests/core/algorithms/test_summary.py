"""summarise: numeric statistics and category frequencies, optionally by group."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from jupyter_dataproduct.core.algorithms.summary import summarise
from jupyter_dataproduct.core.errors import ColumnNotFoundError


def test_numeric_statistics_by_group_match_numpy():
    rng = np.random.default_rng(1)
    frame = pl.DataFrame({"g": rng.choice(["a", "b"], 500), "x": rng.normal(10, 2, 500)})
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) % 10 == 0).then(None).otherwise(pl.col("x")).alias("x"))
    tables = summarise(frame.lazy(), {"x": "numeric"}, by=["g"])
    for row in tables["numeric"].to_dicts():
        values = frame.filter(pl.col("g") == row["g"])["x"]
        present = values.drop_nulls().to_numpy()
        assert row["count"] == len(present) and row["missing"] == values.null_count()
        assert row["mean"] == pytest.approx(present.mean(), rel=1e-12)
        assert row["sd"] == pytest.approx(present.std(ddof=1), rel=1e-12)
        assert row["median"] == pytest.approx(np.median(present), rel=1e-12)
        assert row["q25"] == pytest.approx(np.quantile(present, 0.25), rel=1e-12)


def test_category_frequencies_sum_to_100_percent_per_group():
    frame = pl.DataFrame({"g": ["a", "a", "a", "b"], "c": ["x", "y", "x", None]})
    table = summarise(frame.lazy(), {"c": "categorical"}, by=["g"])["categorical"]
    a = {r["value"]: (r["count"], r["percent"]) for r in table.filter(pl.col("g") == "a").to_dicts()}
    assert a == {"x": (2, pytest.approx(200 / 3)), "y": (1, pytest.approx(100 / 3))}
    assert table.group_by("g").agg(pl.col("percent").sum())["percent"].to_list() == pytest.approx([100, 100])


def test_unknown_columns_are_named():
    with pytest.raises(ColumnNotFoundError, match="'nope'"):
        summarise(pl.DataFrame({"x": [1]}).lazy(), {"nope": "numeric"})


def test_nan_is_missing_like_null():
    frame = pl.DataFrame({"x": [1.0, float("nan"), 3.0, None], "c": [1.5, float("nan"), 1.5, 2.5]})
    tables = summarise(frame.lazy(), {"x": "numeric", "c": "categorical"})
    row = tables["numeric"].row(0, named=True)
    assert (row["count"], row["missing"], row["mean"], row["max"]) == (2, 2, 2.0, 3.0)
    assert tables["categorical"]["value"].to_list() == ["1.5", "2.5", None]
