"""Cohorts: the text syntax parses to the same tree as the structured form, compiles to
polars expressions that select the right rows, and refuses anything else clearly."""

from __future__ import annotations

import polars as pl
import pytest

from jupyter_dataproduct.core.cohort import Cohort, cohort_from_value, parse_cohort, tree_to_text
from jupyter_dataproduct.core.errors import ColumnNotFoundError, ParameterError
from jupyter_dataproduct.core.product import Product

# tiny people: id name age group(1 control, 2 treated) smoker enrolled
#   1 Ada 34 control  no  2024-01-05
#   2 Bo  51 treated  yes 2024-02-11
#   3 Cy  29 control  no  2024-03-20
#   4 Di  62 treated  yes 2024-04-02
#   5 Ed  45 treated  no  2024-05-17


@pytest.fixture
def product(tiny_product: Product) -> Product:
    tiny_product.build()
    return tiny_product


def cohort(product: Product, value, entity: str = "people") -> Cohort:
    return cohort_from_value(value, entity, product.manifest.model.entities[entity])


def ids(product: Product, value) -> list[int]:
    chosen = cohort(product, value)
    expression = chosen.expression(product.manifest.model.entities["people"])
    return product.snapshot().scan("people").filter(expression).collect()["id"].sort().to_list()


def visits(product: Product, value) -> list[tuple[int, int]]:
    chosen = cohort(product, value, "visits")
    frame = product.snapshot().scan("visits").filter(chosen.expression(product.manifest.model.entities["visits"]))
    return sorted(frame.select("person_id", "week").collect().rows())


def c(column, op, value=None):
    return {"column": column, "op": op} if value is None else {"column": column, "op": op, "value": value}


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("arms in (1, 2) and age >= 40", {"and": [c("arms", "in", [1, 2]), c("age", ">=", 40)]}),
        ("age >= 40", c("age", ">=", 40)),
        ("age = 40", c("age", "==", 40)),
        ("age != 40.5", c("age", "!=", 40.5)),
        ("x < -1.5e3", c("x", "<", -1500.0)),
        ("a == 1 or b == 2 and c == 3", {"or": [c("a", "==", 1), {"and": [c("b", "==", 2), c("c", "==", 3)]}]}),
        ("(a == 1 or b == 2) and c == 3", {"and": [{"or": [c("a", "==", 1), c("b", "==", 2)]}, c("c", "==", 3)]}),
        ("not a == 1 and b == 2", {"and": [{"not": c("a", "==", 1)}, c("b", "==", 2)]}),
        ("not (a == 1 and b == 2)", {"not": {"and": [c("a", "==", 1), c("b", "==", 2)]}}),
        ("not not a == 1", {"not": {"not": c("a", "==", 1)}}),
        ("a == 1 and b == 2 and c == 3", {"and": [c("a", "==", 1), c("b", "==", 2), c("c", "==", 3)]}),
        ("((a == 1))", c("a", "==", 1)),
        ("name == 'Ada'", c("name", "==", "Ada")),
        ('name == "Ada"', c("name", "==", "Ada")),
        (r"name == 'O\'Neil'", c("name", "==", "O'Neil")),
        (r'name == "say \"hi\""', c("name", "==", 'say "hi"')),
        ("name == 'a and b or (c)'", c("name", "==", "a and b or (c)")),
        ("arms == ZDV", c("arms", "==", "ZDV")),  # a bare word is a label
        ("enrolled >= '2024-03-01'", c("enrolled", ">=", "2024-03-01")),
        ("smoker == true", c("smoker", "==", True)),
        ("smoker == FALSE", c("smoker", "==", False)),
        ("age >= 40 AND smoker == TRUE", {"and": [c("age", ">=", 40), c("smoker", "==", True)]}),
        ("weight is null", c("weight", "is null")),
        ("weight IS NOT NULL", c("weight", "is not null")),
        ("arms not in ('ZDV', 3)", c("arms", "not in", ["ZDV", 3])),
        ("age between 30 and 40", c("age", "between", [30, 40])),
        ("age between 30 and 40 and smoker == true", {"and": [c("age", "between", [30, 40]), c("smoker", "==", True)]}),
        ("name contains 'd'", c("name", "contains", "d")),
        ("", {"and": []}),
        ("   ", {"and": []}),
    ],
)
def test_text_parses_to_the_structured_tree(text, tree):
    assert parse_cohort(text) == tree


