"""The polars reducers give the same numbers from the scan (first reduction) and from the
rows kept in memory (later ones), over a real Parquet file."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from jupyter_dataproduct.core.backends.polars_backend import PolarsReducers


@pytest.fixture
def cohorts(tmp_path) -> dict[str, pl.LazyFrame]:
    rng = np.random.default_rng(1)
    n = 2_000
    values = rng.normal(50, 10, n)
    values[::11] = np.nan
    frame = pl.DataFrame({
        "arm": rng.choice(["a", "b", "c"], n),
        "x": values,
        "k": pl.Series(rng.choice(["u", "v", None], n)).cast(pl.Enum(["u", "v", "w"])),
    })
    frame.write_parquet(tmp_path / "rows.parquet")
    scan = pl.scan_parquet(tmp_path / "rows.parquet")
    return {"a": scan.filter(pl.col("arm") == "a"), "b": scan.filter(pl.col("arm") == "b")}


def reductions(reducers: PolarsReducers) -> tuple:
    return (reducers.rows(), reducers.moments(["x"], {}), reducers.value_counts(["k"])["k"],
            reducers.rank_sums(["x"]), reducers.quantiles(["x"], [0.5]))


def test_a_reduction_on_the_scan_equals_the_same_on_rows_in_memory(cohorts):
    singles = []
    for i in range(5):  # each reducer once as the first reduction (on the scan)
        fresh = PolarsReducers.from_frames(cohorts, ["x", "k"])
        singles.append(reductions(fresh)[i])
    later = PolarsReducers.from_frames(cohorts, ["x", "k"])
    reductions(later)
    again = reductions(later)  # now every one from memory
    for single, kept in zip(singles, again):
        if isinstance(single, pl.DataFrame):
            assert single.equals(kept)
        else:
            assert single == kept


def test_counts_and_moments_per_cohort_match_the_rows(cohorts):
    reducers = PolarsReducers.from_frames(cohorts, ["x", "k"])
    a = cohorts["a"].collect()
    assert reducers.rows()["a"] == a.height
    moments = reducers.moments(["x"], {}).row(0, named=True)
    present = a["x"].fill_nan(None)
    assert (moments["cohort"], moments["n"], moments["missing"]) == ("a", present.count(), present.null_count())
    assert moments["sum"] == pytest.approx(present.sum(), rel=1e-12)
    counts = reducers.value_counts(["k"])["k"].filter(pl.col("cohort") == "a")
    assert counts["value"].to_list() == ["u", "v", None]  # model order, unseen "w" absent, nulls last
    assert counts["count"].to_list() == [int((a["k"] == "u").sum()), int((a["k"] == "v").sum()), a["k"].null_count()]
