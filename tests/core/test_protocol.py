"""Protocols load from YAML, live side by side in several versions, report broken files by
name, and hold their outputs to the contract they declare."""

from __future__ import annotations

import textwrap

import pytest

from jupyter_dataproduct.core.errors import ManifestError, ProtocolError, ProtocolNotFoundError
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.protocol import references_in, version_key


def write_protocol(folder, text: str, file: str):
    target = folder / "protocols" / file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text))
    return target


def versioned(version: str, title: str, extra_column: str = "") -> str:
    columns = "[id, age" + (f", {extra_column}" if extra_column else "") + "]"
    return f"""\
        name: people_list
        version: {version}
        title: {title}
        parameters:
          who: {{type: cohort, entity: people, default: ""}}
        steps:
          - id: people
            query: people
            with: {{where: $who, columns: {columns}, order_by: [id]}}
        outputs:
          people: {{type: table, columns: {{id: int, age: int}}}}
        """


@pytest.fixture
def product(tiny_dir) -> Product:
    write_protocol(tiny_dir, versioned("1.2.0", "Old"), "people_list.yaml")
    write_protocol(tiny_dir, versioned("1.10.0", "Newest", "name"), "people_list@1.10.0.yaml")
    write_protocol(tiny_dir, versioned("1.10.0-rc1", "Candidate"), "people_list_rc.yml")
    product = Product.open(tiny_dir)
    product.build()
    return product


def test_a_protocol_loads_from_yaml(product):
    loaded = product.protocol("people_list@1.2.0")
    spec = loaded.spec
    assert loaded.file.name == "people_list.yaml"
    assert spec.key == "people_list@1.2.0" and spec.title == "Old"
    assert spec.parameters["who"].type == "cohort" and spec.parameters["who"].entity == "people"
    assert [s.id for s in spec.steps] == ["people"] and spec.steps[0].callable_name == "frame"
    assert spec.steps[0].with_["where"] == "$who"
    assert spec.outputs["people"].columns == {"id": "int", "age": "int"}


def test_versions_live_side_by_side_and_the_newest_is_the_default(product):
    catalog = product.protocols()
    assert catalog.problems == {}
    assert catalog.names() == ["people_list"]
    assert [p.spec.version for p in catalog.versions["people_list"]] == ["1.10.0", "1.10.0-rc1", "1.2.0"]
    assert product.protocol("people_list").spec.version == "1.10.0"  # numeric, not text, order
    newest = product.run("people_list", {"who": "age > 40"})
    old = product.run("people_list@1.2.0", {"who": "age > 40"})
    candidate = product.run("people_list@1.10.0-rc1")
    assert newest.tables["people"].columns == ["id", "age", "name"]
    assert old.tables["people"].columns == ["id", "age"]
    assert old.tables["people"]["id"].to_list() == [2, 4, 5] and candidate.tables["people"].height == 5
    assert (newest.provenance["protocol_version"], old.provenance["protocol_version"]) == ("1.10.0", "1.2.0")
    assert candidate.provenance["protocol_version"] == "1.10.0-rc1"


def test_version_order():
    assert version_key("1.0.0-rc1") < version_key("1.0.0") < version_key("1.0.1") < version_key("1.2.0")
    assert version_key("1.2.0") < version_key("1.10.0") < version_key("2.0.0+build.5")
    assert sorted(["0.9.0", "0.10.0", "0.1.0"], key=version_key) == ["0.1.0", "0.9.0", "0.10.0"]


def test_unknown_protocols_and_versions_list_what_exists(product):
    with pytest.raises(ProtocolNotFoundError) as caught:
        product.protocol("people_lst")
    assert caught.value.message == "No protocol 'people_lst'; protocols: people_list"
    assert caught.value.details["allowed"] == ["people_list"] and caught.value.http_status == 404
    with pytest.raises(ProtocolNotFoundError) as caught:
        product.run("people_list@9.9.9")
    assert caught.value.message == "Protocol 'people_list' has no version 9.9.9; versions: 1.10.0, 1.10.0-rc1, 1.2.0"
    with pytest.raises(ProtocolNotFoundError):
        product.protocol("")
    assert product.history.list() == []


