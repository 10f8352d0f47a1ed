"""Apply the model to source data: unpivot, rename, cast, derive, filter.

The result of modelling one entity is its typed frame plus the values that would not
convert to their declared types, so :mod:`checks` can report them with examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from .errors import BuildCheckError, ManifestError
from .model import Column, Entity


@dataclass
class ModelledEntity:
    name: str
    frame: pl.DataFrame
    # column -> (number of values that failed to convert, example raw values with keys)
    cast_failures: dict[str, tuple[int, list[dict]]] = field(default_factory=dict)


def model_entity(name: str, entity: Entity, source_frame: pl.LazyFrame) -> ModelledEntity:
    """Turn one source frame into the typed frame of ``entity``."""
    raw = _unpivoted(name, entity, source_frame) if entity.unpivot else source_frame
    raw_frame = _collect_read_columns(name, entity, raw)
    typed, failures = _cast_read_columns(entity, raw_frame)
    typed = _add_derived_columns(name, entity, typed)
    typed = _apply_row_filter(name, entity, typed)
    return ModelledEntity(name=name, frame=typed.select(list(entity.columns)), cast_failures=failures)


def _unpivoted(name: str, entity: Entity, frame: pl.LazyFrame) -> pl.LazyFrame:
    spec = entity.unpivot
    assert spec is not None
    available = frame.collect_schema().names()
    missing = [c for c in [*spec.index, *spec.columns] if c not in available]
    if missing:
        raise BuildCheckError(
            f"Entity {name!r}: unpivot needs source column(s) {missing}, which the source "
            f"does not have. Source columns: {available}",
            details={"entity": name, "missing_columns": missing},
        )
    parts = [
        frame.select(
            *[pl.col(c) for c in spec.index],
            *[pl.lit(v).alias(k) for k, v in attributes.items()],
            pl.col(column).alias(spec.value),
        )
        for column, attributes in spec.columns.items()
    ]
    return pl.concat(parts, how="vertical_relaxed")


def _read_columns(entity: Entity) -> dict[str, str]:
    """Model column -> source column, for the columns read from the source."""
    return {name: col.source or name for name, col in entity.columns.items() if col.derive is None}


def _collect_read_columns(name: str, entity: Entity, frame: pl.LazyFrame) -> pl.DataFrame:
    available = frame.collect_schema().names()
    wanted = _read_columns(entity)
    missing = {model: src for model, src in wanted.items() if src not in available}
    if missing:
        listing = ", ".join(f"{m}" + (f" (from {s})" if s != m else "") for m, s in missing.items())
        raise BuildCheckError(
            f"Entity {name!r}: the source has no column for {listing}. Source columns: {available}",
            details={"entity": name, "missing_columns": sorted(missing)},
        )
    return frame.select([pl.col(src).alias(model) for model, src in wanted.items()]).collect()


def _cast_read_columns(entity: Entity, raw: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    failures: dict[str, tuple[int, list[dict]]] = {}
    converted: list[pl.Series] = []
    for name, column in entity.columns.items():
        if column.derive is not None:
            continue
        original = raw.get_column(name)
        series = convert_series(original, column)
        failed = original.is_not_null() & series.is_null()
        count = int(failed.sum())
        if count:
            examples = raw.filter(failed).select([*entity.key, name]).head(5).to_dicts() if all(
                k in raw.columns for k in entity.key
            ) else raw.filter(failed).select(name).head(5).to_dicts()
            failures[name] = (count, examples)
        converted.append(series)
    return pl.DataFrame(converted), failures


def convert_series(series: pl.Series, column: Column) -> pl.Series:
    """Convert raw values to the column's type; values that do not fit become null."""
    kind = column.type
    dtype = series.dtype
    if kind == "bool":
        return _to_bool(series)
    if kind == "category":
        return _to_category(series, column)
    if kind == "date":
        if dtype == pl.String:
            return series.str.strip_chars().str.to_date(column.format, strict=False)
        if dtype == pl.Datetime:
            return series.dt.date()
    if kind == "datetime" and dtype == pl.String:
        return series.str.strip_chars().str.to_datetime(column.format, strict=False, time_unit="us")
    if kind == "int" and dtype.is_float():
        whole = series.is_not_nan() & (series == series.round(0))
        return pl.select(pl.when(pl.lit(whole)).then(pl.lit(series)).otherwise(None)).to_series().cast(
            pl.Int64, strict=False
        ).alias(series.name)
    if kind == "int" and dtype == pl.String:
        return series.str.strip_chars().cast(pl.Int64, strict=False)
    return series.cast(column.polars_type(), strict=False)


_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def _to_bool(series: pl.Series) -> pl.Series:
    if series.dtype == pl.Boolean:
        return series
    text = series.cast(pl.String).str.strip_chars().str.to_lowercase()
    if series.dtype.is_float():
        text = text.str.replace(r"\.0$", "")
    mapping = {**{v: True for v in _TRUE}, **{v: False for v in _FALSE}}
    return text.replace_strict(mapping, default=None, return_dtype=pl.Boolean).alias(series.name)


def _to_category(series: pl.Series, column: Column) -> pl.Series:
    if series.dtype.is_float():
        # 1.0 read from a float column should match the label key "1".
        series = series.cast(pl.Int64, strict=False)
    text = series.cast(pl.String)
    if column.labels is not None:
        return text.replace_strict(column.labels, default=None, return_dtype=column.polars_type()).alias(series.name)
    return text.cast(column.polars_type(), strict=False)


def _add_derived_columns(name: str, entity: Entity, frame: pl.DataFrame) -> pl.DataFrame:
    for column_name, column in entity.columns.items():
        if column.derive is None:
            continue
        expression = _sql_expression(column.derive, f"model.entities.{name}.columns.{column_name}.derive")
        try:
            frame = frame.with_columns(expression.cast(column.polars_type(), strict=False).alias(column_name))
        except pl.exceptions.PolarsError as exc:
            raise ManifestError(
                f"model.entities.{name}.columns.{column_name}.derive: cannot compute "
                f"{column.derive!r}: {_first_line(exc)}",
                details={"path": f"model.entities.{name}.columns.{column_name}.derive"},
            ) from None
    return frame


def _apply_row_filter(name: str, entity: Entity, frame: pl.DataFrame) -> pl.DataFrame:
    if entity.filter is None:
        return frame
    path = f"model.entities.{name}.filter"
    try:
        return frame.filter(_sql_expression(entity.filter, path))
    except pl.exceptions.PolarsError as exc:
        raise ManifestError(
            f"{path}: cannot apply filter {entity.filter!r}: {_first_line(exc)}", details={"path": path}
        ) from None


def _sql_expression(text: str, path: str) -> pl.Expr:
    try:
        return pl.sql_expr(text)
    except pl.exceptions.PolarsError as exc:
        raise ManifestError(
            f"{path}: {text!r} is not a valid SQL expression: {_first_line(exc)}", details={"path": path}
        ) from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
