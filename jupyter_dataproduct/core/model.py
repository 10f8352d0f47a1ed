"""The data model: entities, their typed columns, collections and relations.

These are the typed config classes behind ``model:`` in ``dataproduct.yaml``. How a model
is applied to source frames lives in :mod:`modelling`; the checks in :mod:`checks`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .sql_expressions import check_sql_expression

NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"
_NAME = re.compile(NAME_PATTERN)

ColumnType = Literal["int", "float", "string", "bool", "date", "datetime", "category"]
COLUMN_TYPES: tuple[str, ...] = ColumnType.__args__  # type: ignore[attr-defined]


class Column(BaseModel):
    """One typed column of an entity."""

    model_config = ConfigDict(extra="forbid")

    type: ColumnType
    title: str = ""
    description: str = ""
    unit: str = ""
    collection: str = Field("", description="Topic the column is browsed under, e.g. 'Baseline labs'.")
    source: str | None = Field(None, description="Source column to read it from, when the name differs (a rename).")
    derive: str | None = Field(
        None, description="A SQL expression over other columns of the entity, e.g. 'cd420 - cd40'."
    )
    required: bool = Field(False, description="The column must have a value in every row.")
    labels: dict[str, str] | None = Field(
        None, description="category: raw value -> label. Values become the labels, in this order."
    )
    levels: list[str] | None = Field(None, description="category: the allowed values, in order.")
    format: str | None = Field(None, description="date/datetime: strptime format of text values.")
    references: str | None = Field(None, description="Foreign key: 'entity.column' this column points to.")

    @model_validator(mode="after")
    def _consistent(self) -> "Column":
        if self.source is not None and self.derive is not None:
            raise ValueError("a column is either read ('source') or computed ('derive'), not both")
        if self.type != "category" and (self.labels is not None or self.levels is not None):
            raise ValueError("'labels' and 'levels' are only for columns of type category")
        if self.labels is not None and self.levels is not None:
            raise ValueError("give 'labels' (value -> label) or 'levels' (allowed values), not both")
        if self.labels is not None and len(set(self.labels.values())) != len(self.labels):
            raise ValueError("two values have the same label; labels must be distinct")
        if self.format is not None and self.type not in ("date", "datetime"):
            raise ValueError("'format' is only for date and datetime columns")
        if self.references is not None and not re.match(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$", self.references):
            raise ValueError("'references' must look like 'entity.column'")
        return self

    @field_validator("derive")
    @classmethod
    def _derive_is_an_expression(cls, value: str | None) -> str | None:
        if value is not None:
            check_sql_expression(value, "derive")
        return value

    @field_validator("labels", mode="before", json_schema_input_type=dict[str, str] | None)
    @classmethod
    def _label_keys_as_text(cls, value: Any) -> Any:
        # YAML reads `0: zidovudine` with an int key; labels match raw values as text.
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    def categories(self) -> list[str] | None:
        """The category values, in order, as stored in the snapshot."""
        if self.labels is not None:
            return list(self.labels.values())
        return self.levels

    def polars_type(self) -> pl.DataType:
        if self.type == "category":
            values = self.categories()
            return pl.Enum(values) if values is not None else pl.Categorical()
        return _POLARS_TYPES[self.type]


_POLARS_TYPES: dict[str, pl.DataType] = {
    "int": pl.Int64(),
    "float": pl.Float64(),
    "string": pl.String(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
}


class Unpivot(BaseModel):
    """Turn wide columns into long rows: one row per (index, listed column).

    Each listed source column becomes a row that carries the attributes given for it, so
    ``cd420: {marker: CD4, week: 20}`` yields ``marker='CD4', week=20, <value>=cd420``.
    """

    model_config = ConfigDict(extra="forbid")

    index: list[str] = Field(min_length=1)
    value: str = Field(description="Name of the column that receives the values.")
    columns: dict[str, dict[str, Any]] = Field(min_length=1)

    @model_validator(mode="after")
    def _same_attributes(self) -> "Unpivot":
        keys = {tuple(sorted(attrs)) for attrs in self.columns.values()}
        if len(keys) > 1:
            raise ValueError("every unpivoted column must give the same attribute names")
        return self

    def attribute_names(self) -> list[str]:
        return list(next(iter(self.columns.values())).keys())


class Entity(BaseModel):
    """A table of the model: one row per key."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="Name of a source in 'sources'.")
    title: str = ""
    description: str = ""
    key: list[str] = Field(min_length=1, description="Column(s) whose values identify a row.")
    unpivot: Unpivot | None = None
    filter: str | None = Field(None, description="Keep only rows where this SQL condition holds.")
    columns: dict[str, Column] = Field(min_length=1)

    @field_validator("key", mode="before", json_schema_input_type=list[str] | str)
    @classmethod
    def _key_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("filter")
    @classmethod
    def _filter_is_an_expression(cls, value: str | None) -> str | None:
        if value is not None:
            check_sql_expression(value, "filter")
        return value

    @field_validator("columns")
    @classmethod
    def _column_names(cls, columns: dict[str, Column]) -> dict[str, Column]:
        for name in columns:
            if not _NAME.match(name):
                raise ValueError(f"column name {name!r} must be lower_snake_case ({NAME_PATTERN})")
        return columns

    @model_validator(mode="after")
    def _key_columns_exist(self) -> "Entity":
        missing = [k for k in self.key if k not in self.columns]
        if missing:
            raise ValueError(f"key column(s) {missing} are not among the entity's columns")
        return self

    def collections(self) -> dict[str, list[str]]:
        """Columns grouped by collection, in declaration order ('' = ungrouped)."""
        groups: dict[str, list[str]] = {}
        for name, column in self.columns.items():
            groups.setdefault(column.collection, []).append(name)
        return groups


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entities: dict[str, Entity] = Field(min_length=1)

    @field_validator("entities")
    @classmethod
    def _entity_names(cls, entities: dict[str, Entity]) -> dict[str, Entity]:
        for name in entities:
            if not _NAME.match(name):
                raise ValueError(f"entity name {name!r} must be lower_snake_case ({NAME_PATTERN})")
        return entities

    @model_validator(mode="after")
    def _references_resolve(self) -> "Model":
        for entity_name, entity in self.entities.items():
            for column_name, column in entity.columns.items():
                if column.references is None:
                    continue
                target_entity, target_column = column.references.split(".")
                target = self.entities.get(target_entity)
                if target is None or target_column not in target.columns:
                    raise ValueError(
                        f"{entity_name}.{column_name} references {column.references}, "
                        "which is not a column of the model"
                    )
        return self

    def relations(self) -> list[dict[str, str]]:
        """Foreign keys as ``{from_entity, from_column, to_entity, to_column}``."""
        found = []
        for entity_name, entity in self.entities.items():
            for column_name, column in entity.columns.items():
                if column.references:
                    to_entity, to_column = column.references.split(".")
                    found.append(
                        {
                            "from_entity": entity_name,
                            "from_column": column_name,
                            "to_entity": to_entity,
                            "to_column": to_column,
                        }
                    )
        return found