def test_a_product_without_protocols_has_none(tiny_product):
    catalog = tiny_product.protocols()
    assert catalog.names() == [] and catalog.problems == {}
    with pytest.raises(ProtocolNotFoundError, match="protocols: none"):
        tiny_product.protocol("anything")


def test_new_and_changed_protocol_files_are_picked_up(product, tiny_dir):
    assert product.protocol("people_list").spec.title == "Newest"
    write_protocol(tiny_dir, versioned("1.10.0", "Renamed in place", "name"), "people_list@1.10.0.yaml")
    assert product.protocol("people_list").spec.title == "Renamed in place"
    write_protocol(tiny_dir, versioned("2.0.0", "Two"), "people_list_2.yaml")
    assert product.protocol("people_list").spec.version == "2.0.0"
    (tiny_dir / "protocols" / "people_list_2.yaml").unlink()
    assert product.protocol("people_list").spec.version == "1.10.0"


BROKEN = {
    "bad_yaml.yaml": ("name: bad_yaml\nsteps: [\n", "line 3 is not valid YAML"),
    "a_list.yaml": ("- name: a_list\n", "expected a mapping of keys at the top level, found list"),
    "no_steps.yaml": ("name: no_steps\nversion: 1.0.0\n", "steps: required key is missing"),
    "bad_version.yaml": (
        "name: bad_version\nversion: one\nsteps: [{id: s, query: people}]\n",
        "version: 'one' does not match the required pattern",
    ),
    "typo.yaml": (
        "name: typo\nversion: 1.0.0\nsteps: [{id: s, query: people}]\noutptus: {}\n",
        "outptus: unknown key",
    ),
    "two_kinds.yaml": (
        "name: two_kinds\nversion: 1.0.0\nsteps: [{id: s, query: people, algorithm: summary}]\n",
        "a step has exactly one of 'algorithm', 'query' or 'visualisation'",
    ),
    "unknown_algorithm.yaml": (
        "name: unknown_algorithm\nversion: 1.0.0\nsteps: [{id: s, algorithm: regress}]\n",
        "steps.0: 'regress' is not a built-in algorithm or a plugin; available: ",
    ),
    "bad_reference.yaml": (
        "name: bad_reference\nversion: 1.0.0\nparameters: {n: {type: int, default: 1}}\n"
        "steps: [{id: s, query: people, with: {limit: $m}}]\n",
        "step 's', argument 'limit': $m is neither a parameter nor an earlier step; known: n",
    ),
    "later_step.yaml": (
        "name: later_step\nversion: 1.0.0\nsteps:\n  - {id: a, query: people, with: {limit: $b}}\n"
        "  - {id: b, query: people}\n",
        "$b is neither a parameter nor an earlier step",
    ),
    "clash.yaml": (
        "name: clash\nversion: 1.0.0\nparameters: {s: {type: int, default: 1}}\nsteps: [{id: s, query: people}]\n",
        "step id 's' is already used by a parameter or an earlier step",
    ),
    "bad_output.yaml": (
        "name: bad_output\nversion: 1.0.0\nsteps: [{id: s, query: people}]\noutputs: {s: {type: frame}}\n",
        "outputs.s.type: expected one of",
    ),
}


def test_bad_protocol_files_are_reported_by_file_and_the_good_ones_still_load(product, tiny_dir):
    files = {name: write_protocol(tiny_dir, text, name) for name, (text, _) in BROKEN.items()}
    catalog = product.protocols()
    assert catalog.names() == ["people_list"]
    assert set(catalog.problems) == {str(f) for f in files.values()}
    for name, (_, problem) in BROKEN.items():
        message = catalog.problems[str(files[name])]
        assert message.startswith(str(files[name])), message
        assert problem in message, (name, message)
    assert product.run("people_list").tables["people"].height == 5
    # asking for a broken protocol by name gives its problem, not "no such protocol"
    with pytest.raises(ManifestError) as caught:
        product.protocol("unknown_algorithm")
    assert caught.value.details["file"] == str(files["unknown_algorithm.yaml"])
    assert "'regress' is not a built-in algorithm" in caught.value.message


