"""Cohorts: filters over an entity, as a structured tree or a short text expression.

Tree form (what a form builds)::

    {"and": [{"column": "arms", "op": "in", "value": [1, 2]},
             {"column": "age", "op": ">=", "value": 40}]}

Text form (what a person types), parsed into the same tree::

    arms in (1, 2) and age >= 40

Both compile to a polars expression. Column names are checked against the model, values
against the column's type; category columns accept a label ('ZDV') or its raw code (0).
Nothing is evaluated as code and nothing reaches SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from .errors import ColumnNotFoundError, ParameterError
from .limits import bounds_problem, shown
from .model import Column, Entity

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
SET_OPS = ("in", "not in")
NULL_OPS = ("is null", "is not null")
OPERATORS = (*COMPARISONS, *SET_OPS, "between", *NULL_OPS, "contains")
EVERYONE: dict[str, Any] = {"and": []}
MAX_DEPTH = 50  # nesting of and / or / not and parentheses (deeper would exhaust the stack)
MAX_TEXT = 100_000  # characters of a cohort written as text
MAX_CONDITIONS = 10_000  # values (conditions, operands, list items) in a condition tree
MAX_NUMBER = 100  # characters of one number in the text syntax
INT64 = (-(2**63), 2**63 - 1)  # the integers a column holds


# -- the text syntax ----------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|<=|>=|<|>|=)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE | re.ASCII,  # digits are 0-9 only: '٣' or '４' is not a number here
)
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "between", "true", "false", "contains"}


@dataclass
class _Token:
    kind: str
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            # Point at the offending character, not at the spaces before it.
            position += len(text[position:]) - len(text[position:].lstrip())
            raise _syntax_error(text, position, "unexpected character")
        kind = match.lastgroup or ""
        value, start = match.group(kind), match.start(kind)
        if kind == "word" and value.lower() in _KEYWORDS:
            kind, value = "keyword", value.lower()
        tokens.append(_Token(kind, value, start))
        position = match.end()
    return tokens


def _syntax_error(text: str, position: int, problem: str) -> ParameterError:
    pointer = " " * position + "^"
    return ParameterError(
        f"Cohort expression has a syntax error at position {position + 1} ({problem}):\n"
        f"  {text}\n  {pointer}\n"
        "Write conditions like `age >= 40`, `arms in (1, 2)`, `gender == 'male'`, "
        "`cd496 is null`, `age between 30 and 40`, joined with and / or / not and parentheses.",
        details={"expression": text, "position": position + 1, "problem": problem},
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def parse(self) -> dict[str, Any]:
        if not self.tokens:
            return dict(EVERYONE)
        tree = self._or()
        if self.index < len(self.tokens):
            raise self._error("expected 'and', 'or' or the end")
        return tree

    # grammar: or := and ('or' and)* ; and := unary ('and' unary)* ;
    # unary := 'not' unary | '(' or ')' | condition
    def _or(self) -> dict[str, Any]:
        parts = [self._and()]
        while self._accept("keyword", "or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else {"or": parts}

    def _and(self) -> dict[str, Any]:
        parts = [self._unary()]
        while self._accept("keyword", "and"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else {"and": parts}

    def _unary(self) -> dict[str, Any]:
        if self.depth > MAX_DEPTH:
            raise self._error(f"nesting deeper than {MAX_DEPTH} levels")
        self.depth += 1
        try:
            if self._accept("keyword", "not"):
                return {"not": self._unary()}
            if self._accept("punct", "("):
                inner = self._or()
                self._expect("punct", ")")
                return inner
            return self._condition()
        finally:
            self.depth -= 1

    def _condition(self) -> dict[str, Any]:
        column = self._expect("word", description="a column name").text
        if self._accept("keyword", "is"):
            negate = self._accept("keyword", "not")
            self._expect("keyword", "null")
            return {"column": column, "op": "is not null" if negate else "is null"}
        if self._accept("keyword", "not"):
            self._expect("keyword", "in")
            return {"column": column, "op": "not in", "value": self._list()}
        if self._accept("keyword", "in"):
            return {"column": column, "op": "in", "value": self._list()}
        if self._accept("keyword", "between"):
            low = self._literal()
            self._expect("keyword", "and")
            return {"column": column, "op": "between", "value": [low, self._literal()]}
        if self._accept("keyword", "contains"):
            return {"column": column, "op": "contains", "value": self._literal()}
        op_token = self._expect("op", description="a comparison (==, !=, <, <=, >, >=), in, between or is")
        op = "==" if op_token.text == "=" else op_token.text
        return {"column": column, "op": op, "value": self._literal()}

    def _list(self) -> list[Any]:
        self._expect("punct", "(")
        values = [self._literal()]
        while self._accept("punct", ","):
            values.append(self._literal())
        self._expect("punct", ")")
        return values

    def _literal(self) -> Any:
        token = self._next("a value (number, 'text', true or false)")
        if token.kind == "number":
            if len(token.text) > MAX_NUMBER:
                raise _syntax_error(self.text, token.position, f"number too long (at most {MAX_NUMBER} characters)")
            return float(token.text) if re.search(r"[.eE]", token.text) else int(token.text)
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "keyword" and token.text in ("true", "false"):
            return token.text == "true"
        if token.kind == "word":
            # A bare word as a value is a label written without quotes: arms == ZDV.
            return token.text
        raise _syntax_error(self.text, token.position, f"expected a value, found {token.text!r}")

    # -- token helpers
    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _accept(self, kind: str, text: str | None = None) -> bool:
        token = self._peek()
        if token and token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return True
        return False

    def _expect(self, kind: str, text: str | None = None, description: str | None = None) -> _Token:
        token = self._peek()
        if token and token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        raise self._error(f"expected {description or repr(text)}")

    def _next(self, description: str) -> _Token:
        token = self._peek()
        if token is None:
            raise self._error(f"expected {description}")
        self.index += 1
        return token

    def _error(self, problem: str) -> ParameterError:
        token = self._peek()
        position = token.position if token else len(self.text)
        found = f", found {token.text!r}" if token else ", found the end"
        return _syntax_error(self.text, position, problem + found)


def parse_cohort(text: str) -> dict[str, Any]:
    """Parse the text syntax into the tree form (no model needed)."""
    return _Parser(text).parse()


# -- validation and compilation -------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    """A validated cohort over one entity: the canonical tree plus where it came from."""

    entity: str
    tree: dict[str, Any]
    text: str | None = None
    artifact: str | None = None

    def expression(self, entity: Entity) -> pl.Expr:
        return _compile(self.tree, entity)

    @property
    def is_everyone(self) -> bool:
        """The empty condition: every row belongs (no filter needed)."""
        return self.tree == {"and": []}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"entity": self.entity, "tree": self.tree}
        if self.text is not None:
            data["text"] = self.text
        if self.artifact is not None:
            data["artifact"] = self.artifact
        return data

    def describe(self) -> str:
        return self.text if self.text is not None else tree_to_text(self.tree)


def cohort_from_value(value: Any, entity_name: str, entity: Entity, parameter: str = "cohort") -> Cohort:
    """Validate text or a tree against the entity; return the canonical cohort."""
    try:
        _check_size(value)  # before anything walks the value
        if isinstance(value, Cohort):
            tree, text = value.tree, value.text
        elif isinstance(value, str):
            tree, text = parse_cohort(value), value.strip()
        elif isinstance(value, dict) and {"entity", "tree"} <= set(value):  # a cohort as sent or recorded
            if value["entity"] != entity_name:
                raise ParameterError(f"a cohort of {entity_name} is needed; this one filters {value['entity']!r}.")
            tree, text = value["tree"], None
        elif isinstance(value, dict):
            tree, text = value, None
        else:
            raise ParameterError(
                f"a cohort is a text expression such as \"age >= 40\" or a condition tree; "
                f"got {type(value).__name__}."
            )
        canonical = _canonical(tree, entity_name, entity)
    except (ParameterError, ColumnNotFoundError) as exc:
        exc.message = f"Parameter {parameter!r}: {exc.message}"
        exc.details.setdefault("parameter", parameter)
        exc.args = (exc.message,)
        raise
    return Cohort(entity=entity_name, tree=canonical, text=text)


def _check_size(value: Any) -> None:
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ParameterError(f"a cohort expression is at most {MAX_TEXT:,} characters; this one is longer than that")
        return
    if isinstance(value, (dict, list)):
        # and / or take a list: two JSON levels per level of the tree, and a little room.
        problem = bounds_problem(value, max_depth=2 * MAX_DEPTH + 4, max_values=MAX_CONDITIONS)
        if problem and "nested" in problem:
            raise ParameterError(f"a cohort condition tree may nest at most {MAX_DEPTH} levels deep")
        if problem:
            raise ParameterError(f"a cohort condition tree {problem}")


def _canonical(node: Any, entity_name: str, entity: Entity, depth: int = 0) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise ParameterError(f"a cohort condition tree may nest at most {MAX_DEPTH} levels deep")
    if not isinstance(node, dict):
        raise ParameterError(f"a cohort condition must be an object, got {shown(node)}")
    if "and" in node or "or" in node:
        key = "and" if "and" in node else "or"
        if set(node) != {key} or not isinstance(node[key], list):
            raise ParameterError(f"'{key}' takes a list of conditions and nothing else: {shown(node)}")
        return {key: [_canonical(child, entity_name, entity, depth + 1) for child in node[key]]}
    if "not" in node:
        if set(node) != {"not"}:
            raise ParameterError(f"'not' takes one condition and nothing else: {shown(node)}")
        return {"not": _canonical(node["not"], entity_name, entity, depth + 1)}
    return _canonical_condition(node, entity_name, entity)


def _canonical_condition(node: dict[str, Any], entity_name: str, entity: Entity) -> dict[str, Any]:
    allowed_keys = {"column", "op", "value"}
    if not {"column", "op"} <= set(node) or not set(node) <= allowed_keys:
        raise ParameterError(
            f"a condition has keys column, op and value (or and / or / not); got {shown(sorted(node))}"
        )
    name, op = node["column"], node["op"]
    if not isinstance(name, str):
        raise ParameterError(f"a column name is text, not {shown(name)}", details={"column": shown(name)})
    column = entity.columns.get(name)
    if column is None:
        raise ColumnNotFoundError(
            f"{entity_name} has no column {name!r}; columns: {', '.join(entity.columns)}",
            details={"column": name, "allowed": list(entity.columns)},
        )
    if not isinstance(op, str) or op not in OPERATORS:
        raise ParameterError(f"operator {shown(op)} is not allowed; use one of {', '.join(OPERATORS)}")
    if op in NULL_OPS:
        return {"column": name, "op": op}
    value = node.get("value")
    if op in SET_OPS:
        if not isinstance(value, list) or not value:
            raise ParameterError(f"{name} {op} needs a non-empty list of values")
        return {"column": name, "op": op, "value": [_typed_value(v, name, column) for v in value]}
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ParameterError(f"{name} between needs two values, low and high")
        return {"column": name, "op": op, "value": [_typed_value(v, name, column) for v in value]}
    if op == "contains":
        if column.type != "string" or not isinstance(value, str):
            raise ParameterError(f"'contains' works on text columns with a text value; {name} is {column.type}")
        return {"column": name, "op": op, "value": value}
    if op in ("<", "<=", ">", ">=") and column.type in ("bool", "category", "string"):
        if column.type != "string":
            raise ParameterError(f"{name} is a {column.type} column; compare it with == , != or in, not {op}")
    return {"column": name, "op": op, "value": _typed_value(value, name, column)}


def _typed_value(value: Any, name: str, column: Column) -> Any:
    """Check one value against the column type; category codes become labels."""
    kind = column.type
    if kind == "category":
        categories = column.categories()
        if column.labels is not None:
            key = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
            if isinstance(value, bool):
                key = str(int(value))
            if key in column.labels:
                return column.labels[key]
        if categories is not None and value not in categories:
            codes = [f"{k} ({v})" for k, v in (column.labels or {}).items()] or categories
            raise ParameterError(
                f"{shown(value)} is not a value of {name}; allowed: {', '.join(map(str, codes))}",
                details={"column": name, "value": _detail(value), "allowed": categories},
            )
        return str(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and INT64[0] <= value <= INT64[1]:
            return value
    elif kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind == "string":
        if isinstance(value, str):
            return value
    elif kind in ("date", "datetime"):
        try:
            parsed = dt.date.fromisoformat(value) if kind == "date" else dt.datetime.fromisoformat(value)
            return parsed.isoformat()
        except (TypeError, ValueError):
            pass
    raise ParameterError(
        f"{shown(value)} is not a valid value for {name}, which holds {kind} values",
        details={"column": name, "value": _detail(value), "type": kind},
    )


def _detail(value: Any) -> Any:
    """A client's value as error details carry it: scalars as they are, anything else shortened."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else shown(value)


