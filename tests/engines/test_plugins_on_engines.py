"""Plugins under a distributed engine: they receive the cohort's rows as an in-memory
frame while the rows fit (``DATAPRODUCT_PLUGIN_MAX_ROWS``); above, a clear error says what
to do. A plugin that declares a Spark DataFrame by its type hint receives the rows where
they are, without a size limit."""

from __future__ import annotations

import pytest

from jupyter_dataproduct.core.errors import ParameterError, PluginError

SPARK_PLUGIN = '''
from pyspark.sql import DataFrame

def arm_counts(patients: DataFrame) -> dict:
    """Rows per arm, counted by Spark."""
    rows = patients.groupBy("arms").count().collect()
    return {"rows": sum(r["count"] for r in rows), "arms": len(rows)}
'''


def test_a_plugin_gets_the_rows_as_a_frame_when_they_fit(actg, engine, monkeypatch):
    monkeypatch.setenv("DATAPRODUCT_PLUGIN_MAX_ROWS", "100000")
    result = actg.run("cd4_response", {"cohort": "age >= 30"}, record=False, engine=engine)
    polars = actg.run("cd4_response", {"cohort": "age >= 30"}, record=False, engine="polars")
    assert result.tables["response"].equals(polars.tables["response"])
    assert result.provenance["engine"]["name"] == ("polars" if engine == "polars" else "spark")


def test_above_the_limit_the_error_says_to_filter_or_take_a_spark_frame(actg, spark, monkeypatch):
    monkeypatch.setenv("DATAPRODUCT_PLUGIN_MAX_ROWS", "500")
    with pytest.raises(ParameterError) as caught:
        actg.run("cd4_response", {"cohort": "age >= 30"}, record=False, engine="spark-local[2]")
    message = caught.value.message
    assert "500" in message and "DATAPRODUCT_PLUGIN_MAX_ROWS" in message
    assert "Filter the cohort further" in message and "Spark DataFrame" in message
    assert caught.value.details["rows"] > 500
    # The limit is the engine's: polars hands the plugin lazy rows whatever their number.
    assert actg.run("cd4_response", {"cohort": "age >= 30"}, record=False, engine="polars").tables["response"].height == 4


def test_a_plugin_typed_for_spark_gets_the_spark_dataframe(actg, spark, monkeypatch):
    monkeypatch.setenv("DATAPRODUCT_PLUGIN_MAX_ROWS", "10")  # no limit for rows that stay in Spark
    actg.define_plugin("arm_counts", SPARK_PLUGIN)
    result = actg.run_plugin("arm_counts", {"patients": "age >= 30"}, record=False, engine="spark-local[2]")
    expected = actg.frame("patients", "age >= 30").collect()
    assert result.values == {"rows": expected.height, "arms": expected["arms"].n_unique()}


def test_a_plugin_typed_for_spark_on_polars_says_to_choose_spark(actg, spark):
    actg.define_plugin("arm_counts", SPARK_PLUGIN)
    with pytest.raises(PluginError, match="run it with a Spark engine"):
        actg.run_plugin("arm_counts", {"patients": "age >= 30"}, record=False, engine="polars")
