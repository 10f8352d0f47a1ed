"""Random cohort trees select the same rows with the polars and the Spark compilers.

The data has a missing value in every column type (and NaN among the floats), so the
null rules - a condition on a missing value is false, ``not`` negates that - are
exercised on each type.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_dataproduct.core.backends.spark_cohort import spark_expression
from jupyter_dataproduct.core.cohort import cohort_from_value
from jupyter_dataproduct.core.model import Column, Entity

LEVELS = ["low", "mid", "high"]
COLUMNS = {
    "n": Column(type="int"),
    "x": Column(type="float"),
    "s": Column(type="string"),
    "c": Column(type="category", levels=LEVELS),
    "b": Column(type="bool"),
    "d": Column(type="date"),
    "t": Column(type="datetime"),
}
DAY = dt.date(2024, 1, 1)
ROWS = 40


def _value(name: str, i: int):
    """Row i's value of a column: None every 7th row (shifted per column), NaN among floats."""
    if (i + len(name) * 3 + ord(name)) % 7 == 0:
        return None
    return {
        "n": i % 9 - 4,
        "x": float("nan") if i % 11 == 5 else (i % 6) * 0.5 - 1,
        "s": ["", "a", "ab", "b", "ba", "Z"][i % 6],
        "c": LEVELS[i % 3],
        "b": i % 2 == 0,
        "d": DAY + dt.timedelta(days=i % 5),
        "t": dt.datetime(2024, 1, 1, 12) + dt.timedelta(hours=i % 4),
    }[name]


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    data = {name: [_value(name, i) for i in range(ROWS)] for name in COLUMNS}
    schema = {name: column.polars_type() for name, column in COLUMNS.items()}
    return pl.DataFrame(data, schema=schema)


@pytest.fixture(scope="module")
def entity() -> Entity:
    return Entity(source="rows", key=["n"], columns=COLUMNS)


@pytest.fixture(scope="module")
def spark_frame(spark, frame, tmp_path_factory):
    # Through Parquet, as snapshots reach Spark (categories arrive as strings).
    path = tmp_path_factory.mktemp("cohorts") / "rows.parquet"
    frame.write_parquet(path)
    return spark.read.parquet(str(path))


SAMPLES = {
    "n": st.integers(-5, 5),
    "x": st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.5, 3.0]),
    "s": st.sampled_from(["", "a", "ab", "b", "Z", "zz"]),
    "c": st.sampled_from(LEVELS),
    "b": st.booleans(),
    "d": st.integers(0, 5).map(lambda k: (DAY + dt.timedelta(days=k)).isoformat()),
    "t": st.integers(0, 5).map(lambda h: dt.datetime(2024, 1, 1, 11 + h).isoformat()),
}
ORDERED = {"n", "x", "s", "d", "t"}


@st.composite
def leaves(draw):
    name = draw(st.sampled_from(sorted(COLUMNS)))
    ops = ["==", "!=", "in", "not in", "is null", "is not null"]
    if name in ORDERED:
        ops += ["<", "<=", ">", ">=", "between"]
    if name == "s":
        ops.append("contains")
    op = draw(st.sampled_from(ops))
    if op in ("is null", "is not null"):
        return {"column": name, "op": op}
    if op in ("in", "not in"):
        return {"column": name, "op": op, "value": draw(st.lists(SAMPLES[name], min_size=1, max_size=3))}
    if op == "between":
        return {"column": name, "op": op, "value": sorted(draw(st.lists(SAMPLES[name], min_size=2, max_size=2)))}
    return {"column": name, "op": op, "value": draw(SAMPLES[name])}


trees = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.builds(lambda parts: {"and": parts}, st.lists(children, max_size=3)),
        st.builds(lambda parts: {"or": parts}, st.lists(children, max_size=3)),
        st.builds(lambda part: {"not": part}, children),
    ),
    max_leaves=6,
)


