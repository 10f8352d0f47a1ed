"""The built-in algorithms and visualisations.

They are plugins declared with the same :func:`~.plugins.plugin` decorator that product
authors use, so the plugin API is exercised by our own code on every run.
"""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from .backends.reducers import COHORT, Reducers, both, everyone
from .charts import bar_chart, box_chart, histogram_chart, kaplan_meier_chart
from .cohort import Cohort, cohort_from_value
from .errors import ColumnNotFoundError, ParameterError
from .plugins import PluginContext, plugin

NUMERIC = ("int", "float")
CATEGORICAL = ("category", "bool", "string")
# Grouping by a column with many values costs the square of their number (the log-rank
# variance is groups x groups per event time): a product's operator may change the limit.
MAX_GROUPS_ENV = "DATAPRODUCT_MAX_GROUPS"
DEFAULT_MAX_GROUPS = 50


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
    cohort = _as_cohort(ctx, where, entity, "where") if where is not None else everyone(entity)
    if ctx.backend.name != "polars" and not join:
        # The engine filters, projects, sorts and limits; the frame comes back to the driver.
        _check_frame_columns(ctx, entity, columns or [], list(ctx.model.entities[entity].columns))
        _check_columns(ctx, entity, list(order_by or []))
        return ctx.backend.frame(ctx.snapshot, ctx.model.entities[entity], cohort,
                                 columns or list(ctx.model.entities[entity].columns), order_by or (),
                                 None if limit is None else min(limit, 2**31 - 1))
    rows = ctx.scan(entity)
    if not cohort.is_everyone:
        rows = rows.filter(cohort.expression(ctx.model.entities[entity]))
    available = list(ctx.model.entities[entity].columns)
    for other in join or []:
        rows, added = _join_related(ctx, rows, entity, other)
        available += added
    if columns:
        _check_frame_columns(ctx, entity, columns, available)
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
    chosen = _as_cohort(ctx, cohort, entity, "cohort") if cohort is not None else everyone(entity)
    groups = [by] if isinstance(by, str) else list(by or [])
    _check_columns(ctx, entity, groups)
    kinds = _variable_kinds(ctx, entity, columns or _summarisable_columns(ctx, entity, groups))
    from .algorithms.summary import check_overlap, summarise_reduced  # scipy and friends load on first use

    check_overlap(kinds, groups)
    reducers = ctx.backend.reducers(ctx.snapshot, ctx.model.entities[entity], {"all": chosen}, list(kinds), by=groups)
    try:
        _check_group_counts(ctx, entity, reducers, groups, "by")
        tables = summarise_reduced(reducers, kinds)
    finally:
        reducers.release()
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
    for categorical ones; ranked by p-value with Benjamini-Hochberg adjustment.

    Conventions (see :mod:`.algorithms.compare`): Welch's t (unequal variances); Mann-Whitney
    U with scipy's default method (exact for small samples without ties, else the normal
    approximation with tie and continuity corrections); chi-square with Yates' correction on
    2x2 tables, Fisher's exact test on 2x2 tables with an expected count under 5; null and
    NaN are missing and counted in ``missing_a`` / ``missing_b``. The tests assume two
    independent samples: rows in both cohorts are counted in every row's ``note``.
    """
    entity = _cohort_entity(entity, cohort_a, "compare_cohorts")
    cohort_a, cohort_b = _as_cohort(ctx, cohort_a, entity, "cohort_a"), _as_cohort(ctx, cohort_b, entity, "cohort_b")
    if variables is None:
        key = set(ctx.model.entities[entity].key)
        variables = [
            name for name, c in ctx.model.entities[entity].columns.items()
            if name not in key and c.type in (*NUMERIC, *CATEGORICAL) and c.type != "string"
        ]
    kinds = _variable_kinds(ctx, entity, variables)
    from .algorithms.compare import compare_reduced

    overlap = _overlap_notes(ctx, entity, cohort_a, cohort_b)
    reducers = ctx.backend.reducers(ctx.snapshot, ctx.model.entities[entity], {"a": cohort_a, "b": cohort_b}, list(kinds))
    try:
        table = compare_reduced(reducers, kinds, notes=overlap)
    finally:
        reducers.release()
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
    intervals, medians and the log-rank test, as R's ``survfit`` / ``survdiff``.

    Conventions (see :mod:`.algorithms.survival`): log-transformed CIs from Greenwood's
    variance; medians and their limits as ``print(survfit)``; the event is true/false or
    0/1 (other codes are refused); rows missing the time, the event (null or NaN) or the
    group are dropped and counted in ``note``; a log-rank test that is undefined (e.g.
    everyone censored) gives a null p-value and says why in ``note``, with the curves.
    The group column may have at most ``DATAPRODUCT_MAX_GROUPS`` (50) distinct values.
    """
    notes: list[str] = []
    if cohort_a is not None and cohort_b is not None:
        entity = _cohort_entity(entity, cohort_a, "survival")
        pair = [_as_cohort(ctx, c, entity, n) for c, n in ((cohort_a, "cohort_a"), (cohort_b, "cohort_b"))]
        cohorts = {f"{side}: {c.describe()}": c for side, c in zip("AB", pair)}
        group_column = COHORT  # the cohorts' labels are the groups
        notes += _overlap_notes(ctx, entity, pair[0], pair[1])
    elif entity is not None:
        _check_entity(ctx, entity)
        cohorts = {"all": _as_cohort(ctx, cohort, entity, "cohort") if cohort is not None else everyone(entity)}
        group_column = group
        if group is not None:
            _check_columns(ctx, entity, [group])
    else:
        raise ParameterError("survival needs an entity and a group column, or two cohorts (cohort_a, cohort_b).")
    _check_columns(ctx, entity, [time, event])
    from .algorithms.survival import event_table_reduced, kaplan_meier_from_events, log_rank_from_events, median_survival

    read = (time, event) if group_column == COHORT else (group_column, time, event)
    columns = list(dict.fromkeys(c for c in read if c))  # the group may be the event
    reducers = ctx.backend.reducers(ctx.snapshot, ctx.model.entities[entity], cohorts, columns)
    try:
        if group_column and group_column != COHORT:
            _check_group_counts(ctx, entity, reducers, [group_column], "group")
        if not 0 < conf_level < 1:
            raise ParameterError(f"conf_level must be between 0 and 1, not {conf_level}.")
        events = event_table_reduced(reducers, time, event, group_column)  # one pass serves every output
    finally:
        reducers.release()
    notes += events.notes()
    curve = kaplan_meier_from_events(events.table, conf_level)
    outputs: dict[str, Any] = {"curve": curve, "median": median_survival(curve)}
    if group_column:
        groups = events.table.get_column("group").n_unique()
        if groups < 2:
            notes.append(f"log-rank test undefined: it needs at least two groups; found {groups}")
            test = {"observed": {}, "expected": {}, "chisq": None, "df": 0, "p_value": None, "note": ""}
        else:
            test = log_rank_from_events(events.table)
        notes += [test["note"]] if test["note"] else []
        outputs["log_rank"] = pl.DataFrame(
            {
                "group": list(test["observed"]),
                "observed": [float(v) for v in test["observed"].values()],
                "expected": [float(test["expected"][g]) for g in test["observed"]],
            },
            schema={"group": pl.String, "observed": pl.Float64, "expected": pl.Float64},
        )
        outputs["chisq"] = test["chisq"]
        outputs["df"] = int(test["df"])
        outputs["p_value"] = test["p_value"]
    outputs["note"] = "; ".join(notes)
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