def test_several_problems_of_one_file_are_listed_together(product, tiny_dir):
    file = write_protocol(tiny_dir, """\
        name: many
        version: 1.0.0
        parameters:
          a: {type: column, entity: nobody}
          b: {type: enum, choices_from: people.nothing}
        steps:
          - {id: s, algorithm: nope}
        """, "many.yaml")
    message = product.protocols().problems[str(file)]
    assert message.startswith(f"{file}: 3 problem(s):")
    assert "parameters.a: parameter 'a': entity 'nobody'" in message
    assert "parameters.b: parameter 'b': choices_from 'people.nothing'" in message
    assert "steps.0: 'nope' is not a built-in" in message


def test_the_same_name_and_version_in_two_files_is_a_problem(product, tiny_dir):
    copy = write_protocol(tiny_dir, versioned("1.2.0", "Copy"), "zz_copy.yaml")
    catalog = product.protocols()
    assert catalog.problems == {str(copy): f"{copy}: people_list@1.2.0 is also defined in people_list.yaml"}
    assert product.protocol("people_list@1.2.0").spec.title == "Old"


def test_references_in_step_arguments():
    assert references_in("$cohort") == ["cohort"]
    assert references_in("$km.curve") == ["km.curve"]
    assert references_in(["$a", "b", {"x": "$c"}, 3]) == ["a", "c"]
    assert references_in("$$literal") == [] and references_in("costs $5") == [] and references_in("$a b") == []


def test_the_reference_walk_visits_a_shared_value_once():
    value: list = ["$a", "plain"]
    for _ in range(64):  # 2**64 paths through 65 distinct lists: walked path by path, it never ends
        value = [value, value]
    assert references_in(value) == ["a"]


# -- outputs contracts -------------------------------------------------------------------------


def contract(outputs: str) -> str:
    lines = "".join(f"  {line}\n" for line in textwrap.dedent(outputs).splitlines())
    return (
        "name: contract\nversion: 1.0.0\nsteps:\n"
        "  - {id: people, query: people, with: {columns: [id, name, age, smoker, enrolled, group]}}\n"
        "outputs:\n" + lines
    )


def test_outputs_that_keep_their_contract_pass(tiny_dir, tiny_product):
    write_protocol(tiny_dir, contract("""\
        people: {type: table, columns: {id: int, name: string, age: number, smoker: bool, enrolled: date, group: string}}
        """), "contract.yaml")
    tiny_product.build()
    result = tiny_product.run("contract")
    assert list(result.tables) == ["people"] and result.tables["people"].height == 5


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ("people: {type: table, columns: {id: int, weight: float}}",
         "contract@1.0.0: output 'people' breaks its contract: column 'weight' is missing "
         "(it has id, name, age, smoker, enrolled, group)"),
        ("people: {type: table, columns: {name: int}}",
         "contract@1.0.0: output 'people' breaks its contract: column 'name' should be int, is String"),
        ("people: {type: table, columns: {age: float, enrolled: string}}",
         "column 'enrolled' should be string, is Date"),
        ("people: {type: table, columns: {smoker: int}}", "column 'smoker' should be int, is Boolean"),
        ("people: {type: table, columns: {age: date}}", "column 'age' should be date, is Int64"),
        ("people: {type: table}\nchart: {type: chart}",
         "contract@1.0.0 promises output 'chart', but no step produced it; produced: people"),
    ],
)
def test_outputs_that_break_their_contract_are_refused(tiny_dir, tiny_product, outputs, message):
    write_protocol(tiny_dir, contract(outputs), "contract.yaml")
    tiny_product.build()
    with pytest.raises(ProtocolError) as caught:
        tiny_product.run("contract")
    assert message in caught.value.message
    assert caught.value.code == "protocol_error"
    assert tiny_product.history.list() == []  # a broken result is not recorded


def test_without_declared_outputs_every_step_output_is_returned(tiny_dir, tiny_product):
    write_protocol(tiny_dir, """\
        name: open_outputs
        version: 1.0.0
        steps:
          - {id: everyone, query: people}
          - {id: stats, algorithm: summary, with: {entity: people, columns: [age, group]}}
        """, "open.yaml")
    tiny_product.build()
    result = tiny_product.run("open_outputs")
    assert list(result.tables) == ["everyone", "numeric", "categorical"]


