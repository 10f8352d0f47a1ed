"""Cohorts compiled to Spark column expressions, with the polars compiler's null rules.

Mirrors ``core.cohort._compile``: every leaf condition is two-valued (a missing value
makes it false, ``coalesce(..., false)``), so ``and``/``or``/``not`` never see a null and
``not (age > 40)`` keeps the people whose age is missing, exactly as polars does.
Category columns reach Spark as strings (their labels), so labels compare as text.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..cohort import Cohort
from ..model import Entity

if TYPE_CHECKING:  # pyspark is imported only when the Spark backend is chosen
    from pyspark.sql import Column


def spark_expression(cohort: Cohort, entity: Entity) -> "Column":
    """The cohort as one boolean Spark column (never null)."""
    return _compile(cohort.tree, entity)


def _compile(node: dict[str, Any], entity: Entity) -> "Column":
    from pyspark.sql import functions as F

    if "and" in node:
        parts = [_compile(child, entity) for child in node["and"]]
        return _fold(parts, lambda a, b: a & b, F.lit(True))
    if "or" in node:
        parts = [_compile(child, entity) for child in node["or"]]
        return _fold(parts, lambda a, b: a | b, F.lit(False))
    if "not" in node:
        return ~_compile(node["not"], entity)
    return F.coalesce(_leaf(node, entity), F.lit(False))


def _fold(parts: list["Column"], combine: Any, empty: "Column") -> "Column":
    if not parts:
        return empty
    result = parts[0]
    for part in parts[1:]:
        result = combine(result, part)
    return result


def _leaf(node: dict[str, Any], entity: Entity) -> "Column":
    from pyspark.sql import functions as F

    column = F.col(_quoted(node["column"]))
    kind = entity.columns[node["column"]].type
    op, value = node["op"], node.get("value")
    if op == "is null":
        return column.isNull()
    if op == "is not null":
        return column.isNotNull()
    if op == "contains":
        return column.contains(F.lit(value))  # a literal substring, like polars' literal=True
    if op in ("in", "not in"):
        matched = column.isin([_literal(v, kind) for v in value])
        return matched if op == "in" else ~matched
    if op == "between":
        low, high = (_literal(v, kind) for v in value)
        return (column >= low) & (column <= high)  # both ends included, as polars' is_between
    literal = _literal(value, kind)
    comparisons = {
        "==": column.__eq__, "!=": column.__ne__, "<": column.__lt__,
        "<=": column.__le__, ">": column.__gt__, ">=": column.__ge__,
    }
    return comparisons[op](literal)


def _literal(value: Any, kind: str) -> Any:
    from pyspark.sql import functions as F

    if kind == "date":
        return F.lit(dt.date.fromisoformat(value))
    if kind == "datetime":
        # Snapshots hold timestamps without a zone (polars' Datetime), read by Spark as
        # TIMESTAMP_NTZ; a zoned literal would shift by the session's zone.
        return F.lit(value).cast("timestamp_ntz")
    return F.lit(value)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
