"""Typed protocol parameters: every type binds good values, refuses bad ones with a clear
message, and is published as JSON Schema (the product's data contract)."""

from __future__ import annotations

import datetime as dt
import textwrap

import jsonschema
import pytest

from jupyter_dataproduct.core.cohort import Cohort
from jupyter_dataproduct.core.errors import ColumnNotFoundError, ManifestError, ParameterError
from jupyter_dataproduct.core.product import Product

EVERY_TYPE = """\
name: every_type
version: 1.0.0
title: Every parameter type
description: One parameter of each type, for tests.
parameters:
  label: {type: string, title: Label, default: hello}
  count: {type: int, title: Count, minimum: 1, maximum: 10, default: 3}
  ratio: {type: float, description: A share between 0 and 1., minimum: 0, maximum: 1}
  flag: {type: bool, default: false}
  colour: {type: enum, choices: [red, green, 20]}
  group: {type: enum, choices_from: people.group, required: false}
  since: {type: date, required: false}
  column: {type: column, entity: people, default: age}
  numbers: {type: columns, entity: people, column_types: [int, float], max_items: 2, required: false}
  anything: {type: columns, entity: people, required: false}
  who: {type: cohort, entity: people, default: ""}
steps:
  - id: rows
    query: people
    with: {where: $who}
"""

REQUIRED = {"ratio": 0.5, "colour": "red"}


def write_protocol(folder, text: str, file: str | None = None):
    target = folder / "protocols" / (file or "protocol.yaml")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text))
    return target


@pytest.fixture
def product(tiny_dir) -> Product:
    write_protocol(tiny_dir, EVERY_TYPE, "every_type.yaml")
    product = Product.open(tiny_dir)
    product.build()
    return product


def bind(product: Product, **values):
    return product.bind("every_type", {**REQUIRED, **values})


def test_defaults_fill_in_and_optional_parameters_bind_to_none(product):
    bound = product.bind("every_type", REQUIRED)
    assert bound["label"] == "hello" and bound["count"] == 3 and bound["flag"] is False
    assert bound["column"] == "age"
    assert bound["group"] is None and bound["since"] is None and bound["numbers"] is None
    assert isinstance(bound["who"], Cohort) and bound["who"].tree == {"and": []}


@pytest.mark.parametrize(
    ("name", "value", "bound"),
    [
        ("label", "any text", "any text"),
        ("label", "", ""),
        ("count", 7, 7),
        ("count", "7", 7),  # text from a command line
        ("count", 7.0, 7),
        ("count", 1, 1),
        ("count", 10, 10),
        ("ratio", 0, 0.0),
        ("ratio", "0.25", 0.25),
        ("ratio", 1, 1.0),
        ("flag", True, True),
        ("flag", "true", True),
        ("flag", "No", False),
        ("flag", "1", True),
        ("colour", "green", "green"),
        ("colour", 20, 20),
        ("colour", "20", 20),  # text matching a non-text choice gives the choice itself
        ("group", "treated", "treated"),
        ("since", "2024-02-29", "2024-02-29"),
        ("since", dt.date(2024, 3, 1), "2024-03-01"),
        ("since", dt.datetime(2024, 3, 1), "2024-03-01"),  # midnight: just a date
        ("column", "name", "name"),
        ("numbers", ["age", "age_months"], ["age", "age_months"]),
        ("numbers", "age, id", ["age", "id"]),
        ("numbers", ("id",), ["id"]),
        ("anything", ["name", "enrolled", "group", "smoker"], ["name", "enrolled", "group", "smoker"]),
    ],
)
def test_good_values_bind_to_their_canonical_form(product, name, value, bound):
    result = bind(product, **{name: value})[name]
    assert result == bound
    assert type(result) is type(bound)


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("label", 5, "expected text"),
        ("label", ["a"], "expected text"),
        ("count", "seven", "expected an integer"),
        ("count", 2.5, "expected an integer"),
        ("count", True, "expected an integer"),
        ("count", 0, "expected an integer between 1 and 10"),
        ("count", "11", "expected an integer between 1 and 10"),
        ("count", [3], "expected an integer"),
        ("ratio", "half", "expected a number"),
        ("ratio", 1.5, "expected a number between 0 and 1"),
        ("ratio", -0.1, "expected a number between 0 and 1"),
        ("ratio", False, "expected a number"),
        ("flag", "maybe", "expected true or false"),
        ("flag", 2, "expected true or false"),
        ("colour", "blue", "expected one of 'red', 'green', 20"),
        ("colour", "Red", "expected one of 'red', 'green', 20"),
        ("group", "placebo", "expected one of 'control', 'treated'"),
        ("since", "2024-02-30", "expected a date written YYYY-MM-DD"),
        ("since", "yesterday", "expected a date written YYYY-MM-DD"),
        ("since", 20240105, "expected a date written YYYY-MM-DD"),
        ("since", dt.datetime(2024, 3, 1, 10, 30), "expected a date written YYYY-MM-DD"),
        ("column", "agee", "expected a column of people: id, name, age, group, smoker, enrolled, age_months"),
        ("numbers", ["name"], "expected columns of people: id, age, age_months"),
        ("numbers", ["age", "weight"], "expected columns of people: id, age, age_months"),
        ("numbers", ["age", "age"], "expected each column at most once"),
        ("numbers", ["id", "age", "age_months"], "expected between 0 and 2 columns"),
        ("numbers", 5, "expected a list of columns of people"),
    ],
)
def test_bad_values_name_the_parameter_the_value_and_what_is_allowed(product, name, value, allowed):
    with pytest.raises(ParameterError) as caught:
        bind(product, **{name: value})
    error = caught.value
    assert error.message.startswith(f"Parameter {name!r}: ")
    assert allowed in error.message
    assert error.details["parameter"] == name
    assert error.details["allowed"] in error.message
    assert error.code == "invalid_parameter" and error.http_status == 422
    if name != "numbers" or value != ["age", "weight"]:
        assert repr(value) in error.message
    else:  # only the unknown columns are named
        assert "['weight']" in error.message and error.details["value"] == ["weight"]


