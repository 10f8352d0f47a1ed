"""Protocol tests: the ``tests:`` of each protocol file, run like a test runner.

They are the product's data contract: given these parameters on this snapshot, a
protocol returns outputs with these rows, columns and values.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from .errors import DataProductError, MissingDependencyError
from .protocol import Expectation, ProtocolSpec, ProtocolTest

if TYPE_CHECKING:
    from .product import Product
    from .result import Result


@dataclass
class TestOutcome:
    protocol: str
    test: str
    passed: bool
    message: str
    seconds: float
    skipped: bool = False  # needs an optional piece that is not installed (message: what to install)

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "test": self.test, "passed": self.passed, "skipped": self.skipped,
                "message": self.message, "seconds": round(self.seconds, 4)}


def run_protocol_tests(product: "Product", select: str | None = None, snapshot: str = "latest") -> list[TestOutcome]:
    """Run every protocol test (or those of protocol ``select``, ``name`` or ``name@version``)."""
    catalog = product.protocols()
    outcomes = [
        TestOutcome(file, "(load)", False, message, 0.0)
        for file, message in catalog.problems.items()
        if select is None
    ]
    for versions in catalog.versions.values():
        for loaded in versions:
            spec = loaded.spec
            if select and select not in (spec.name, spec.key):
                continue
            for test in spec.tests:
                outcomes.append(_run_one(product, spec, test, snapshot))
    return outcomes


def _run_one(product: "Product", spec: ProtocolSpec, test: ProtocolTest, snapshot: str) -> TestOutcome:
    started = time.perf_counter()
    try:
        result = product.run(spec.key, test.parameters, snapshot=test.snapshot or snapshot, record=False)
    except MissingDependencyError as exc:
        elapsed = time.perf_counter() - started
        if test.error == exc.code:
            return TestOutcome(spec.key, test.name, True, f"raised {exc.code} as expected", elapsed)
        return TestOutcome(spec.key, test.name, False, exc.message, elapsed, skipped=True)
    except DataProductError as exc:
        elapsed = time.perf_counter() - started
        if test.error is not None and exc.code == test.error:
            return TestOutcome(spec.key, test.name, True, f"raised {exc.code} as expected", elapsed)
        return TestOutcome(spec.key, test.name, False, f"{exc.code}: {exc.message}", elapsed)
    elapsed = time.perf_counter() - started
    if test.error is not None:
        return TestOutcome(spec.key, test.name, False, f"expected error {test.error}, got a result", elapsed)
    problems = [p for name, expectation in test.expect.items() for p in check_expectation(result, name, expectation)]
    return TestOutcome(spec.key, test.name, not problems, "; ".join(problems) or "ok", elapsed)


def check_expectation(result: "Result", name: str, expectation: Expectation) -> list[str]:
    """Problems found comparing output ``name`` with what the test expects (empty: pass)."""
    if name in result.values:
        value = result.values[name]
        if expectation.equals is not None and not _matches(value, expectation.equals):
            return [f"{name} is {value!r}, expected {_describe(expectation.equals)}"]
        if expectation.values:
            return [f"{name}: 'values' applies to tables; use 'equals' for a value"]
        return []
    if name in result.charts:
        return []
    if name not in result.tables:
        produced = [*result.tables, *result.values, *result.charts]
        return [f"no output {name!r}; outputs: {', '.join(produced)}"]
    table = result.tables[name]
    problems = []
    if expectation.columns:
        missing = [c for c in expectation.columns if c not in table.columns]
        if missing:
            problems.append(f"{name} lacks columns {missing}")
    if expectation.where:
        for column, wanted in expectation.where.items():
            if column not in table.columns:
                return [*problems, f"{name} has no column {column!r} to select rows by"]
            table = table.filter(pl.col(column).cast(pl.String) == str(wanted))
    count = table.height
    if expectation.rows is not None and count != expectation.rows:
        problems.append(f"{name} has {count} rows, expected {expectation.rows}")
    if expectation.min_rows is not None and count < expectation.min_rows:
        problems.append(f"{name} has {count} rows, expected at least {expectation.min_rows}")
    if expectation.max_rows is not None and count > expectation.max_rows:
        problems.append(f"{name} has {count} rows, expected at most {expectation.max_rows}")
    for column, wanted in (expectation.values or {}).items():
        if column not in table.columns:
            problems.append(f"{name} has no column {column!r}")
            continue
        if table.height == 0:
            problems.append(f"{name}: no rows to check {column}")
            continue
        actual = table.get_column(column)[0]
        if not _matches(actual, wanted):
            problems.append(f"{name}.{column} is {actual!r}, expected {_describe(wanted)}")
    return problems


def _matches(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        if "approx" in wanted:
            tolerance = float(wanted.get("tolerance", 1e-9))
            return actual is not None and math.isclose(float(actual), float(wanted["approx"]), rel_tol=tolerance, abs_tol=tolerance)
        low, high = wanted.get("min"), wanted.get("max")
        if actual is None:
            return False
        return (low is None or actual >= low) and (high is None or actual <= high)
    if isinstance(wanted, float) and isinstance(actual, (int, float)):
        return math.isclose(actual, wanted, rel_tol=1e-9, abs_tol=1e-12)
    return actual == wanted


def _describe(wanted: Any) -> str:
    if isinstance(wanted, dict) and "approx" in wanted:
        return f"{wanted['approx']} +/- {wanted.get('tolerance', 1e-9)}"
    if isinstance(wanted, dict):
        return f"between {wanted.get('min', '-inf')} and {wanted.get('max', 'inf')}"
    return repr(wanted)