# Each example is a batch of trees counted in one Spark job (a job costs ~0.3-1 s here).
@settings(max_examples=3, deadline=None, derandomize=True,  # a fixed seed: the same trees every run
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(trees, min_size=25, max_size=25))
def test_polars_and_spark_select_the_same_rows(batch, frame, entity, spark_frame):
    from pyspark.sql import functions as F

    cohorts = [cohort_from_value(tree, "rows", entity) for tree in batch]
    names = [f"c{i}" for i in range(len(cohorts))]
    # with_columns broadcasts a constant condition (everyone: true) to every row.
    polars_rows = frame.with_columns(
        [c.expression(entity).alias(n) for n, c in zip(names, cohorts)]).select(pl.col(names).sum()).row(0)
    spark_rows = spark_frame.agg(
        *[F.sum(spark_expression(c, entity).cast("int")).alias(f"c{i}") for i, c in enumerate(cohorts)]).collect()[0]
    for cohort, expected, got in zip(cohorts, polars_rows, spark_rows):
        assert (got or 0) == expected, cohort.describe()


def test_a_condition_on_a_missing_value_is_false_even_negated_inside(frame, entity, spark_frame):
    # `not (n > 0)` keeps rows with a missing n (the condition was false); `n <= 0` does not.
    negated = cohort_from_value("not (n > 0)", "rows", entity)
    direct = cohort_from_value("n <= 0", "rows", entity)
    missing = frame.filter(pl.col("n").is_null()).height
    assert missing > 0
    for cohort in (negated, direct):
        assert spark_frame.filter(spark_expression(cohort, entity)).count() == frame.filter(cohort.expression(entity)).height
    assert frame.filter(negated.expression(entity)).height == frame.filter(direct.expression(entity)).height + missing


# The generated product's columns of every type (each about 5% missing), for trees run
# end to end: parsed from the model, compiled by each backend, counted by its reducers.
GENERATED_SAMPLES = {
    "count": st.integers(0, 6),
    "distinct": st.sampled_from([-1.0, -0.25, 0.0, 0.5, 1.5]),
    "label": st.sampled_from(["a", "b", "ab", "Z", "zz"]),
    "arm": st.sampled_from(["zeta", "alpha", "mid"]),
    "flag": st.booleans(),
    "day": st.integers(0, 31).map(lambda k: (DAY + dt.timedelta(days=k)).isoformat()),
    "stamp": st.integers(0, 170).map(lambda h: (dt.datetime(2024, 1, 1) + dt.timedelta(hours=h)).isoformat()),
}
GENERATED_ORDERED = {"count", "distinct", "label", "day", "stamp"}


@st.composite
def generated_leaves(draw):
    name = draw(st.sampled_from(sorted(GENERATED_SAMPLES)))
    ops = ["==", "!=", "in", "not in", "is null", "is not null"]
    if name in GENERATED_ORDERED:
        ops += ["<", ">=", "between"]
    op = draw(st.sampled_from(ops))
    if op in ("is null", "is not null"):
        return {"column": name, "op": op}
    if op in ("in", "not in"):
        return {"column": name, "op": op, "value": draw(st.lists(GENERATED_SAMPLES[name], min_size=1, max_size=3))}
    if op == "between":
        return {"column": name, "op": op, "value": sorted(draw(st.lists(GENERATED_SAMPLES[name], min_size=2, max_size=2)))}
    return {"column": name, "op": op, "value": draw(GENERATED_SAMPLES[name])}


generated_trees = st.recursive(
    generated_leaves(),
    lambda children: st.one_of(
        st.builds(lambda parts: {"and": parts}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda parts: {"or": parts}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, children),
    ),
    max_leaves=5,
)


@settings(max_examples=1, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(generated_trees, min_size=12, max_size=12))
def test_backends_count_the_same_cohort_rows_on_a_product(batch, generated, spark):
    from jupyter_dataproduct.core.backends.choice import backend_for, parse_engine
    from jupyter_dataproduct.core.backends.polars_backend import PolarsBackend

    entity = generated.manifest.model.entities["rows"]
    cohorts = {f"c{i}": cohort_from_value(tree, "rows", entity) for i, tree in enumerate(batch)}
    snapshot = generated.snapshot()
    spark_backend = backend_for(parse_engine("spark-local[2]"))
    counted = [backend.reducers(snapshot, entity, cohorts, []).rows()  # all cohorts in one pass
               for backend in (PolarsBackend(), spark_backend)]
    for label, cohort in cohorts.items():
        assert counted[0][label] == counted[1][label], cohort.describe()