TEXT_AND_TREE = [
    ("group in (1, 2) and age >= 40",
     {"and": [{"column": "group", "op": "in", "value": [1, 2]}, {"column": "age", "op": ">=", "value": 40}]}),
    ("not (group == 'control') or smoker == true",
     {"or": [{"not": {"column": "group", "op": "==", "value": "control"}}, {"column": "smoker", "op": "==", "value": True}]}),
    ("enrolled between '2024-02-01' and '2024-04-30'",
     {"column": "enrolled", "op": "between", "value": ["2024-02-01", "2024-04-30"]}),
]


@pytest.mark.parametrize(("text", "tree"), TEXT_AND_TREE)
def test_text_and_tree_give_the_same_cohort(product, text, tree):
    from_text, from_tree = cohort(product, text), cohort(product, tree)
    assert from_text.tree == from_tree.tree
    assert from_text.text == text and from_tree.text is None
    assert ids(product, text) == ids(product, tree)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("group in (1, 2) and age >= 40", [2, 4, 5]),
        ("age >= 40", [2, 4, 5]),
        ("age > 45", [2, 4]),
        ("age < 34", [3]),
        ("age <= 34", [1, 3]),
        ("age != 34", [2, 3, 4, 5]),
        ("age between 34 and 51", [1, 2, 5]),  # inclusive
        ("group == 'treated'", [2, 4, 5]),
        ("group == treated", [2, 4, 5]),
        ("group == 2", [2, 4, 5]),
        ("group == '2'", [2, 4, 5]),
        ("group == 2.0", [2, 4, 5]),
        ("group != 'control'", [2, 4, 5]),
        ("group in ('control')", [1, 3]),
        ("group not in (1)", [2, 4, 5]),
        ("smoker == true", [2, 4]),
        ("smoker == 0", [1, 3, 5]),
        ("smoker == 'false'", [1, 3, 5]),
        ("name == 'Ada' or name == 'Ed'", [1, 5]),
        ("name contains 'd'", [1, 5]),  # literal and case-sensitive
        ("name contains '.'", []),
        ("name > 'C'", [3, 4, 5]),
        ("name in ('Bo', 'Zed')", [2]),
        ("enrolled >= '2024-03-20'", [3, 4, 5]),
        ("enrolled == '2024-02-11'", [2]),
        ("enrolled in ('2024-01-05', '2024-05-17')", [1, 5]),
        ("enrolled between '2024-02-01' and '2024-04-30'", [2, 3, 4]),
        ("age_months >= 600", [2, 4]),
        ("not (age >= 40)", [1, 3]),
        ("not group == 1 and not smoker == true", [5]),
        ("(age < 30 or age > 60) and group == 'treated'", [4]),
        ("age < 30 or age > 60 and group == 'treated'", [3, 4]),
        ("id is null", []),
        ("id is not null", [1, 2, 3, 4, 5]),
        ("", [1, 2, 3, 4, 5]),
        ({"and": []}, [1, 2, 3, 4, 5]),
        ({"or": []}, []),
        ({"not": {"column": "smoker", "op": "==", "value": True}}, [1, 3, 5]),
        ({"column": "age", "op": "between", "value": [30.0, 50]}, [1, 5]),
    ],
)
def test_cohorts_compile_to_polars_and_select_the_right_rows(product, value, expected):
    assert ids(product, value) == expected