def _compile(node: dict[str, Any], entity: Entity) -> pl.Expr:
    if "and" in node:
        parts = [_compile(c, entity) for c in node["and"]]
        return pl.all_horizontal(parts) if parts else pl.lit(True)
    if "or" in node:
        parts = [_compile(c, entity) for c in node["or"]]
        return pl.any_horizontal(parts) if parts else pl.lit(False)
    if "not" in node:
        return ~_compile(node["not"], entity)
    column = pl.col(node["column"])
    kind = entity.columns[node["column"]].type
    op, value = node["op"], node.get("value")
    if op == "is null":
        return column.is_null()
    if op == "is not null":
        return column.is_not_null()
    if op == "contains":
        return column.str.contains(value, literal=True).fill_null(False)
    literal = _literal(value, kind)
    if op == "in":
        return column.is_in(literal).fill_null(False)
    if op == "not in":
        return (~column.is_in(literal)).fill_null(False)
    if op == "between":
        # pl.lit: a bare string bound would be read as a column name ('a' between 'a' and 'b').
        return column.is_between(pl.lit(literal[0]), pl.lit(literal[1])).fill_null(False)
    comparisons = {
        "==": column.__eq__, "!=": column.__ne__, "<": column.__lt__,
        "<=": column.__le__, ">": column.__gt__, ">=": column.__ge__,
    }
    # A missing value matches no condition (SQL semantics), not even !=.
    return comparisons[op](pl.lit(literal)).fill_null(False)


def _literal(value: Any, kind: str) -> Any:
    if isinstance(value, list):
        return [_literal(v, kind) for v in value]
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    return value


def tree_to_text(node: dict[str, Any]) -> str:
    """Render a tree back to the text syntax (for display)."""
    if "and" in node or "or" in node:
        key = "and" if "and" in node else "or"
        if not node[key]:
            return "everyone" if key == "and" else "no one"
        return f" {key} ".join(
            f"({tree_to_text(c)})" if ("and" in c or "or" in c) and len(next(iter(c.values()))) > 1 else tree_to_text(c)
            for c in node[key]
        )
    if "not" in node:
        return f"not ({tree_to_text(node['not'])})"
    op, value = node["op"], node.get("value")
    if op in NULL_OPS:
        return f"{node['column']} {op}"
    if op in SET_OPS:
        return f"{node['column']} {op} ({', '.join(_value_text(v) for v in value)})"
    if op == "between":
        return f"{node['column']} between {_value_text(value[0])} and {_value_text(value[1])}"
    return f"{node['column']} {op} {_value_text(value)}"


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)
