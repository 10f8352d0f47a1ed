"""The built-in algorithms and visualisations.

They are plugins declared with the same :func:`~.plugins.plugin` decorator that product
authors use, so the plugin API is exercised by our own code on every run.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .charts import bar_chart, box_chart, histogram_chart, kaplan_meier_chart
from .cohort import Cohort, cohort_from_value
from .errors import ColumnNotFoundError, ParameterError
from .plugins import PluginContext, plugin

NUMERIC = ("int", "float")
CATEGORICAL = ("category", "bool", "string")


@plugin(title="Frame: the rows and columns of an entity, optionally joined")
def frame(
    ctx: PluginContext,
    entity: str,
    where: Cohort | str | dict | None = None,
    columns: list[str] | None = None,
    join: list[str] | None = None,
    order_by: list[str] | None = None,
    limit: int | None = None,
) -> pl.LazyFrame:
    """Rows of ``entity`` matching ``where`` (a cohort), with ``columns``; ``join`` adds
    related entities through the model's foreign keys."""
    _check_entity(ctx, entity)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ParameterError(f"Parameter 'limit': {limit!r} is not allowed; expected an integer of 0 or more.",
                             details={"parameter": "limit"})
    rows = ctx.scan(entity)
    if where is not None:
        cohort = _as_cohort(ctx, where, entity, "where")
        rows = rows.filter(cohort.expression(ctx.model.entities[entity]))
    available = list(ctx.model.entities[entity].columns)
    for other in join or []:
        rows, added = _join_related(ctx, rows, entity, other)
        available += added
    if columns:
        unknown = [c for c in columns if c not in available]
        if unknown:
            raise ColumnNotFoundError(
                f"frame of {entity}: no column {', '.join(map(repr, unknown))}; columns: {', '.join(available)}",
                details={"columns": unknown, "allowed": available},
            )
        rows = rows.select(columns)
    if order_by:
        rows = rows.sort(order_by)
    if limit is not None:
        rows = rows.head(min(limit, 2**32 - 1))  # more rows than any frame holds; polars' limit
    return rows


@plugin(title="Summary: descriptive statistics, optionally by group")
def summary(
    ctx: PluginContext,
    entity: str,
    columns: list[str] | None = None,
    by: list[str] | str | None = None,
    cohort: Cohort | str | dict | None = None,
) -> dict[str, pl.DataFrame]:
    """Counts, missing, mean, sd and quantiles of numeric columns; frequencies of categories."""
    _check_entity(ctx, entity)
    rows = ctx.scan(entity)
    if cohort is not None:
        rows = rows.filter(_as_cohort(ctx, cohort, entity, "cohort").expression(ctx.model.entities[entity]))
    groups = [by] if isinstance(by, str) else list(by or [])
    kinds = _variable_kinds(ctx, entity, columns or _summarisable_columns(ctx, entity, groups))
    from .algorithms.summary import summarise  # scipy and friends load on first use

    tables = summarise(rows, kinds, by=groups)
    return {"numeric": tables["numeric"], "categorical": tables["categorical"]}


@plugin(title="Compare two cohorts variable by variable")
def compare_cohorts(
    ctx: PluginContext,
    cohort_a: Cohort,
    cohort_b: Cohort,
    variables: list[str] | None = None,
    entity: str | None = None,
) -> pl.DataFrame:
    """Welch t and Mann-Whitney U for numeric variables, chi-square or Fisher's exact test
    for categorical ones; ranked by p-value with Benjamini-Hochberg adjustment."""
    entity = entity or cohort_a.entity
    cohort_a, cohort_b = _as_cohort(ctx, cohort_a, entity, "cohort_a"), _as_cohort(ctx, cohort_b, entity, "cohort_b")
    if variables is None:
        key = set(ctx.model.entities[entity].key)
        variables = [
            name for name, c in ctx.model.entities[entity].columns.items()
            if name not in key and c.type in (*NUMERIC, *CATEGORICAL) and c.type != "string"
        ]
    kinds = _variable_kinds(ctx, entity, variables)
    from .algorithms.compare import compare_cohorts as _compare

    table = _compare(ctx.cohort_frame(cohort_a), ctx.cohort_frame(cohort_b), kinds)
    return table.with_columns(
        (-pl.col("p_adjusted").clip(1e-300, 1).log10()).alias("neg_log10_p_adjusted")
    )