def test_missing_values_match_no_condition(product):
    assert visits(product, "weight is null") == [(5, 4)]
    assert len(visits(product, "weight is not null")) == 7
    assert (5, 4) not in visits(product, "weight != 70.5")
    assert (5, 4) not in visits(product, "weight not in (70.5)")
    assert (5, 4) not in visits(product, "weight between 0 and 1000")
    assert visits(product, "weight > 85 and week == 0") == [(2, 0), (5, 0)]


def test_the_expression_is_an_ordinary_polars_expression(product):
    expression = cohort(product, "age >= 40 and group == 'treated'").expression(product.manifest.model.entities["people"])
    assert isinstance(expression, pl.Expr)
    frame = pl.DataFrame({"age": [50, 50, None], "group": ["treated", "control", "treated"]})
    assert frame.with_columns(flag=expression)["flag"].to_list() == [True, False, False]


def test_category_codes_become_labels_in_the_canonical_tree(product):
    assert cohort(product, "group in (1, 'treated')").tree == {"column": "group", "op": "in", "value": ["control", "treated"]}
    assert cohort(product, "smoker == 1").tree == {"column": "smoker", "op": "==", "value": True}
    assert cohort(product, "age == 40.0").tree == {"column": "age", "op": "==", "value": 40}
    assert cohort(product, "enrolled == '2024-01-05'").tree["value"] == "2024-01-05"


def test_labels_on_the_real_trial_data(actg_product):
    actg_product.build()
    entity = actg_product.manifest.model.entities["patients"]
    patients = actg_product.snapshot().scan("patients")

    def count(text: str) -> int:
        return patients.filter(cohort_from_value(text, "patients", entity).expression(entity)).select(pl.len()).collect().item()

    assert count("arms == 'ZDV'") == count("arms == 0") == count("arms == ZDV") == 532
    assert count("arms in (1, 2) and age >= 40") == count("arms in ('ZDV+ddI', 'ZDV+Zal') and age >= 40")
    assert count("arms in (1, 2) and age >= 40") == patients.filter(
        pl.col("arms").is_in(["ZDV+ddI", "ZDV+Zal"]) & (pl.col("age") >= 40)).select(pl.len()).collect().item()
    assert count("cd496 is null") + count("cd496 is not null") == 2139
    assert count("not (gender == 'female')") == count("gender == 'male'")


@pytest.mark.parametrize(
    "tree",
    [
        {"and": [c("group", "in", ["control", "treated"]), c("age", ">=", 40)]},
        {"or": [{"not": c("name", "==", "O'Neil \\ x")}, {"and": [c("smoker", "==", True), c("age", "<", 30)]}]},
        {"not": {"or": [c("enrolled", "between", ["2024-01-01", "2024-02-01"]), c("name", "is null")]}},
        {"and": [{"or": [c("age", "<", 30), c("age", ">", 60)]}, c("name", "contains", "d")]},
    ],
)
def test_tree_to_text_round_trips(product, tree):
    canonical = cohort(product, tree).tree
    text = tree_to_text(canonical)
    assert cohort(product, text).tree == canonical
    assert cohort(product, text).describe() == text


def test_describe_and_json(product):
    chosen = cohort(product, {"column": "age", "op": ">=", "value": 40})
    assert chosen.describe() == "age >= 40"
    assert chosen.to_json() == {"entity": "people", "tree": {"column": "age", "op": ">=", "value": 40}}
    assert cohort(product, "age>=40").to_json()["text"] == "age>=40"
    assert tree_to_text({"and": []}) == "everyone"


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["agee >= 40", {"column": "agee", "op": ">=", "value": 40},
                                   "age >= 40 and (smoker == true or agee < 3)"])
def test_unknown_columns_are_named_with_the_allowed_columns(product, value):
    with pytest.raises(ColumnNotFoundError) as caught:
        cohort(product, value)
    error = caught.value
    assert error.message == (
        "Parameter 'cohort': people has no column 'agee'; columns: id, name, age, group, smoker, enrolled, age_months"
    )
    assert error.details == {"column": "agee", "allowed": ["id", "name", "age", "group", "smoker", "enrolled", "age_months"],
                             "parameter": "cohort"}
    assert str(error) == error.message