def _check_frame_columns(ctx: PluginContext, entity: str, columns: list[str], available: list[str]) -> None:
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise ColumnNotFoundError(
            f"frame of {entity}: no column {', '.join(map(repr, unknown))}; columns: {', '.join(available)}",
            details={"columns": unknown, "allowed": available},
        )


def _as_cohort(ctx: PluginContext, value: Any, entity: str, name: str) -> Cohort:
    if isinstance(value, Cohort):
        if value.entity != entity:
            raise ParameterError(f"{name} is a cohort of {value.entity}, but this step works on {entity}.")
        return value
    return cohort_from_value(value, entity, ctx.model.entities[entity], parameter=name)


def _cohort_entity(entity: str | None, cohort: Any, plugin_name: str) -> str:
    """The entity of a step on cohorts: given, or the cohort's own (text cohorts need it given)."""
    if entity is not None:
        return entity
    if isinstance(cohort, Cohort):
        return cohort.entity
    raise ParameterError(f"{plugin_name}: give the entity the cohorts are of (entity=...).", details={"parameter": "entity"})


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


def max_groups() -> int:
    """The most groups a built-in may be asked to compare (``DATAPRODUCT_MAX_GROUPS``, default 50)."""
    text = os.environ.get(MAX_GROUPS_ENV, "")
    return int(text) if text.strip().isdigit() and int(text) >= 2 else DEFAULT_MAX_GROUPS


def _check_group_counts(ctx: PluginContext, entity: str, reducers: Reducers, columns: list[str], parameter: str) -> None:
    """Refuse a group column with more distinct values than the limit, before the real work.

    The model answers for bool and labelled categories; other columns cost one count of
    that column's values (far less than the analysis it prevents)."""
    limit = max_groups()
    for column in columns:
        spec = ctx.model.entities[entity].columns[column]
        known = 2 if spec.type == "bool" else len(spec.labels or spec.levels or []) or None
        if known is not None and known <= limit:
            continue
        count = reducers.value_counts([column])[column].get_column("value").drop_nulls().n_unique()
        if count > limit:
            raise ParameterError(
                f"{parameter}: {entity}.{column} ({spec.type}) has {count} distinct values; at most {limit} groups "
                f"are allowed. Group by a category or true/false column with few values (operators may change "
                f"the limit with {MAX_GROUPS_ENV}).",
                details={"parameter": parameter, "column": column, "distinct": count, "limit": limit},
            )


def _overlap_notes(ctx: PluginContext, entity: str, cohort_a: Cohort, cohort_b: Cohort) -> list[str]:
    """A note when the two cohorts share rows: the tests assume independent samples."""
    reducers = ctx.backend.reducers(ctx.snapshot, ctx.model.entities[entity], {"both": both(cohort_a, cohort_b)}, [])
    try:
        shared = reducers.rows()["both"]
    finally:
        reducers.release()
    if not shared:
        return []
    return [f"cohorts overlap: {shared} rows are in both A and B, but the tests assume independent samples"]


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
