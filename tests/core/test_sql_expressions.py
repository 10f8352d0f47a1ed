"""`derive:` and `filter:` are SQL expressions over the entity's columns and nothing more: no
sub-selects, no table functions, bounded in size and nesting; refused at load, naming the file,
the key path and the limit."""

from __future__ import annotations

import re

import pytest

from jupyter_dataproduct.core.errors import ManifestError
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.sql_expressions import MAX_DEPTH, MAX_TOKENS, check_sql_expression


@pytest.mark.parametrize("text", [
    "age * 12", "cd420 - cd40", "count IS NOT NULL", "week >= 0 AND weight IS NOT NULL",
    "CASE WHEN age > 40 THEN 'older' ELSE 'younger' END", "CAST(age AS DOUBLE) / 2", "age::float",
    "coalesce(weight, 0) + abs(week)", "name || ' (' || upper(name) || ')'", "age BETWEEN 30 AND 40",
    "age IN (1, 2, 3)", "NOT (age > 1)", "EXTRACT(year FROM enrolled)", "age IS DISTINCT FROM 2",
    "\"group\" = 'treated'", "name = 'it''s -- not a comment; SELECT read_csv(''x'')'", "regexp_like(name, '\\d+')",
    "date '2020-01-01' < enrolled", "-age", "1.5e3 * .5",
])
def test_expressions_over_columns_are_allowed(text):
    check_sql_expression(text, "model.entities.people.filter")


@pytest.mark.parametrize("text, problem", [
    ("id IN (SELECT column_1 FROM read_csv('/etc/hostname'))", "SELECT is not allowed"),
    ("read_csv('/etc/passwd') IS NULL", "function read_csv() is not allowed"),
    ("age + (SELECT 1)", "SELECT is not allowed"),
    ("EXISTS (VALUES (1))", "EXISTS is not allowed"),
    ("age; DROP TABLE x", "';' is not allowed"),
    ("age -- hidden", "comments are not allowed"),
    ("age /* read_csv('x') */", "comments are not allowed"),
    ("$$abc$$", "'$' is not allowed"),
    ("E'\\x41' = name", "string prefixes"),
    ("t.age > 1", "qualified names"),
    ("sum(age) OVER (PARTITION BY id)", "function sum() is not allowed"),
    ("name = 'unterminated", "unterminated string"),
])
def test_anything_but_an_expression_over_columns_is_refused(text, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        check_sql_expression(text, "model.entities.people.filter")


def test_size_and_nesting_are_bounded():
    with pytest.raises(ValueError, match=f"at most {MAX_TOKENS} tokens"):
        check_sql_expression(" + ".join(["age"] * 8000), "x")
    with pytest.raises(ValueError, match=f"at most {MAX_DEPTH} levels"):
        check_sql_expression("(" * 40 + "age" + ")" * 40, "x")
    with pytest.raises(ValueError, match="unbalanced parentheses"):
        check_sql_expression("(age", "x")


def test_a_refused_derive_is_a_manifest_error_naming_file_key_path_and_limit(write_product, tiny_manifest, tiny_files):
    long_derive = " + ".join(["age"] * 8000)
    folder = write_product(tiny_manifest.replace("derive: age * 12", f"derive: {long_derive}"), tiny_files)
    with pytest.raises(ManifestError) as caught:
        Product.open(folder).manifest
    message = caught.value.message
    assert message.startswith(str(folder / "dataproduct.yaml"))
    assert f"model.entities.people.columns.age_months.derive: the expression has 15,999 tokens; at most {MAX_TOKENS}" in message
    assert len(message) < 2000


def test_a_filter_reading_a_file_never_runs(write_product, tiny_manifest, tiny_files, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("TOP-SECRET-HEADER\n1\n")
    folder = write_product(tiny_manifest.replace(
        "filter: week >= 0", f"filter: \"person_id IN (SELECT column_1 FROM read_csv('{secret}'))\""), tiny_files)
    with pytest.raises(ManifestError) as caught:
        Product.open(folder).build()
    assert "model.entities.visits.filter: SELECT is not allowed" in caught.value.message
    assert "TOP-SECRET" not in str(caught.value.to_dict())