@pytest.mark.parametrize(
    ("text", "position", "problem"),
    [
        ("age >= ", 8, "expected a value (number, 'text', true or false), found the end"),
        ("age >= 40 and", 14, "expected a column name, found the end"),
        ("age @ 40", 5, "unexpected character"),
        ("age >= 40 age < 3", 11, "expected 'and', 'or' or the end, found 'age'"),
        ("(age >= 40", 11, "expected ')', found the end"),
        ("age >= 40)", 10, "expected 'and', 'or' or the end, found ')'"),
        ("age in 1, 2", 8, "expected '(', found '1'"),
        ("age between 1 or 2", 15, "expected 'and', found 'or'"),
        ("age", 4, "expected a comparison (==, !=, <, <=, >, >=), in, between or is, found the end"),
        ("age is 3", 8, "expected 'null', found '3'"),
        ("name == 'open", 9, "unexpected character"),
        ("40 <= age", 1, "expected a column name, found '40'"),
        ("age >= (40)", 8, "expected a value, found '('"),
    ],
)
def test_syntax_errors_give_the_position(text, position, problem):
    with pytest.raises(ParameterError) as caught:
        parse_cohort(text)
    error = caught.value
    assert error.details["position"] == position and error.details["problem"] == problem
    assert f"syntax error at position {position} ({problem})" in error.message
    lines = error.message.splitlines()
    assert lines[1] == f"  {text}" and lines[2] == "  " + " " * (position - 1) + "^"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("age >= 'old'", "'old' is not a valid value for age, which holds int values"),
        ("age >= 40.5", "40.5 is not a valid value for age, which holds int values"),
        ("smoker == 'yes'", "'yes' is not a valid value for smoker, which holds bool values"),
        ("name == 3", "3 is not a valid value for name, which holds string values"),
        ("enrolled > '2024-02-30'", "'2024-02-30' is not a valid value for enrolled, which holds date values"),
        ("group == 3", "3 is not a value of group; allowed: 1 (control), 2 (treated)"),
        ("group == 'placebo'", "'placebo' is not a value of group; allowed: 1 (control), 2 (treated)"),
        ("group > 1", "group is a category column; compare it with == , != or in, not >"),
        ("smoker < true", "smoker is a bool column; compare it with == , != or in, not <"),
        ("age contains '4'", "'contains' works on text columns with a text value; age is int"),
        ({"column": "age", "op": "in", "value": []}, "age in needs a non-empty list of values"),
        ({"column": "age", "op": "in", "value": 4}, "age in needs a non-empty list of values"),
        ({"column": "age", "op": "between", "value": [1]}, "age between needs two values, low and high"),
        ({"column": "age", "op": "~=", "value": 1}, "operator '~=' is not allowed; use one of ==, !=, <"),
        ({"column": "age", "op": "==", "value": 1, "extra": 2}, "a condition has keys column, op and value"),
        ({"column": "age"}, "a condition has keys column, op and value"),
        ({"and": {"column": "age", "op": "is null"}}, "'and' takes a list of conditions and nothing else"),
        ({"or": [], "column": "age"}, "'or' takes a list of conditions and nothing else"),
        ({"not": c("age", "is null"), "and": []}, "'and' takes a list of conditions and nothing else"),
        ({"and": ["age >= 40"]}, "a cohort condition must be an object, got 'age >= 40'"),
        (["age >= 40"], "a cohort is a text expression such as \"age >= 40\" or a condition tree; got list"),
    ],
)
def test_bad_values_and_trees_are_refused(product, value, message):
    with pytest.raises(ParameterError) as caught:
        cohort(product, value)
    assert caught.value.message.startswith("Parameter 'cohort': ")
    assert message in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch pwned')",
        "age >= __import__('os').getpid()",
        "age >= 40; import os",
        "exec('1')",
        "age.__class__ == 1",
        "age >= 40 and `id`",
        "pl.col('age') >= 40",
        "lambda: 1",
    ],
)
def test_nothing_is_evaluated_as_code(product, tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    with pytest.raises((ParameterError, ColumnNotFoundError)):
        cohort(product, text)
    assert not (tmp_path / "pwned").exists()


def test_code_in_a_string_is_only_data(product, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = "name == '__import__(\"os\").system(\"touch pwned\")' or name contains '; drop table people'"
    assert ids(product, text) == []
    assert cohort(product, text).tree["or"][0]["value"] == '__import__("os").system("touch pwned")'
    assert not (tmp_path / "pwned").exists()


def test_deep_nesting_is_a_clear_error_not_a_crash(product):
    fine = "(" * 50 + "age > 40" + ")" * 50
    assert ids(product, fine) == [2, 4, 5]
    assert ids(product, "not " * 50 + "age > 40") == [2, 4, 5]
    for text in ("(" * 51 + "age > 40" + ")" * 51, "(" * 5000 + "age > 40" + ")" * 5000, "not " * 5000 + "age > 40"):
        with pytest.raises(ParameterError, match="nesting deeper than 50 levels"):
            cohort(product, text)
    tree: dict = c("age", ">", 40)
    for _ in range(5000):
        tree = {"not": tree}
    with pytest.raises(ParameterError, match="a cohort condition tree may nest at most 50 levels deep"):
        cohort(product, tree)


def test_between_on_text_compares_values_not_columns(product):
    # Found by tests/engines' random cohort trees: polars read text bounds as column names.
    people = product.snapshot().scan("people")
    chosen = cohort(product, "name between 'A' and 'Bz'")
    names = people.filter(chosen.expression(product.manifest.model.entities["people"])).select("name").collect()
    assert sorted(names["name"]) == ["Ada", "Bo"]


# -- bounded client values (issue 12) ---------------------------------------------------------


def nested(depth: int):
    value: list = [1]
    for _ in range(depth):
        value = [value]
    return value


def test_a_deeply_nested_value_is_refused_before_anything_walks_it(product):
    for tree in ({"column": "age", "op": "in", "value": nested(500)}, {"and": [{"or": nested(500)}]}):
        with pytest.raises(ParameterError) as caught:
            cohort(product, tree)
        assert "may nest at most 50 levels deep" in caught.value.message and len(caught.value.message) < 300


def test_a_huge_tree_or_text_is_refused(product):
    wide = {"or": [c("age", "==", i) for i in range(20_000)]}
    with pytest.raises(ParameterError, match="holds more than"):
        cohort(product, wide)
    with pytest.raises(ParameterError, match="longer than"):
        cohort(product, " or ".join(["age == 1"] * 20_000))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"column": ["age"], "op": "==", "value": 1}, "a column name is text, not ['age']"),
        ({"column": {"a": 1}, "op": "==", "value": 1}, "a column name is text"),
        ({"column": "age", "op": ["=="], "value": 1}, "operator ['=='] is not allowed"),
        ({"column": "age", "op": ">", "value": 10**40}, "is not a valid value for age, which holds int values"),
        ({"column": "age", "op": ">", "value": 1e40}, "is not a valid value for age, which holds int values"),
        ("age > 10000000000000000000000000000000000000000", "is not a valid value for age, which holds int values"),
        ("age > 1e40", "is not a valid value for age, which holds int values"),
        ("age > " + "9" * 5000, "number too long"),
        ("age in (1, " + "9" * 5000 + ")", "number too long"),
        ("age > \u0663\u0660", "unexpected character"),  # Arabic-Indic digits are not numbers here
        ("age > 4\u0660", "unexpected character"),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_values_of_the_wrong_kind_or_size_are_422_naming_the_parameter(product, value, message):
    with pytest.raises(ParameterError) as caught:
        cohort(product, value)
    assert caught.value.message.startswith("Parameter 'cohort': ") and caught.value.http_status == 422
    assert message in caught.value.message
