"""The backend reducers give the same small tables on every engine.

Run on the example product (ACTG 175) and on a generated one with the numerical traps:
a column near 1e9 (variance by shifted sums), a nearly distinct column (Mann-Whitney
from value counts, not row ranks), nulls in every type. Integers must be exactly equal,
floats to 1e-9 relative, with the same columns, types and row order. The polars results
are also checked against numpy/scipy, so the agreement is with the right answer.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

from jupyter_dataproduct.core.backends.choice import parse_engine
from jupyter_dataproduct.core.backends.polars_backend import PolarsBackend
from jupyter_dataproduct.core.backends.reducers import event_table, finish_moments, rank_sums
from jupyter_dataproduct.core.cohort import cohort_from_value
from jupyter_dataproduct.core.product import Product

@pytest.fixture
def backend(engine):
    if engine == "polars":
        return PolarsBackend()
    from jupyter_dataproduct.core.backends.spark_backend import SparkBackend

    return SparkBackend(parse_engine(engine))


CASES = {
    "actg": ("patients", {"a": "arms == 'ZDV'", "b": "arms in ('ZDV+ddI', 'ddI') and age >= 30"},
             ["age", "wtkg", "cd40", "cd496", "karnof"], ["arms", "gender", "hemo", "race"], ("days", "cens", "arms")),
    "generated": ("rows", {"a": "arm == 'zeta' or flag is null", "b": "not (arm == 'zeta')"},
                  ["shifted", "distinct", "count"], ["arm", "flag", "count"], ("time", "event", "arm")),
}


def _setup(product: Product, case: str):
    entity_name, cohort_texts, numeric, categorical, survival = CASES[case]
    entity = product.manifest.model.entities[entity_name]
    cohorts = {label: cohort_from_value(text, entity_name, entity) for label, text in cohort_texts.items()}
    return product.snapshot(), entity_name, entity, cohorts, numeric, categorical, survival


@pytest.fixture(params=list(CASES))
def case(request, actg, generated):
    return _setup(actg if request.param == "actg" else generated, request.param)


def _references(snapshot, entity_name, numeric) -> dict[str, float]:
    # The column minimum: a value inside the data, so shifted sums stay small.
    row = snapshot.scan(entity_name).select(pl.col(numeric).cast(pl.Float64).min()).collect().row(0, named=True)
    return {k: (v if v is not None else 0.0) for k, v in row.items()}


def _same(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    """Same columns, types and row order; integers exact, floats to 1e-9 relative."""
    assert got.columns == expected.columns and got.schema == expected.schema
    assert_frame_equal(got, expected, check_exact=False, rel_tol=1e-9, abs_tol=0.0)


def test_moments_per_cohort_and_variable(backend, case):
    snapshot, entity_name, entity, cohorts, numeric, _, _ = case
    references = _references(snapshot, entity_name, numeric)
    got = finish_moments(backend.moments(snapshot, entity, cohorts, numeric, references), references)
    expected = finish_moments(PolarsBackend().moments(snapshot, entity, cohorts, numeric, references), references)
    _same(got, expected)
    # ... and the right answer: exact (rational) mean and sample variance of the raw rows
    # (numpy's two-pass variance itself is off by ~1e-8 at a 1e9 offset).
    for row in got.iter_rows(named=True):
        cohort = cohorts[row["cohort"]]
        values = snapshot.scan(entity_name).filter(cohort.expression(entity)).select(row["variable"]).collect()
        x = values.to_series().drop_nulls().cast(pl.Float64).to_numpy()
        assert row["n"] == len(x) and row["missing"] == values.height - len(x)
        assert math.isclose(row["mean"], statistics.mean(x.tolist()), rel_tol=1e-12)
        assert math.isclose(row["var"], statistics.variance(x.tolist()), rel_tol=1e-9)


def test_value_counts_and_contingency_in_model_order(backend, case):
    snapshot, _, entity, cohorts, _, categorical, _ = case
    got = backend.value_counts(snapshot, entity, cohorts, categorical)
    expected = PolarsBackend().value_counts(snapshot, entity, cohorts, categorical)
    assert list(got) == categorical
    for name in categorical:
        assert got[name].equals(expected[name]), name
        assert got[name].schema["value"] == entity.columns[name].polars_type()


def test_mann_whitney_from_value_counts_equals_scipy(backend, case):
    snapshot, entity_name, entity, cohorts, numeric, _, _ = case
    counts = backend.value_counts(snapshot, entity, cohorts, numeric)
    for name in numeric:
        sums = rank_sums(counts[name], "a")
        a, b = (snapshot.scan(entity_name).filter(cohorts[k].expression(entity)).select(name).collect()
                .to_series().drop_nulls().to_numpy() for k in ("a", "b"))
        ranks = stats.rankdata(np.concatenate([a, b]))
        assert (sums["n_a"], sums["n_b"]) == (len(a), len(b))
        assert 2 * sums["rank_sum_a"] == 2 * ranks[: len(a)].sum()  # halves are exact in binary
        _, t = np.unique(np.concatenate([a, b]), return_counts=True)
        assert sums["ties"] == float((t.astype(float) ** 3 - t).sum())


def test_event_table(backend, case):
    snapshot, _, entity, cohorts, _, _, (time, event, group) = case
    group_type = entity.columns[group].polars_type()
    got = event_table(backend.event_counts(snapshot, entity, cohorts["b"], time, event, group), group_type)
    expected = event_table(PolarsBackend().event_counts(snapshot, entity, cohorts["b"], time, event, group), group_type)
    _same(got, expected)
    # Groups in the model's order (not alphabetical: Spark sees text), a missing group last.
    present = set(got["group"])
    model_order = [g for g in group_type.categories.to_list() if g in present] + ([None] if None in present else [])
    assert got.height > 10 and got["group"].unique(maintain_order=True).to_list() == model_order


def test_exact_quantiles(backend, case):
    snapshot, entity_name, entity, cohorts, numeric, _, _ = case
    probabilities = [0.0, 0.25, 0.5, 0.75, 1.0]
    got = backend.quantiles(snapshot, entity, cohorts, numeric, probabilities)
    _same(got, PolarsBackend().quantiles(snapshot, entity, cohorts, numeric, probabilities))
    row = got.row(2, named=True)
    x = (snapshot.scan(entity_name).filter(cohorts[row["cohort"]].expression(entity)).select(row["variable"])
         .collect().to_series().drop_nulls().cast(pl.Float64).to_numpy())
    assert math.isclose(row["value"], float(np.quantile(x, row["probability"])), rel_tol=1e-12)


def test_one_bound_reducers_answer_every_call_as_separate_calls_do(backend, case):
    """One analysis asks rows, moments (around 0, then around a reference), value counts,
    rank sums and quantiles of the same reducers: Spark answers the later calls from its
    first pass and one batch of value counts (quantiles and ranks of small-range integers
    from counts); every table equals polars'."""
    snapshot, entity_name, entity, cohorts, numeric, categorical, _ = case
    columns = list(dict.fromkeys([*numeric, *categorical]))
    mine, theirs = (b.reducers(snapshot, entity, cohorts, columns) for b in (backend, PolarsBackend()))
    references = _references(snapshot, entity_name, numeric)
    probabilities = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]
    try:
        assert mine.rows() == theirs.rows()
        # Unshifted sums first (their variance would be noise at the 1e9 offset on both engines).
        _same(mine.moments(numeric, {}), theirs.moments(numeric, {}))
        _same(finish_moments(mine.moments(numeric, references), references),
              finish_moments(theirs.moments(numeric, references), references))
        counts, expected = mine.value_counts(categorical), theirs.value_counts(categorical)
        assert all(counts[name].equals(expected[name]) for name in categorical)
        _same(mine.quantiles(numeric, probabilities), theirs.quantiles(numeric, probabilities))
        ranks, expected_ranks = mine.rank_sums(numeric), theirs.rank_sums(numeric)
        for name in numeric:
            assert ranks[name]["rank_sum_a"] == expected_ranks[name]["rank_sum_a"], name  # half-integers: exact
            assert ranks[name]["ties"] == pytest.approx(expected_ranks[name]["ties"], rel=1e-12), name
    finally:
        mine.release()
        theirs.release()


def test_filtered_projected_frame(backend, case):
    snapshot, entity_name, entity, cohorts, numeric, categorical, _ = case
    columns = [*entity.key, *categorical[:2], numeric[0]]
    got = backend.frame(snapshot, entity, cohorts["b"], columns)
    _same(got, PolarsBackend().frame(snapshot, entity, cohorts["b"], columns))


def test_the_engine_reports_its_version(backend):
    assert backend.version()[0].isdigit()

