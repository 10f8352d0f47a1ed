"""Build checks: the data must honour the model before a snapshot is published.

Each check returns :class:`CheckFailure` records (what, where, how many, examples);
:func:`raise_for_failures` turns them into one :class:`BuildCheckError`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from .errors import BuildCheckError
from .model import Model
from .modelling import ModelledEntity

EXAMPLES = 5


@dataclass
class CheckFailure:
    check: str  # "type", "required", "unique_key", "reference"
    entity: str
    column: str
    count: int
    message: str
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_entity(model: Model, modelled: ModelledEntity) -> list[CheckFailure]:
    """Checks that need only the entity itself: types, required values, key uniqueness."""
    entity = model.entities[modelled.name]
    failures = [
        CheckFailure(
            "type",
            modelled.name,
            column,
            count,
            f"{count} value(s) of {modelled.name}.{column} are not valid "
            f"{_describe_type(model, modelled.name, column)}",
            examples,
        )
        for column, (count, examples) in modelled.cast_failures.items()
    ]
    failures += _required_failures(model, modelled)
    if not modelled.key_known_unique:
        failures += _key_failures(modelled, entity.key)
    return failures


def check_references(model: Model, frames: dict[str, pl.DataFrame]) -> list[CheckFailure]:
    """Every foreign-key value must exist in the entity it references."""
    failures = []
    for relation in model.relations():
        child = frames[relation["from_entity"]]
        parent = frames[relation["to_entity"]]
        column, target = relation["from_column"], relation["to_column"]
        orphans = (
            child.lazy()
            .filter(pl.col(column).is_not_null())
            .join(parent.lazy().select(pl.col(target).alias(column)).unique(), on=column, how="anti")
            .collect()
        )
        if orphans.height:
            key = model.entities[relation["from_entity"]].key
            failures.append(
                CheckFailure(
                    "reference",
                    relation["from_entity"],
                    column,
                    orphans.height,
                    f"{orphans.height} row(s) of {relation['from_entity']} have a {column} that is "
                    f"not in {relation['to_entity']}.{target}",
                    orphans.select(list(dict.fromkeys([*key, column]))).head(EXAMPLES).to_dicts(),
                )
            )
    return failures


def raise_for_failures(failures: list[CheckFailure]) -> None:
    if not failures:
        return
    lines = []
    for failure in failures:
        lines.append(f"  - [{failure.check}] {failure.message}")
        if failure.examples:
            lines.append(f"      e.g. {failure.examples[:3]}")
    raise BuildCheckError(
        f"The data breaks {len(failures)} rule(s) of the model; no snapshot was written:\n" + "\n".join(lines),
        details={"failures": [f.to_dict() for f in failures]},
    )


def _required_failures(model: Model, modelled: ModelledEntity) -> list[CheckFailure]:
    entity = model.entities[modelled.name]
    frame = modelled.frame
    required = [n for n, c in entity.columns.items() if c.required or n in entity.key]
    if not required:
        return []
    nulls = frame.select(pl.col(required).null_count()).row(0, named=True)
    failures = []
    for column, count in nulls.items():
        # A value that failed its type cast is already reported as a type failure.
        count -= modelled.cast_failures.get(column, (0, []))[0]
        if count > 0:
            examples = frame.filter(pl.col(column).is_null()).head(EXAMPLES).to_dicts()
            failures.append(
                CheckFailure(
                    "required",
                    modelled.name,
                    column,
                    count,
                    f"{count} row(s) of {modelled.name} have no {column}, which is required",
                    examples,
                )
            )
    return failures


def _key_failures(modelled: ModelledEntity, key: list[str]) -> list[CheckFailure]:
    # A hash group-by is the fastest exact test, for single and composite keys alike.
    sizes = modelled.frame.lazy().group_by(key).agg(pl.len().alias("rows")).collect()
    if sizes.height == 0 or sizes.get_column("rows").max() <= 1:
        return []
    groups = sizes.filter(pl.col("rows") > 1)
    count = int(groups.get_column("rows").sum())
    examples = groups.sort(key).head(EXAMPLES).to_dicts()
    label = ", ".join(key)
    return [
        CheckFailure(
            "unique_key",
            modelled.name,
            label,
            count,
            f"{count} row(s) of {modelled.name} share a key ({label}) with another row",
            examples,
        )
    ]


def _describe_type(model: Model, entity: str, column: str) -> str:
    spec = model.entities[entity].columns[column]
    if spec.type == "category" and spec.labels is not None:
        return f"category values (allowed: {', '.join(spec.labels)})"
    if spec.type == "category" and spec.levels is not None:
        return f"category values (allowed: {', '.join(spec.levels)})"
    if spec.format:
        return f"{spec.type} values (format {spec.format})"
    return f"{spec.type} values"