def test_an_enum_names_its_choices_in_the_details(product):
    with pytest.raises(ParameterError) as caught:
        bind(product, colour="blue")
    assert caught.value.details["choices"] == ["red", "green", 20]
    with pytest.raises(ParameterError) as caught:
        bind(product, column="nope")
    assert caught.value.details["choices"] == ["id", "name", "age", "group", "smoker", "enrolled", "age_months"]


def test_choices_from_follow_the_snapshot_data(product, tiny_dir):
    # Only 'control' people remain: 'treated' is no longer a value of the column.
    (tiny_dir / "data" / "people.csv").write_text("id,name,age,grp,smoker,enrolled\n1,Ada,34,1,0,2024-01-05\n3,Cy,29,1,0,2024-03-20\n")
    (tiny_dir / "data" / "visits.csv").write_text("person_id,week,weight\n1,0,70.5\n3,0,61.2\n")
    product.build()
    with pytest.raises(ParameterError, match="expected one of 'control'"):
        bind(product, group="treated")
    assert bind(product, group="control")["group"] == "control"
    # the old snapshot still has both values
    first = product.snapshots()[-1].id
    assert product.bind("every_type", {**REQUIRED, "group": "treated"}, snapshot=first)["group"] == "treated"


def test_cohort_parameters_accept_text_trees_and_refuse_bad_columns(product):
    text = bind(product, who="age >= 40 and group == 'treated'")["who"]
    tree = bind(product, who={"and": [{"column": "age", "op": ">=", "value": 40},
                                      {"column": "group", "op": "==", "value": 2}]})["who"]
    assert text.tree == tree.tree and text.entity == "people" and text.text == "age >= 40 and group == 'treated'"
    with pytest.raises(ColumnNotFoundError) as caught:
        bind(product, who="agee >= 40")
    assert caught.value.message.startswith("Parameter 'who': people has no column 'agee'; columns: id, name, age")
    assert caught.value.details["parameter"] == "who"
    with pytest.raises(ParameterError, match=r"^Parameter 'who': 'old' is not a valid value for age"):
        bind(product, who="age >= 'old'")
    with pytest.raises(ParameterError, match=r"^Parameter 'who': a cohort is a text expression"):
        bind(product, who=42)


def test_unknown_and_missing_parameters_are_refused_before_any_work(product):
    with pytest.raises(ParameterError) as caught:
        product.bind("every_type", {**REQUIRED, "colr": "red"})
    assert "every_type@1.0.0 has no parameter 'colr'" in caught.value.message
    assert caught.value.details["allowed"][:3] == ["label", "count", "ratio"]
    with pytest.raises(ParameterError) as caught:
        product.bind("every_type", {"colour": "red"})
    assert caught.value.message == "every_type@1.0.0 needs parameter 'ratio' (float: A share between 0 and 1.)"
    with pytest.raises(ParameterError, match="needs parameter 'colour'"):
        product.run("every_type", {"ratio": 0.5})
    assert product.history.list() == []


