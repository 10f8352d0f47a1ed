"""The protocol test runner: the `tests:` written in protocol files, run like a test suite."""

from __future__ import annotations

import pytest
import yaml

from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.testing import run_protocol_tests


def test_the_example_products_protocol_tests_pass(actg_product):
    actg_product.build()
    outcomes = run_protocol_tests(actg_product)
    assert outcomes, "the example protocols have tests"
    failed = [o for o in outcomes if not o.passed]
    assert failed == []
    protocols = {o.protocol for o in outcomes}
    assert protocols >= {"baseline_summary@1.0.0", "cd4_response@1.0.0", "compare_arms@1.0.0",
                         "patients@1.0.0", "survival@1.0.0"}
    refused = next(o for o in outcomes if o.test == "a threshold above the maximum is refused")
    assert refused.message == "raised invalid_parameter as expected"
    assert all(o.message == "ok" for o in outcomes if "refused" not in o.test)
    assert actg_product.history.list() == []  # protocol tests are not recorded as analyses
    data = outcomes[0].to_json()
    assert set(data) == {"protocol", "test", "passed", "skipped", "message", "seconds"} and data["seconds"] >= 0


def test_select_a_protocol_by_name_or_version(actg_product):
    actg_product.build()
    patients = run_protocol_tests(actg_product, "patients")
    assert [o.test for o in patients] == ["all 2,139 patients by default", "women over 40"]
    assert [o.test for o in run_protocol_tests(actg_product, "patients@1.0.0")] == [o.test for o in patients]
    assert run_protocol_tests(actg_product, "patients@9.0.0") == []


def test_without_a_snapshot_every_test_fails_clearly(actg_product):
    outcomes = run_protocol_tests(actg_product, "patients")
    assert outcomes and not any(o.passed for o in outcomes)
    assert all(o.message.startswith("snapshot_not_found: ") for o in outcomes)


def test_a_failing_expectation_in_the_example_is_reported(actg_product, actg_dir):
    actg_product.build()
    file = actg_dir / "protocols" / "patients.yaml"
    file.write_text(file.read_text().replace("extract: {rows: 69}", "extract: {rows: 70}"))
    outcomes = {o.test: o for o in run_protocol_tests(actg_product, "patients")}
    women = outcomes["women over 40"]
    assert not women.passed and women.message == "extract has 69 rows, expected 70"
    assert outcomes["all 2,139 patients by default"].passed


EXPECTATIONS = """\
name: checks
version: 1.0.0
parameters:
  who: {type: cohort, entity: people, default: ""}
  limit: {type: int, minimum: 1, required: false}
steps:
  - {id: people, query: people, with: {where: $who, columns: [id, name, age, group], order_by: [id], limit: $limit}}
  - {id: oldest, algorithm: oldest, with: {people: $who}}
"""

OLDEST = '''\
import polars as pl
from jupyter_dataproduct import plugin


@plugin
def oldest(people: pl.LazyFrame):
    return people.select(pl.col("age").max()).collect().item()
'''

CASES = [
    ("rows", "{people: {rows: 5}}", True, "ok"),
    ("rows wrong", "{people: {rows: 4}}", False, "people has 5 rows, expected 4"),
    ("min rows", "{people: {min_rows: 6}}", False, "people has 5 rows, expected at least 6"),
    ("max rows", "{people: {max_rows: 2}}", False, "people has 5 rows, expected at most 2"),
    ("columns", "{people: {columns: [id, weight, height]}}", False, "people lacks columns ['weight', 'height']"),
    ("where", "{people: {where: {group: treated}, rows: 3, values: {id: 2}}}", True, "ok"),
    ("where by code text", "{people: {where: {id: 4}, values: {name: Di, age: 62}}}", True, "ok"),
    ("where unknown column", "{people: {where: {grp: 1}}}", False, "people has no column 'grp' to select rows by"),
    ("value wrong", "{people: {where: {id: 4}, values: {name: Bo}}}", False, "people.name is 'Di', expected 'Bo'"),
    ("value range", "{people: {values: {age: {min: 40, max: 60}}}}", False, "people.age is 34, expected between 40 and 60"),
    ("value approx", "{people: {values: {age: {approx: 34.001, tolerance: 0.001}}}}", True, "ok"),
    ("value approx wrong", "{people: {values: {age: {approx: 35}}}}", False, "people.age is 34, expected 35 +/- 1e-09"),
    ("value no rows", "{people: {where: {id: 9}, values: {age: 1}}}", False, "people: no rows to check age"),
    ("value unknown column", "{people: {values: {weight: 1}}}", False, "people has no column 'weight'"),
    ("equals", "{oldest: {equals: 62}}", True, "ok"),
    ("equals wrong", "{oldest: {equals: 61}}", False, "oldest is 62, expected 61"),
    ("equals range", "{oldest: {equals: {min: 70}}}", False, "oldest is 62, expected between 70 and inf"),
    ("values on a value", "{oldest: {values: {x: 1}}}", False, "oldest: 'values' applies to tables; use 'equals' for a value"),
    ("no such output", "{oldest_age: {equals: 1}}", False, "no output 'oldest_age'; outputs: people, oldest"),
    ("two problems", "{people: {rows: 1, columns: [x]}}", False, "people lacks columns ['x']; people has 5 rows, expected 1"),
]


