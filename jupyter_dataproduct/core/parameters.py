"""Typed protocol parameters: their JSON Schema, and binding user input to them.

User input is validated against the parameter's declared type and turned into plain,
JSON-able values (the bound parameters recorded in provenance) - or, for cohorts, a
:class:`~.cohort.Cohort` checked against the model. Nothing is evaluated as code.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .cohort import Cohort, cohort_from_value
from .errors import DataProductError, ParameterError
from .model import ColumnType, Model

ParameterType = Literal["string", "int", "float", "bool", "enum", "date", "column", "columns", "cohort"]
_NEEDS_ENTITY = ("column", "columns", "cohort")
# A pick-list over data (``choices_from``) shows at most this many values: a patient id
# column has millions, which no form can show and no request should enumerate.
MAX_CHOICES = 1_000


class Parameter(BaseModel):
    """One parameter of a protocol, as written in its YAML."""

    model_config = ConfigDict(extra="forbid")

    type: ParameterType
    title: str = ""
    description: str = ""
    default: Any = None
    required: bool | None = Field(None, description="Defaults to true when there is no default.")
    choices: list[Any] | None = Field(None, description="enum: the allowed values.")
    choices_from: str | None = Field(None, description="enum: 'entity.column' whose distinct values are allowed.")
    entity: str | None = Field(None, description="column / columns / cohort: the entity they refer to.")
    column_types: list[ColumnType] | None = Field(None, description="column / columns: allowed column types.")
    minimum: float | None = None
    maximum: float | None = None
    min_items: int | None = None
    max_items: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Parameter":
        if self.type == "enum" and (self.choices is None) == (self.choices_from is None):
            raise ValueError("an enum parameter needs exactly one of 'choices' or 'choices_from'")
        if self.type != "enum" and (self.choices is not None or self.choices_from is not None):
            raise ValueError("'choices' and 'choices_from' are only for enum parameters")
        if self.type in _NEEDS_ENTITY and not self.entity:
            raise ValueError(f"a {self.type} parameter needs 'entity'")
        if self.column_types is not None and self.type not in ("column", "columns"):
            raise ValueError("'column_types' is only for column and columns parameters")
        return self

    @property
    def is_required(self) -> bool:
        return self.required if self.required is not None else self.default is None


@dataclass
class BindContext:
    """What binding needs to know beyond the parameter itself."""

    model: Model
    distinct_values: Callable[[str, str], list[Any]]  # sorted, at most MAX_CHOICES + 1 (more: truncated)
    load_cohort: Callable[[str], Cohort]
    find_value: Callable[[str, str, Any], tuple[bool, Any]] | None = None  # for values past a truncated list


def check_against_model(name: str, parameter: Parameter, model: Model) -> None:
    """Protocol-load-time checks of references to the model."""
    entity = parameter.entity
    if entity is not None and entity not in model.entities:
        raise ValueError(f"parameter {name!r}: entity {entity!r} is not in the model ({', '.join(model.entities)})")
    if parameter.choices_from is not None:
        target_entity, _, column = parameter.choices_from.partition(".")
        if target_entity not in model.entities or column not in model.entities[target_entity].columns:
            raise ValueError(f"parameter {name!r}: choices_from {parameter.choices_from!r} is not a column of the model")


def allowed_columns(parameter: Parameter, model: Model) -> list[str]:
    columns = model.entities[parameter.entity].columns  # type: ignore[index]
    return [n for n, c in columns.items() if parameter.column_types is None or c.type in parameter.column_types]


def json_schema(name: str, parameter: Parameter, model: Model, choices: list[Any] | None = None) -> dict[str, Any]:
    """JSON Schema of one parameter (with the titles, defaults and choices a form needs)."""
    schema: dict[str, Any] = {"title": parameter.title or name, "x-dataproduct-type": parameter.type}
    if parameter.description:
        schema["description"] = parameter.description
    if parameter.default is not None:
        schema["default"] = parameter.default
    kind = parameter.type
    if kind == "string":
        schema["type"] = "string"
    elif kind in ("int", "float"):
        schema["type"] = "integer" if kind == "int" else "number"
        if parameter.minimum is not None:
            schema["minimum"] = parameter.minimum
        if parameter.maximum is not None:
            schema["maximum"] = parameter.maximum
    elif kind == "bool":
        schema["type"] = "boolean"
    elif kind == "enum":
        values = choices if choices is not None else parameter.choices
        if values is not None and len(values) > MAX_CHOICES:
            # Too many to list: the first ones as examples; any value of the column binds.
            schema["examples"] = list(values[:MAX_CHOICES])
            schema["x-dataproduct-choices-truncated"] = True
            kinds = {type(v) for v in values}
            if kinds <= {int} or kinds <= {str}:
                schema["type"] = "integer" if kinds <= {int} else "string"
        else:
            schema["enum"] = values
    elif kind == "date":
        schema.update(type="string", format="date")
    elif kind == "column":
        schema.update(type="string", enum=allowed_columns(parameter, model), **{"x-entity": parameter.entity})
    elif kind == "columns":
        schema.update(
            type="array",
            items={"type": "string", "enum": allowed_columns(parameter, model)},
            uniqueItems=True,
            **{"x-entity": parameter.entity},
        )
        if parameter.min_items is not None:
            schema["minItems"] = parameter.min_items
        if parameter.max_items is not None:
            schema["maxItems"] = parameter.max_items
    elif kind == "cohort":
        schema["x-entity"] = parameter.entity
        schema["x-columns"] = list(model.entities[parameter.entity].columns)  # type: ignore[index]
        schema["anyOf"] = [
            {"type": "string", "title": "Expression", "examples": ["age >= 40 and arms in (1, 2)"]},
            {"$ref": "#/$defs/cohort_tree"},
            {
                "type": "object",
                "title": "Saved cohort",
                "properties": {"artifact": {"type": "string"}},
                "required": ["artifact"],
                "additionalProperties": False,
            },
        ]
    return schema


COHORT_TREE_SCHEMA: dict[str, Any] = {
    "title": "Cohort condition tree",
    "anyOf": [
        {"type": "object", "properties": {"and": {"type": "array", "items": {"$ref": "#/$defs/cohort_tree"}}}, "required": ["and"], "additionalProperties": False},
        {"type": "object", "properties": {"or": {"type": "array", "items": {"$ref": "#/$defs/cohort_tree"}}}, "required": ["or"], "additionalProperties": False},
        {"type": "object", "properties": {"not": {"$ref": "#/$defs/cohort_tree"}}, "required": ["not"], "additionalProperties": False},
        {
            "type": "object",
            "properties": {
                "column": {"type": "string"},
                "op": {"enum": ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "between", "is null", "is not null", "contains"]},
                "value": {},
            },
            "required": ["column", "op"],
            "additionalProperties": False,
        },
    ],
}


def form_schema(title: str, description: str | None, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """The JSON Schema of a protocol's or a plugin's parameters as one form: an object of
    ``properties`` (from ``json_schema``), no others, with the cohort tree they refer to."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "description": description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "$defs": {"cohort_tree": COHORT_TREE_SCHEMA},
    }


