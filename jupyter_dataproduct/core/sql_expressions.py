"""The SQL a manifest may hold (``derive:`` and ``filter:``): expressions over an entity's
columns, and nothing more.

polars' SQL engine would also run sub-selects and table functions (``read_csv('/any/file')``)
inside an expression, and its parser overflows its stack on very long or deeply nested text.
polars exposes no parse tree to check before it acts, so the text is checked here first, by
a conservative tokenizer: string literals and quoted identifiers are skipped exactly as SQL
reads them; comments, statement separators and string prefixes are refused (they could make
our reading and polars' differ); ``SELECT`` and other query keywords are refused; a function
call must name a scalar function of the allow-list; and the number of tokens and the
nesting of parentheses are bounded.
"""

from __future__ import annotations

import re

import polars as pl

MAX_LENGTH = 100_000
MAX_TOKENS = 500  # polars' time grows faster than linearly with terms: 1,000 take ~1.5 s, 2,000 ~16 s
MAX_DEPTH = 16

SCALAR_FUNCTIONS = frozenset("""
    abs acos asin atan atan2 cbrt ceil ceiling cos cot degrees div exp floor ln log log10 log1p log2 mod pi
    pow power radians round sign sin sqrt tan trunc truncate
    bit_length btrim char_length character_length concat concat_ws ends_with initcap left length lower lpad
    ltrim normalize octet_length position regexp_like regexp_replace replace reverse right rpad rtrim
    split_part starts_with strpos substr substring trim upper
    coalesce greatest least nullif ifnull
    cast try_cast date date_part date_trunc extract strftime strptime timestamp
""".split())

# Keywords that start or join a query rather than an expression.
QUERY_KEYWORDS = frozenset(
    "select values table with exists lateral union intersect except join over window into qualify".split()
)
# Keywords after which an opening parenthesis groups an expression (not a call).
OPERATOR_KEYWORDS = frozenset("and or not in when then else case between like ilike is as".split())
# FROM is part of an expression only in IS [NOT] DISTINCT FROM and inside these calls.
FROM_CALLS = frozenset({"extract", "substring", "trim"})

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>--|/\*)
  | (?P<string>'(?:[^']|'')*+')
  | (?P<quoted>"(?:[^"]|"")*+")
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<dot>\.)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<operator>::|\|\||<=|>=|<>|!=|[-+*/%<>=,~!|&^])
""", re.VERBOSE | re.ASCII)


def check_sql_expression(text: str, path: str) -> None:
    """Raise ValueError (saying what and what is allowed) unless ``text`` is a bounded SQL
    expression over columns. ``path`` is the manifest key, for messages."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"the expression has {len(text):,} characters; at most {MAX_LENGTH:,}")
    tokens = _tokens(text)
    if len(tokens) > MAX_TOKENS:
        raise ValueError(f"the expression has {len(tokens):,} tokens; at most {MAX_TOKENS} tokens are allowed "
                         "(split it into several derived columns)")
    calls: list[str | None] = []  # per open parenthesis: the function it calls, or None
    for index, (kind, value) in enumerate(tokens):
        previous = tokens[index - 1] if index else ("", "")
        word = value.lower() if kind == "word" else ""
        if kind == "open":
            calls.append(_opened_call(previous))
            if len(calls) > MAX_DEPTH:
                raise ValueError(f"parentheses nest more than {MAX_DEPTH} levels; at most {MAX_DEPTH} levels")
        elif kind == "close":
            if not calls:
                raise ValueError("unbalanced parentheses")
            calls.pop()
        elif word in QUERY_KEYWORDS:
            raise ValueError(f"{value.upper()} is not allowed: {path} is an expression over the entity's columns, not a query")
        elif word == "from" and not (previous[1].lower() == "distinct" or (calls and calls[-1] in FROM_CALLS)):
            raise ValueError(f"FROM is not allowed: {path} is an expression over the entity's columns, not a query")
    if calls:
        raise ValueError("unbalanced parentheses")


def _opened_call(previous: tuple[str, str]) -> str | None:
    kind, value = previous
    if kind != "word" or value.lower() in OPERATOR_KEYWORDS:
        return None
    name = value.lower()
    if name not in SCALAR_FUNCTIONS:
        raise ValueError(
            f"function {value}() is not allowed; expressions may call the scalar functions "
            f"{', '.join(sorted(SCALAR_FUNCTIONS))}"
        )
    return name


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            character = text[position]
            if character == "'":
                raise ValueError("unterminated string literal")
            raise ValueError(f"{character!r} is not allowed in an expression")
        kind = match.lastgroup or ""
        if kind == "comment":
            raise ValueError("comments are not allowed in an expression")
        if kind in ("string", "quoted") and _ends_word(text, position):
            raise ValueError("string prefixes (E'...', X'...', N'...') are not allowed; write a plain '...' string")
        if kind == "dot":
            raise ValueError("qualified names (table.column) are not allowed; name the entity's columns")
        if kind != "space":
            tokens.append((kind, match.group()))
        position = match.end()
    for first, second in zip(tokens, tokens[1:]):
        if first[0] in ("word", "quoted") and second[0] == "number" and second[1].startswith("."):
            raise ValueError("qualified names (table.column) are not allowed; name the entity's columns")
    return tokens


def _ends_word(text: str, position: int) -> bool:
    """True when the character before ``position`` is part of a word (no space between)."""
    return position > 0 and (text[position - 1].isalnum() or text[position - 1] == "_")


def sql_expression(text: str, path: str) -> pl.Expr:
    """The polars expression for checked SQL text; ValueError if the text is refused."""
    check_sql_expression(text, path)
    return pl.sql_expr(text)
