"""Every built-in protocol gives the same result on every engine.

Run on the example product (ACTG 175, its own protocols included: Python, R and notebook
plugins receive the cohort's rows from the engine) and on a generated product with the
numerical traps (nulls in every type, ties, a column near 1e9, a nearly distinct column
whose Mann-Whitney ranks take the distributed path on Spark). Integers exactly equal,
floats to 1e-9 relative, the same columns, types and row order, the same result JSON
except the engine named in the provenance.
"""

from __future__ import annotations

import json
import math
import shutil
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.result import Result

ACTG_PROTOCOLS = {
    "conformance_frame": {"algorithm": "frame", "with": {
        "entity": "patients", "where": "age > 40 and arms != 'ddI'",
        "columns": ["pidnum", "age", "wtkg", "arms", "gender", "cens", "days"], "order_by": ["pidnum"], "limit": 200}},
    "conformance_summary": {"algorithm": "summary", "with": {
        "entity": "patients", "cohort": "karnof >= 90", "columns": ["age", "wtkg", "cd40", "karnof", "gender", "race"]}},
    "conformance_summary_by": {"algorithm": "summary", "with": {"entity": "patients", "by": "arms"}},
    "conformance_compare": {"algorithm": "compare_cohorts", "with": {
        "entity": "patients", "cohort_a": "arms == 'ZDV'", "cohort_b": "arms in ('ZDV+ddI', 'ddI') and age >= 30"}},
    "conformance_survival_groups": {"algorithm": "survival", "with": {
        "entity": "patients", "time": "days", "event": "cens", "group": "arms", "cohort": "age >= 25"}},
    "conformance_survival_cohorts": {"algorithm": "survival", "with": {
        "entity": "patients", "time": "days", "event": "cens", "cohort_a": "arms == 'ZDV'", "cohort_b": "arms == 'ddI'"}},
}
GENERATED_PROTOCOLS = {
    "conformance_frame": {"algorithm": "frame", "with": {
        "entity": "rows", "where": "distinct > 0 or label is null", "order_by": ["id"]}},
    "conformance_summary": {"algorithm": "summary", "with": {
        "entity": "rows", "cohort": "not (arm == 'zeta')", "columns": ["shifted", "distinct", "count", "time", "arm", "flag"]}},
    "conformance_summary_by": {"algorithm": "summary", "with": {
        "entity": "rows", "by": ["arm", "flag"], "columns": ["shifted", "distinct", "count", "label"]}},
    "conformance_compare": {"algorithm": "compare_cohorts", "with": {
        "entity": "rows", "cohort_a": "arm == 'zeta' or flag is null", "cohort_b": "not (arm == 'zeta')",
        "variables": ["shifted", "distinct", "count", "time", "arm", "flag", "label"]}},
    "conformance_survival_groups": {"algorithm": "survival", "with": {
        "entity": "rows", "time": "time", "event": "event", "group": "arm"}},
    "conformance_survival_cohorts": {"algorithm": "survival", "with": {
        "entity": "rows", "time": "time", "event": "event", "cohort_a": "flag == true", "cohort_b": "label in ('a', 'Z')"}},
}
EXAMPLE_PROTOCOLS = ["compare_arms", "survival", "baseline_summary", "patients", "cd4_response", "cox_model",
                     "arm_profile"]
# Below this many distinct values Spark finishes Mann-Whitney's ranks in the driver; the
# generated product's nearly distinct column (about 3,800 values) must take the bucketed path.
DRIVER_RANKS = "1000"

CASES = ([("actg", name) for name in ACTG_PROTOCOLS] + [("actg", name) for name in EXAMPLE_PROTOCOLS]
         + [("generated", name) for name in GENERATED_PROTOCOLS])


def _write_protocols(product: Product, protocols: dict[str, dict]) -> None:
    import yaml

    folder = product.path / product.manifest.protocols
    folder.mkdir(exist_ok=True)
    for name, step in protocols.items():
        spec = {"name": name, "version": "1.0.0", "title": name, "steps": [{"id": "out", **step}]}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.fixture(scope="module")
def products(actg, generated) -> dict[str, Product]:
    _write_protocols(actg, ACTG_PROTOCOLS)
    _write_protocols(generated, GENERATED_PROTOCOLS)
    return {"actg": actg, "generated": generated}


_POLARS_RESULTS: dict[tuple[str, str], Result] = {}