def bind_value(name: str, parameter: Parameter, value: Any, context: BindContext) -> Any:
    """Validate one value; return its canonical bound form (a Cohort for cohorts)."""
    binder = _BINDERS[parameter.type]
    return binder(name, parameter, value, context)


def bound_to_json(value: Any) -> Any:
    """The JSON form of a bound value, as recorded in provenance."""
    if isinstance(value, Cohort):
        return value.to_json()
    return value


def _fail(name: str, value: Any, allowed: str, **details: Any) -> ParameterError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ParameterError(
        f"Parameter {name!r}: {shown} is not allowed; expected {allowed}.",
        details={"parameter": name, "value": value, "allowed": allowed, **details},
    )


def _bind_string(name: str, p: Parameter, value: Any, _: BindContext) -> str:
    if not isinstance(value, str):
        raise _fail(name, value, "text")
    return value


def _bind_number(name: str, p: Parameter, value: Any, _: BindContext) -> int | float:
    kind = "an integer" if p.type == "int" else "a number"
    number: int | float
    if isinstance(value, bool):
        raise _fail(name, value, kind)
    if isinstance(value, str):
        try:
            number = int(value) if p.type == "int" else float(value)
        except ValueError:
            raise _fail(name, value, kind) from None
    elif isinstance(value, (int, float)):
        number = value
    else:
        raise _fail(name, value, kind)
    if p.type == "int":
        if isinstance(number, float) and not number.is_integer():
            raise _fail(name, value, kind)
        number = int(number)
        if not -(2**63) <= number < 2**63:  # what a data column or an engine holds
            raise _fail(name, value, "an integer of at most 64 bits")
    else:
        number = float(number)
        if not math.isfinite(number):
            raise _fail(name, value, "a finite number")
    if p.minimum is not None and number < p.minimum or p.maximum is not None and number > p.maximum:
        bounds = f"{kind} between {_bound(p.minimum, '-inf')} and {_bound(p.maximum, 'inf')}"
        raise _fail(name, value, bounds)
    return number


def _bound(value: float | None, missing: str) -> str:
    if value is None:
        return missing
    return str(int(value)) if float(value).is_integer() else str(value)


def _bind_bool(name: str, p: Parameter, value: Any, _: BindContext) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    raise _fail(name, value, "true or false")


