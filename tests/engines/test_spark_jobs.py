"""Spark runs a protocol in a bounded number of jobs.

Each Spark job pays a fixed cost (scheduling, a read of the Parquet columns it needs), so
the reducers batch their work: one first pass for rows and moments, one grouping-sets job
for every value count, one job for the rank sums of columns with many values. These bounds
fail when a change adds jobs again (e.g. a reducer per variable, or a second moments pass
that exact integer sums make unnecessary). Counted by the context's status tracker; a
shuffle stage under adaptive execution counts as a job of its own.
"""

from __future__ import annotations

import pytest

from jupyter_dataproduct.core.backends.choice import parse_engine
from jupyter_dataproduct.core.backends.spark_backend import SparkBackend
from jupyter_dataproduct.core.backends.spark_session import jobs_started
from jupyter_dataproduct.core.cohort import cohort_from_value

from tests.engines.conftest import _spark_choice

# Measured with this branch: compare_arms 14 (the overlap count, the first pass, one batch of
# value counts, two for the rank sums of the float column; each shuffle is a job of its
# own), survival 3, baseline_summary at most 13 (2 of them bring the rows to the driver for
# the charts). Before the batching, at 1M rows: 27, 4 and 12 jobs, with a cache built per
# analysis and a distinct-count estimate before the rank sums.
BOUNDS = {"compare_arms": 14, "survival": 4, "baseline_summary": 13}


def _jobs(spark, work) -> int:
    before = jobs_started(spark)
    work()
    return jobs_started(spark) - before


@pytest.mark.parametrize("protocol", list(BOUNDS))
def test_a_protocol_runs_in_a_bounded_number_of_spark_jobs(spark, actg, protocol):
    engine = _spark_choice().name
    actg.run(protocol, record=False, engine=engine)  # the first run also starts what Spark caches
    jobs = _jobs(spark, lambda: actg.run(protocol, record=False, engine=engine))
    assert 0 < jobs <= BOUNDS[protocol], f"{protocol} ran {jobs} Spark jobs (at most {BOUNDS[protocol]})"


def test_rows_and_moments_come_from_one_pass(spark, actg):
    """rows, moments and moments around far-off references of integer columns (exact sums)
    share one aggregation; a float column around a reference needs a pass of its own."""
    snapshot, entity = actg.snapshot(), actg.manifest.model.entities["patients"]
    cohorts = {k: cohort_from_value(v, "patients", entity) for k, v in {"a": "arms == 'ZDV'", "b": "arms == 'ddI'"}.items()}
    reducers = SparkBackend(parse_engine(_spark_choice().name)).reducers(snapshot, entity, cohorts, ["age", "cd40", "wtkg"])
    try:
        first = _jobs(spark, reducers.rows)
        assert first >= 1
        more = _jobs(spark, lambda: (reducers.moments(["age", "cd40", "wtkg"], {}),
                                     reducers.moments(["age", "cd40"], {"age": 35.0, "cd40": 350.0})))
        assert more == 0
        assert _jobs(spark, lambda: reducers.moments(["wtkg"], {"wtkg": 75.0})) >= 1
    finally:
        reducers.release()