def _run(products, case: tuple[str, str], engine: str, monkeypatch) -> Result:
    product_name, protocol = case
    if protocol == "cox_model" and (shutil.which("R") is None or not _has_rpy2()):
        pytest.skip("R or rpy2 is not installed (the cox_model protocol is an R plugin)")
    monkeypatch.setenv("DATAPRODUCT_SPARK_DRIVER_RANKS", DRIVER_RANKS)
    return products[product_name].run(protocol, {}, record=False, engine=engine)


def _has_rpy2() -> bool:
    try:
        import rpy2  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[f"{p}-{n}" for p, n in CASES])
def test_every_engine_gives_the_same_result(products, case, engine, monkeypatch):
    if case not in _POLARS_RESULTS:
        _POLARS_RESULTS[case] = _run(products, case, "polars", monkeypatch)
    expected = _POLARS_RESULTS[case]
    got = _run(products, case, engine, monkeypatch)
    assert got.provenance["engine"]["name"] == ("polars" if engine == "polars" else "spark")
    assert got.provenance["engine"]["version"][0].isdigit()
    assert_same_result(got, expected)


def assert_same_result(got: Result, expected: Result) -> None:
    """Tables: same columns, types and row order, integers exact, floats to 1e-9 relative;
    values and charts the same JSON (floats to 1e-9); provenance equal but for the engine."""
    assert list(got.tables) == list(expected.tables)
    for name, table in got.tables.items():
        other = expected.tables[name]
        assert table.columns == other.columns, name
        assert table.schema == other.schema, name
        assert table.height > 0 or other.height == 0
        # abs_tol only absorbs differences at the level of float noise around zero (1e-15).
        assert_frame_equal(table, other, check_exact=False, rel_tol=1e-9, abs_tol=1e-15)
    _same_json(got.values, expected.values, "values")
    _same_json(got.charts, expected.charts, "charts")
    mine = {k: v for k, v in got.provenance.items() if k != "engine"}
    theirs = {k: v for k, v in expected.provenance.items() if k != "engine"}
    assert mine == theirs
    json.dumps(got.provenance)


def _same_json(got: Any, expected: Any, where: str) -> None:
    if isinstance(got, float) and isinstance(expected, float):
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-15) or (math.isnan(got) and math.isnan(expected)), where
    elif isinstance(got, dict) and isinstance(expected, dict):
        assert list(got) == list(expected), where
        for key in got:
            _same_json(got[key], expected[key], f"{where}.{key}")
    elif isinstance(got, list) and isinstance(expected, list):
        assert len(got) == len(expected), where
        for i, (a, b) in enumerate(zip(got, expected)):
            _same_json(a, b, f"{where}[{i}]")
    else:
        assert got == expected, where


def test_mann_whitney_takes_the_distributed_rank_path_with_equal_sums(generated, engine, monkeypatch):
    """The nearly distinct column has more distinct values than the driver may rank; the
    bucketed prefix sums give exactly the rank sums polars gets from ranking every row."""
    from jupyter_dataproduct.core.backends.choice import backend_for, parse_engine
    from jupyter_dataproduct.core.backends.polars_backend import PolarsBackend
    from jupyter_dataproduct.core.cohort import cohort_from_value

    monkeypatch.setenv("DATAPRODUCT_SPARK_DRIVER_RANKS", DRIVER_RANKS)
    snapshot, entity = generated.snapshot(), generated.manifest.model.entities["rows"]
    cohorts = {label: cohort_from_value(text, "rows", entity)
               for label, text in {"a": "arm == 'zeta' or flag is null", "b": "not (arm == 'zeta')"}.items()}
    distinct = snapshot.scan("rows").select(pl.col("distinct").n_unique()).collect().item()
    assert distinct > int(DRIVER_RANKS)
    variables = ["distinct", "shifted", "count"]
    got = backend_for(parse_engine(engine)).reducers(snapshot, entity, cohorts, variables).rank_sums(variables)
    expected = PolarsBackend().reducers(snapshot, entity, cohorts, variables).rank_sums(variables)
    for name in variables:
        assert (got[name]["n_a"], got[name]["n_b"]) == (expected[name]["n_a"], expected[name]["n_b"])
        assert got[name]["rank_sum_a"] == expected[name]["rank_sum_a"]  # half-integers: exact
        assert got[name]["ties"] == pytest.approx(expected[name]["ties"], rel=1e-12)
