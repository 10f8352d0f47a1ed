"""Apply the model to source data: unpivot, rename, cast, derive, filter.

The result of modelling one entity is its typed frame plus the values that would not
convert to their declared types, so :mod:`checks` can report them with examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from .errors import BuildCheckError, ManifestError
from .model import Column, Entity
from .sql_expressions import sql_expression


@dataclass
class ModelledEntity:
    name: str
    frame: pl.DataFrame
    # column -> (number of values that failed to convert, example raw values with keys)
    cast_failures: dict[str, tuple[int, list[dict]]] = field(default_factory=dict)
    # True when the key is unique by construction (see _unpivot_key_is_unique), so the
    # expensive check on the long table can be skipped.
    key_known_unique: bool = False


def model_entity(name: str, entity: Entity, source_frame: pl.LazyFrame) -> ModelledEntity:
    """Turn one source frame into the typed frame of ``entity``."""
    raw = _unpivoted(name, entity, source_frame) if entity.unpivot else source_frame
    raw_frame = _collect_read_columns(name, entity, raw)
    typed, failures = _cast_read_columns(entity, raw_frame)
    typed = _add_derived_columns(name, entity, typed)
    typed = _apply_row_filter(name, entity, typed)
    known_unique = entity.unpivot is not None and _unpivot_key_is_unique(entity, source_frame)
    return ModelledEntity(
        name=name, frame=typed.select(list(entity.columns)), cast_failures=failures, key_known_unique=known_unique
    )


def _unpivot_key_is_unique(entity: Entity, source_frame: pl.LazyFrame) -> bool:
    """An unpivoted row is (index values, attributes of one listed column). When the key is
    exactly the index plus the attribute names, it is unique if the index is unique in the
    source and no two listed columns share their attributes: a check on the short source
    table instead of the long one. Filtering rows cannot create duplicates."""
    spec = entity.unpivot
    assert spec is not None
    read_as = {name: (col.source or name) for name, col in entity.columns.items() if col.derive is None}
    if any(k not in read_as for k in entity.key):
        return False
    if {read_as[k] for k in entity.key} != {*spec.index, *spec.attribute_names()} or len(entity.key) != len(
        {*spec.index, *spec.attribute_names()}
    ):
        return False
    attributes = [tuple(sorted((k, repr(v)) for k, v in attrs.items())) for attrs in spec.columns.values()]
    if len(set(attributes)) != len(attributes):
        return False
    index = pl.col(spec.index[0]) if len(spec.index) == 1 else pl.struct(spec.index)
    return not source_frame.select(index.is_duplicated().any()).collect().item()


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
            *[_typed_literal(v, k, entity.columns.get(k)).alias(k) for k, v in attributes.items()],
            pl.col(column).alias(spec.value),
        )
        for column, attributes in spec.columns.items()
    ]
    return pl.concat(parts, how="vertical_relaxed")


def _typed_literal(value: object, name: str, column: Column | None) -> pl.Expr:
    """An unpivot attribute as a literal of its column's type (so it needs no conversion)."""
    if column is None or column.derive is not None:
        return pl.lit(value)
    converted = pl.select(convert_expr(pl.lit(value), pl.select(pl.lit(value)).to_series().dtype, column)).to_series()
    if converted.null_count():
        raise ManifestError(
            f"unpivot value {value!r} is not a valid {column.type} value for column {name!r}",
            details={"column": name, "value": value},
        )
    return pl.lit(converted[0], dtype=converted.dtype)


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
    """Convert every read column in one parallel pass; count values that failed to convert."""
    read = [name for name, column in entity.columns.items() if column.derive is None]
    conversions = {name: convert_expr(pl.col(name), raw.schema[name], entity.columns[name]) for name in read}
    typed = raw.select([expr.alias(name) for name, expr in conversions.items()])
    # Conversion only ever turns a value into null, never the reverse, so the values that
    # failed are the extra nulls - and null counts are free (Arrow keeps them).
    failed_counts = {n: typed.get_column(n).null_count() - raw.get_column(n).null_count() for n in read}
    failures: dict[str, tuple[int, list[dict]]] = {}
    keys = [k for k in entity.key if k in raw.columns]
    for name, count in failed_counts.items():
        if count:
            failed = raw.get_column(name).is_not_null() & typed.get_column(name).is_null()
            examples = raw.filter(failed).select(list(dict.fromkeys([*keys, name]))).head(5).to_dicts()
            failures[name] = (int(count), examples)
    return typed, failures


def convert_expr(value: pl.Expr, dtype: pl.DataType, column: Column) -> pl.Expr:
    """Convert raw values to the column's type; values that do not fit become null."""
    kind = column.type
    if kind == "bool":
        return _to_bool(value, dtype)
    if kind == "category":
        return _to_category(value, dtype, column)
    if kind == "date":
        if dtype == pl.String:
            return value.str.strip_chars().str.to_date(column.format, strict=False)
        if dtype == pl.Datetime:
            return value.dt.date()
    if kind == "datetime" and dtype == pl.String:
        return value.str.strip_chars().str.to_datetime(column.format, strict=False, time_unit="us")
    if kind == "int" and dtype.is_float():
        whole = value.is_not_nan() & (value == value.round(0))
        return pl.when(whole).then(value).otherwise(None).cast(pl.Int64, strict=False)
    if kind == "int" and dtype == pl.String:
        return value.str.strip_chars().cast(pl.Int64, strict=False)
    target = column.polars_type()
    return value if dtype == target else value.cast(target, strict=False)


_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def _to_bool(value: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:
        return value
    if dtype.is_numeric():
        return pl.when(value == 1).then(True).when(value == 0).then(False).otherwise(None)
    text = value.cast(pl.String).str.strip_chars().str.to_lowercase()
    mapping = {**{v: True for v in _TRUE}, **{v: False for v in _FALSE}}
    return text.replace_strict(mapping, default=None, return_dtype=pl.Boolean)


def _to_category(value: pl.Expr, dtype: pl.DataType, column: Column) -> pl.Expr:
    target = column.polars_type()
    if column.labels is not None:
        if dtype.is_numeric() and all(_is_number(k) for k in column.labels):
            # Numeric codes map straight to labels (no detour through text).
            codes = {float(k) if dtype.is_float() else int(float(k)): v for k, v in column.labels.items()}
            return value.replace_strict(codes, default=None, return_dtype=target)
        return value.cast(pl.String).replace_strict(column.labels, default=None, return_dtype=target)
    if dtype.is_float():
        value = value.cast(pl.Int64, strict=False)
    return value.cast(pl.String).cast(target, strict=False)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
        return sql_expression(text, path)
    except ValueError as exc:
        raise ManifestError(f"{path}: {exc}", details={"path": path}) from None
    except pl.exceptions.PolarsError as exc:
        raise ManifestError(
            f"{path}: {text!r} is not a valid SQL expression: {_first_line(exc)}", details={"path": path}
        ) from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
