"""Checks shared by the algorithms on the frames they receive."""

from __future__ import annotations

from typing import Iterable

import polars as pl

from ..errors import ColumnNotFoundError


def require_columns(frame: pl.LazyFrame, columns: Iterable[str]) -> None:
    """Raise ColumnNotFoundError naming the missing columns and the ones available."""
    available = frame.collect_schema().names()
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise ColumnNotFoundError(
            f"No column {', '.join(map(repr, unknown))}; columns: {', '.join(available)}",
            details={"columns": unknown, "allowed": available},
        )


def present(name: str, dtype: pl.DataType) -> pl.Expr:
    """The column with NaN read as missing: the engine's one rule for NaN (as R's ``NA`` with
    ``na.omit``, scipy's ``nan_policy="omit"``). Only float columns can hold NaN."""
    column = pl.col(name)
    return column.fill_nan(None) if dtype.is_float() else column