EXTRA_TESTS = [
    {"name": "expected error raised", "parameters": {"limit": 0}, "error": "invalid_parameter"},
    {"name": "expected error not raised", "parameters": {"limit": 1}, "error": "invalid_parameter"},
    {"name": "another error than expected", "parameters": {"who": "agee > 1"}, "error": "invalid_parameter"},
    {"name": "unexpected error", "parameters": {"limit": -1}, "expect": {"people": {"rows": 1}}},
    {"name": "with parameters", "parameters": {"who": "age > 40", "limit": 2},
     "expect": {"people": {"rows": 2, "values": {"id": 2}}, "oldest": {"equals": 62}}},
]


def add_tests(file, tests: list[dict]) -> None:
    spec = yaml.safe_load(file.read_text())
    spec["tests"] = (spec.get("tests") or []) + tests
    file.write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.fixture
def checks(tiny_dir) -> Product:
    (tiny_dir / "protocols").mkdir()
    (tiny_dir / "plugins").mkdir()
    (tiny_dir / "plugins" / "oldest.py").write_text(OLDEST)
    file = tiny_dir / "protocols" / "checks.yaml"
    file.write_text(EXPECTATIONS)
    add_tests(file, [{"name": name, "expect": yaml.safe_load(expect)} for name, expect, _, _ in CASES] + EXTRA_TESTS)
    product = Product.open(tiny_dir)
    product.build()
    assert product.protocols().problems == {}
    return product


def test_each_kind_of_expectation_passes_or_reports_what_differs(checks):
    outcomes = {o.test: o for o in run_protocol_tests(checks)}
    for name, _, passed, message in CASES:
        outcome = outcomes[name]
        assert (outcome.passed, outcome.message) == (passed, message), name
        assert outcome.protocol == "checks@1.0.0"


def test_expected_errors(checks):
    outcomes = {o.test: o for o in run_protocol_tests(checks)}
    assert outcomes["expected error raised"].passed
    assert outcomes["expected error raised"].message == "raised invalid_parameter as expected"
    assert not outcomes["expected error not raised"].passed
    assert outcomes["expected error not raised"].message == "expected error invalid_parameter, got a result"
    other = outcomes["another error than expected"]
    assert not other.passed and other.message.startswith("column_not_found: Parameter 'who': people has no column 'agee'")
    unexpected = outcomes["unexpected error"]
    assert not unexpected.passed and unexpected.message.startswith("invalid_parameter: Parameter 'limit': -1 is not allowed")
    assert outcomes["with parameters"].passed


def test_a_broken_protocol_file_is_a_failed_test(checks, tiny_dir):
    broken = tiny_dir / "protocols" / "broken.yaml"
    broken.write_text("name: broken\nversion: 1.0.0\nsteps: [{id: s, algorithm: nothing}]\n")
    outcomes = run_protocol_tests(checks)
    load = [o for o in outcomes if o.test == "(load)"]
    assert len(load) == 1 and load[0].protocol == str(broken) and not load[0].passed
    assert "'nothing' is not a built-in algorithm or a plugin" in load[0].message
    assert not [o for o in run_protocol_tests(checks, "checks") if o.test == "(load)"]  # only when running all


def test_a_test_may_pin_a_snapshot(checks, tiny_dir):
    first = checks.snapshot().id
    people = tiny_dir / "data" / "people.csv"
    people.write_text(people.read_text() + "6,Fay,70,1,0,2024-06-01\n")
    checks.build()
    add_tests(tiny_dir / "protocols" / "checks.yaml", [
        {"name": "pinned", "snapshot": first[:12], "expect": {"people": {"rows": 5}}},
        {"name": "latest", "expect": {"people": {"rows": 6}}},
    ])
    outcomes = {o.test: o for o in run_protocol_tests(checks)}
    assert outcomes["pinned"].passed and outcomes["latest"].passed
    assert not outcomes["rows"].passed  # 6 people on the latest snapshot
    assert {o.test: o for o in run_protocol_tests(checks, snapshot=first)}["rows"].passed