def test_bound_parameters_are_recorded_as_json_in_provenance(product):
    result = product.run("every_type", {**REQUIRED, "count": "4", "since": dt.date(2024, 1, 1), "who": "age > 40"})
    parameters = result.provenance["parameters"]
    assert parameters["count"] == 4 and parameters["since"] == "2024-01-01" and parameters["ratio"] == 0.5
    assert parameters["who"] == {"entity": "people", "tree": {"column": "age", "op": ">", "value": 40}, "text": "age > 40"}
    assert result.tables["rows"]["id"].sort().to_list() == [2, 4, 5]


# -- JSON Schema ---------------------------------------------------------------------------


def schema_validator(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_the_parameter_schema_is_valid_json_schema_with_titles_defaults_and_choices(product):
    schema = product.parameter_schema("every_type")
    validator = schema_validator(schema)
    assert schema["title"] == "Every parameter type" and schema["additionalProperties"] is False
    assert schema["required"] == ["ratio", "colour"]
    props = schema["properties"]
    assert props["label"] == {"title": "Label", "x-dataproduct-type": "string", "default": "hello", "type": "string"}
    assert props["count"]["type"] == "integer" and (props["count"]["minimum"], props["count"]["maximum"]) == (1, 10)
    assert props["ratio"]["title"] == "ratio" and props["ratio"]["description"] == "A share between 0 and 1."
    assert props["flag"] == {"title": "flag", "x-dataproduct-type": "bool", "default": False, "type": "boolean"}
    assert props["colour"]["enum"] == ["red", "green", 20]
    assert props["group"]["enum"] == ["control", "treated"]  # distinct values of the column
    assert props["since"]["format"] == "date"
    assert props["column"]["enum"] == ["id", "name", "age", "group", "smoker", "enrolled", "age_months"]
    assert props["numbers"]["items"]["enum"] == ["id", "age", "age_months"] and props["numbers"]["maxItems"] == 2
    assert props["who"]["x-entity"] == "people" and "age" in props["who"]["x-columns"]

    good = {"label": "x", "count": 10, "ratio": 0.1, "flag": True, "colour": 20, "group": "control",
            "since": "2024-01-31", "column": "smoker", "numbers": ["age"], "anything": ["name", "id"],
            "who": "age >= 40"}
    validator.validate(good)
    for who in ({"and": [{"column": "age", "op": ">=", "value": 40}, {"not": {"column": "smoker", "op": "is null"}}]},
                {"artifact": "older"}):
        validator.validate({**good, "who": who})
    for bad in ({"count": 11}, {"count": 2.5}, {"ratio": "0.5"}, {"flag": "yes"}, {"colour": "blue"},
                {"group": "placebo"}, {"since": "2024-02-30"}, {"column": "agee"}, {"numbers": ["name"]},
                {"numbers": ["age", "age"]}, {"numbers": ["id", "age", "age_months"]}, {"extra": 1},
                {"who": {"column": "age", "op": "~", "value": 1}}, {"who": {"artifact": "x", "more": 1}}):
        assert not validator.is_valid({**good, **bad}), bad
    assert not validator.is_valid({"colour": "red"})  # ratio is required


def test_schema_and_binding_agree(product):
    """What the schema accepts, binding accepts; what it refuses, binding refuses."""
    validator = schema_validator(product.parameter_schema("every_type"))
    cases = [("count", 5), ("count", 0), ("ratio", 0.3), ("ratio", 3), ("colour", "green"), ("colour", "x"),
             ("group", "treated"), ("group", "x"), ("since", "2023-12-31"), ("since", "2023-13-01"),
             ("column", "age"), ("column", "x"), ("numbers", ["id"]), ("numbers", ["name"])]
    for name, value in cases:
        try:
            bind(product, **{name: value})
            bound_ok = True
        except ParameterError:
            bound_ok = False
        assert validator.is_valid({**REQUIRED, name: value}) == bound_ok, (name, value)


def test_every_example_protocol_publishes_a_schema_its_defaults_satisfy(actg_product):
    actg_product.build()
    for loaded in actg_product.protocols().latest():
        schema = actg_product.parameter_schema(loaded.spec.key)
        validator = schema_validator(schema)
        defaults = {k: p["default"] for k, p in schema["properties"].items() if "default" in p}
        validator.validate(defaults)
        assert set(schema["properties"]) == set(loaded.spec.parameters)
        for name, prop in schema["properties"].items():
            assert prop["title"], (loaded.spec.key, name)
    compare = actg_product.parameter_schema("compare_arms")
    assert compare["properties"]["cohort_a"]["default"] == "arms == 'ZDV'"
    assert compare["properties"]["cohort_a"]["title"] == "Cohort A"
    assert "pidnum" in compare["properties"]["variables"]["items"]["enum"]
    cd4 = actg_product.parameter_schema("cd4_response")
    assert cd4["properties"]["week"]["enum"] == [20, 96] and cd4["properties"]["threshold"]["maximum"] == 1000


@pytest.mark.parametrize(
    ("parameter", "problem"),
    [
        ("{type: enum}", "an enum parameter needs exactly one of 'choices' or 'choices_from'"),
        ("{type: enum, choices: [a], choices_from: people.group}", "exactly one of 'choices' or 'choices_from'"),
        ("{type: int, choices: [1, 2]}", "'choices' and 'choices_from' are only for enum parameters"),
        ("{type: column}", "a column parameter needs 'entity'"),
        ("{type: cohort}", "a cohort parameter needs 'entity'"),
        ("{type: int, column_types: [int]}", "'column_types' is only for column and columns parameters"),
        ("{type: column, entity: nobody}", "entity 'nobody' is not in the model (people, visits)"),
        ("{type: enum, choices_from: people.colour}", "choices_from 'people.colour' is not a column of the model"),
        ("{type: integer}", "expected one of"),
        ("{type: columns, entity: people, column_types: [text]}", "expected one of"),
    ],
)
def test_badly_declared_parameters_make_the_protocol_a_problem(tiny_dir, parameter, problem):
    file = write_protocol(tiny_dir, f"""\
        name: broken
        version: 1.0.0
        parameters:
          p: {parameter}
        steps:
          - id: rows
            query: people
        """, "broken.yaml")
    product = Product.open(tiny_dir)
    catalog = product.protocols()
    assert catalog.names() == []
    assert problem in catalog.problems[str(file)]
    assert "parameters.p" in catalog.problems[str(file)]
    with pytest.raises(ManifestError, match="broken.yaml"):
        product.protocol("broken")


# -- pick-lists over data: bounded, computed once per snapshot ----------------------------------

BY_NAME = """\
name: by_name
version: 1.0.0
parameters:
  who: {type: enum, choices_from: people.name}
steps:
  - id: rows
    query: people
"""


@pytest.fixture
def named(tiny_dir, monkeypatch) -> Product:
    """A product whose pick-list (5 names) is longer than the cap (set to 3 here)."""
    from jupyter_dataproduct.core import parameters

    monkeypatch.setattr(parameters, "MAX_CHOICES", 3)
    write_protocol(tiny_dir, BY_NAME, "by_name.yaml")
    product = Product.open(tiny_dir)
    product.build()
    return product


def test_a_long_pick_list_is_capped_in_the_schema(named):
    schema = named.parameter_schema("by_name")["properties"]["who"]
    assert "enum" not in schema and schema["examples"] == ["Ada", "Bo", "Cy"]
    assert schema["x-dataproduct-choices-truncated"] is True and schema["type"] == "string"


def test_values_beyond_the_cap_still_bind_and_others_are_refused(named):
    assert named.bind("by_name", {"who": "Ed"})["who"] == "Ed"
    with pytest.raises(ParameterError) as caught:
        named.bind("by_name", {"who": "Zed"})
    assert caught.value.details["parameter"] == "who" and "'Zed'" in caught.value.message
    assert len(caught.value.details["choices"]) <= 3


def test_pick_lists_are_computed_once_per_snapshot(named):
    first = named.parameter_schema("by_name")["properties"]["who"]["examples"]
    # Snapshots never change: a second schema does not read the data again.
    parquet = named.snapshot().entity_file("people")
    moved = parquet.with_name("moved-away")
    parquet.rename(moved)
    try:
        assert named.parameter_schema("by_name")["properties"]["who"]["examples"] == first
    finally:
        moved.rename(parquet)