@plugin(title="Survival: Kaplan-Meier curves and the log-rank test")
def survival(
    ctx: PluginContext,
    time: str,
    event: str,
    entity: str | None = None,
    group: str | None = None,
    cohort: Cohort | None = None,
    cohort_a: Cohort | None = None,
    cohort_b: Cohort | None = None,
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """Kaplan-Meier curves per group (a column) or per cohort (a and b), with confidence
    intervals (log transform, as R's survfit), medians and the log-rank test."""
    if cohort_a is not None and cohort_b is not None:
        entity = entity or cohort_a.entity
        labelled = pl.concat(
            [
                ctx.cohort_frame(_as_cohort(ctx, c, entity, n)).with_columns(pl.lit(label).alias("group"))
                for c, n, label in ((cohort_a, "cohort_a", "A: " + cohort_a.describe()), (cohort_b, "cohort_b", "B: " + cohort_b.describe()))
            ]
        )
        group_column = "group"
    elif entity is not None:
        _check_entity(ctx, entity)
        labelled = ctx.scan(entity)
        if cohort is not None:
            labelled = ctx.cohort_frame(_as_cohort(ctx, cohort, entity, "cohort"))
        group_column = group
        if group is not None:
            _check_columns(ctx, entity, [group])
    else:
        raise ParameterError("survival needs an entity and a group column, or two cohorts (cohort_a, cohort_b).")
    _check_columns(ctx, entity, [time, event])
    from .algorithms.survival import event_table, kaplan_meier_from_events, log_rank_from_events, median_survival

    selected = labelled.select(list(dict.fromkeys(c for c in (group_column, time, event) if c)))  # group may be the event
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level must be between 0 and 1, not {conf_level}.")
    events = event_table(selected, time, event, group_column)  # one scan serves every output
    curve = kaplan_meier_from_events(events, conf_level)
    outputs: dict[str, Any] = {"curve": curve, "median": median_survival(curve)}
    if group_column:
        test = log_rank_from_events(events)
        outputs["log_rank"] = pl.DataFrame(
            {
                "group": list(test["observed"]),
                "observed": [float(v) for v in test["observed"].values()],
                "expected": [float(test["expected"][g]) for g in test["observed"]],
            }
        )
        outputs["chisq"] = float(test["chisq"])
        outputs["df"] = int(test["df"])
        outputs["p_value"] = float(test["p_value"])
    return outputs


@plugin(title="Bar chart")
def bar(table: pl.DataFrame, x: str, y: str, color: str | None = None, title: str = "", sort: str | None = None) -> dict:
    _check_table_columns(table, [x, y, *([color] if color else [])])
    return bar_chart(table, x, y, color=color, title=title, sort=sort)


@plugin(title="Histogram")
def histogram(table: pl.DataFrame, column: str, bins: int = 30, color: str | None = None, title: str = "") -> dict:
    _check_table_columns(table, [column, *([color] if color else [])])
    return histogram_chart(table, column, bins=bins, color=color, title=title)


@plugin(title="Box plot")
def box(table: pl.DataFrame, x: str, y: str, title: str = "") -> dict:
    _check_table_columns(table, [x, y])
    return box_chart(table, x, y, title=title)


@plugin(name="kaplan_meier", title="Kaplan-Meier step curves with censoring marks")
def kaplan_meier_visualisation(curve: pl.DataFrame, title: str = "Kaplan-Meier survival") -> dict:
    _check_table_columns(curve, ["time", "survival", "lower", "upper", "n_censor"])
    return kaplan_meier_chart(curve, title=title)


# -- helpers shared by the built-ins ----------------------------------------------------------


def _as_cohort(ctx: PluginContext, value: Any, entity: str, name: str) -> Cohort:
    if isinstance(value, Cohort):
        if value.entity != entity:
            raise ParameterError(f"{name} is a cohort of {value.entity}, but this step works on {entity}.")
        return value
    return cohort_from_value(value, entity, ctx.model.entities[entity], parameter=name)


def _check_entity(ctx: PluginContext, entity: str) -> None:
    if entity not in ctx.model.entities:
        raise ParameterError(
            f"No entity {entity!r}; entities: {', '.join(ctx.model.entities)}",
            details={"entity": entity, "allowed": list(ctx.model.entities)},
        )


def _check_columns(ctx: PluginContext, entity: str, columns: list[str]) -> None:
    available = ctx.model.entities[entity].columns
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise ColumnNotFoundError(
            f"{entity} has no column {', '.join(map(repr, unknown))}; columns: {', '.join(available)}",
            details={"columns": unknown, "allowed": list(available)},
        )


def _check_table_columns(table: pl.DataFrame, columns: list[str]) -> None:
    unknown = [c for c in columns if c not in table.columns]
    if unknown:
        raise ColumnNotFoundError(
            f"the table has no column {', '.join(map(repr, unknown))}; columns: {', '.join(table.columns)}",
            details={"columns": unknown, "allowed": table.columns},
        )


def _summarisable_columns(ctx: PluginContext, entity: str, exclude: list[str]) -> list[str]:
    """By default: every number and category that is not part of the key or a group."""
    model = ctx.model.entities[entity]
    keys = [model.key] if isinstance(model.key, str) else list(model.key)
    return [
        name for name, column in model.columns.items()
        if column.type in (*NUMERIC, "category", "bool") and name not in keys and name not in exclude
    ]


def _variable_kinds(ctx: PluginContext, entity: str, variables: list[str]) -> dict[str, str]:
    _check_columns(ctx, entity, variables)
    kinds = {}
    for name in variables:
        kind = ctx.model.entities[entity].columns[name].type
        if kind in NUMERIC:
            kinds[name] = "numeric"
        elif kind in CATEGORICAL:
            kinds[name] = "categorical"
        else:
            raise ParameterError(f"{entity}.{name} is a {kind} column; only numbers and categories can be compared.")
    return kinds


def _join_related(ctx: PluginContext, rows: pl.LazyFrame, entity: str, other: str) -> tuple[pl.LazyFrame, list[str]]:
    _check_entity(ctx, other)
    for relation in ctx.model.relations():
        if relation["from_entity"] == entity and relation["to_entity"] == other:
            left, right = relation["from_column"], relation["to_column"]
            break
        if relation["from_entity"] == other and relation["to_entity"] == entity:
            left, right = relation["to_column"], relation["from_column"]
            break
    else:
        raise ParameterError(
            f"{entity} and {other} are not related in the model (no foreign key between them).",
            details={"entity": entity, "join": other},
        )
    theirs = ctx.scan(other)
    existing = set(rows.collect_schema().names())
    renames = {c: f"{c}_{other}" for c in theirs.collect_schema().names() if c in existing and c != right}
    theirs = theirs.rename(renames)
    joined = rows.join(theirs, left_on=left, right_on=right, how="left", coalesce=True)
    added = [c for c in joined.collect_schema().names() if c not in existing]
    return joined, added