def test_outputs_can_name_a_steps_output_by_path(tiny_dir, tiny_product):
    write_protocol(tiny_dir, """\
        name: by_path
        version: 1.0.0
        steps:
          - {id: stats, algorithm: summary, with: {entity: people, columns: [age]}}
        outputs:
          stats.numeric: {type: table, columns: {variable: string, mean: float}}
        """, "by_path.yaml")
    tiny_product.build()
    result = tiny_product.run("by_path")
    assert list(result.tables) == ["numeric"]
    assert result.tables["numeric"]["mean"].to_list() == [pytest.approx((34 + 51 + 29 + 62 + 45) / 5)]


# -- one bad file is that file's problem, whatever is wrong with it ------------------------------

HOSTILE = {
    "not_utf8.yaml": (b"name: not_utf8\nversion: 1.0.0\ntitle: \"\xff\xfe\"\nsteps: [{id: s, query: people}]\n",
                      "is not UTF-8 text"),
    "huge_version.yaml": (("name: huge_version\nversion: 1.0." + "9" * 5000 + "\nsteps: [{id: s, query: people}]\n").encode(),
                          "version: "),
    "huge_number.yaml": (("name: huge_number\nversion: 1.0.0\nparameters: {n: {type: int, default: " + "9" * 5000
                          + "}}\nsteps: [{id: s, query: people}]\n").encode(), "too many digits"),
    "deep.yaml": (("name: deep\nversion: 1.0.0\ntitle: " + "[" * 5000 + "]" * 5000 + "\n").encode(), "nested"),
}


def test_a_hostile_protocol_file_is_reported_as_that_files_problem(product, tiny_dir):
    files = {}
    for name, (content, _) in HOSTILE.items():
        files[name] = tiny_dir / "protocols" / name
        files[name].write_bytes(content)
    catalog = product.protocols()
    assert catalog.names() == ["people_list"]
    for name, (_, problem) in HOSTILE.items():
        message = catalog.problems[str(files[name])]
        assert message.startswith(str(files[name])) and problem in message, (name, message)
        assert len(message) < 1000, "a problem names what is wrong, it does not echo the file"
    assert product.run("people_list").tables["people"].height == 5
    with pytest.raises(ManifestError, match="is not UTF-8 text"):
        product.protocol("not_utf8")


# -- cohorts written as text inside a step ------------------------------------------------------

COUNT_PLUGIN = '''\
import polars as pl
from jupyter_dataproduct import plugin


@plugin
def count_rows(people: pl.LazyFrame) -> int:
    return people.select(pl.len()).collect().item()
'''


def text_cohort_protocol(name: str, with_: str) -> str:
    return f"name: {name}\nversion: 1.0.0\nsteps:\n  - id: step_one\n    algorithm: compare_cohorts\n    with: {with_}\n"


def test_a_cohort_written_as_text_in_a_step_is_a_cohort_of_the_steps_entity(tiny_dir):
    write_protocol(tiny_dir, text_cohort_protocol(
        "by_age", "{entity: people, cohort_a: 'age >= 40', cohort_b: 'age < 40', variables: [smoker]}"), "by_age.yaml")
    write_protocol(tiny_dir, "name: counted\nversion: 1.0.0\nsteps:\n  - {id: n, algorithm: count_rows, "
                             "with: {people: 'age >= 40'}}\n", "counted.yaml")
    (tiny_dir / "plugins").mkdir()
    (tiny_dir / "plugins" / "count_rows.py").write_text(COUNT_PLUGIN)
    product = Product.open(tiny_dir)
    product.build()
    assert product.protocols().problems == {}
    table = product.run("by_age").tables["step_one"]
    assert table["variable"].to_list() == ["smoker"]
    assert product.run("counted").values["n"] == 3


@pytest.mark.parametrize("with_, problem", [
    ("{cohort_a: 'age >= 40', cohort_b: 'age < 40'}",
     "steps.0 (step_one), argument 'cohort_a': a cohort written as text needs the step's entity; "
     "add entity: <name> to with (entities: people, visits)"),
    ("{entity: people, cohort_a: 'height > 2', cohort_b: 'age < 40'}",
     "steps.0 (step_one), argument 'cohort_a': Parameter 'cohort_a': "),
])
def test_a_text_cohort_that_cannot_be_bound_is_refused_at_load(tiny_dir, with_, problem):
    file = write_protocol(tiny_dir, text_cohort_protocol("text_cohort", with_), "text_cohort.yaml")
    catalog = Product.open(tiny_dir).protocols()
    message = catalog.problems[str(file)]
    assert message.startswith(str(file)) and problem in message, message