def _bind_enum(name: str, p: Parameter, value: Any, context: BindContext) -> Any:
    choices = p.choices if p.choices is not None else context.distinct_values(*p.choices_from.split(".", 1))  # type: ignore[union-attr]
    if _hashable(value) and value in choices:
        return value
    # Text from a command line or URL: match the choice with the same text.
    for choice in choices:
        if isinstance(value, str) and str(choice) == value:
            return choice
    truncated = p.choices is None and len(choices) > MAX_CHOICES
    if truncated and context.find_value is not None and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        found, match = context.find_value(*p.choices_from.split(".", 1), value)  # type: ignore[union-attr]
        if found:
            return match
    shown = list(choices[:MAX_CHOICES]) if truncated else list(choices)
    listed = ", ".join(map(repr, shown[:20])) + (", ..." if len(shown) > 20 or truncated else "")
    raise _fail(name, value, f"one of {listed}" + (f" (a value of {p.choices_from})" if truncated else ""),
                choices=shown)


def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _bind_date(name: str, p: Parameter, value: Any, _: BindContext) -> str:
    if isinstance(value, dt.datetime):  # a datetime is a date subclass: only its date at midnight
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
    elif isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _fail(name, value, "a date written YYYY-MM-DD")


def _bind_column(name: str, p: Parameter, value: Any, context: BindContext) -> str:
    allowed = allowed_columns(p, context.model)
    if value not in allowed:
        raise _fail(name, value, f"a column of {p.entity}: {', '.join(allowed)}", choices=allowed)
    return value


def _bind_columns(name: str, p: Parameter, value: Any, context: BindContext) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise _fail(name, value, f"a list of columns of {p.entity}")
    allowed = allowed_columns(p, context.model)
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise _fail(name, unknown, f"columns of {p.entity}: {', '.join(allowed)}", choices=allowed)
    if len(set(value)) != len(value):
        raise _fail(name, list(value), "each column at most once")
    if p.min_items is not None and len(value) < p.min_items or p.max_items is not None and len(value) > p.max_items:
        raise _fail(name, list(value), f"between {p.min_items or 0} and {p.max_items or 'any number of'} columns")
    return list(value)


def _bind_cohort(name: str, p: Parameter, value: Any, context: BindContext) -> Cohort:
    entity = context.model.entities[p.entity]  # type: ignore[index]
    if isinstance(value, str) and value.startswith("@"):
        value = {"artifact": value[1:]}  # `@name`: a saved cohort
    if isinstance(value, dict) and set(value) == {"artifact"}:
        saved = context.load_cohort(value["artifact"])
        if saved.entity != p.entity:
            raise _fail(name, value, f"a cohort of {p.entity} (saved cohort {value['artifact']!r} is of {saved.entity})")
        return Cohort(entity=p.entity, tree=saved.tree, text=saved.text, artifact=value["artifact"])  # type: ignore[arg-type]
    if isinstance(value, dict) and {"entity", "tree"} <= set(value):
        # A cohort as recorded in provenance: re-validate its tree; keep its text (when it
        # still says the same) and the saved cohort it came from, so a re-run records the same.
        recorded = value
        cohort = cohort_from_value(recorded["tree"], p.entity, entity, parameter=name)  # type: ignore[arg-type]
        text = recorded.get("text")
        if isinstance(text, str):
            try:
                same = cohort_from_value(text, p.entity, entity, parameter=name).tree == cohort.tree  # type: ignore[arg-type]
            except DataProductError:
                same = False
            text = text if same else None
        artifact = recorded.get("artifact")
        return Cohort(entity=p.entity, tree=cohort.tree, text=text,  # type: ignore[arg-type]
                      artifact=artifact if isinstance(artifact, str) else None)
    return cohort_from_value(value, p.entity, entity, parameter=name)  # type: ignore[arg-type]


_BINDERS: dict[str, Callable[[str, Parameter, Any, BindContext], Any]] = {
    "string": _bind_string,
    "int": _bind_number,
    "float": _bind_number,
    "bool": _bind_bool,
    "enum": _bind_enum,
    "date": _bind_date,
    "column": _bind_column,
    "columns": _bind_columns,
    "cohort": _bind_cohort,
}

assert set(_BINDERS) == set(ParameterType.__args__)  # type: ignore[attr-defined]


def refuse_unknown(owner: str, given: Any, allowed: list[str]) -> None:
    """Fail, before any work, when ``given`` names parameters ``owner`` does not have."""
    unknown = [k for k in given if k not in allowed]
    if unknown:
        raise ParameterError(
            f"{owner} has no parameter {', '.join(map(repr, unknown))}; parameters: {', '.join(allowed) or 'none'}",
            details={"parameters": unknown, "allowed": list(allowed)},
        )
