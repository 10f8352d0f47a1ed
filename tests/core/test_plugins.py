"""Plugins: Python functions in plugins/ (or a notebook cell) that protocol steps call.
Failures name the plugin, its file and line; the snapshot is never touched."""

from __future__ import annotations


import polars as pl
import pytest
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core.errors import InvalidNameError, ParameterError, PluginError
from jupyter_dataproduct.core.product import Product
from tests.files import write_file

BOOM = '''\
import polars as pl
from jupyter_dataproduct import plugin


@plugin(title="Boom")
def boom(people: pl.LazyFrame, limit: int = 3):
    """Raises for a negative limit."""
    rows = people.collect()
    return rows.head(limit) if limit >= 0 else _check(limit)


def _check(limit):
    raise ValueError(f"limit must not be negative, got {limit}")
'''

SHAPES = '''\
import numpy as np
import pandas as pd
import polars as pl
from jupyter_dataproduct import plugin


@plugin
def shapes(kind: str):
    if kind == "list":
        return [1, 2]
    if kind == "set_in_dict":
        return {"good": 1, "bad": {1, 2}}
    if kind == "int_keys":
        return {1: 2}
    if kind == "array":
        return np.arange(3)
    if kind == "object":
        return object()
    if kind == "pandas":
        return pd.DataFrame({"a": [1, 2]})
    if kind == "numpy_scalar":
        return np.float64(2.5)
    if kind == "lazy":
        return pl.LazyFrame({"a": [1]})
    if kind == "chart":
        return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "bar"}
    if kind == "mixed":
        return {"table": pl.DataFrame({"a": [1]}), "n": 3, "label": "x", "nothing": None}
'''

KINDS = '''\
import polars as pl
from jupyter_dataproduct import plugin
from jupyter_dataproduct.core.cohort import Cohort


@plugin
def kinds(ctx, lazy: pl.LazyFrame, eager: pl.DataFrame, itself: Cohort, maybe: Cohort | None = None):
    return {
        "lazy": type(lazy).__name__, "eager": type(eager).__name__, "itself": type(itself).__name__,
        "maybe": type(maybe).__name__, "eager_rows": eager.height, "entity": itself.entity,
        "snapshot": ctx.snapshot.id, "all_people": ctx.scan("people").collect().height,
        "cohort_rows": ctx.cohort_frame(itself).collect().height,
    }
'''

PROTOCOLS = {
    "boom.yaml": """\
        name: boom
        version: 1.0.0
        parameters:
          who: {type: cohort, entity: people, default: ""}
          limit: {type: int, default: 3}
        steps:
          - {id: boom, algorithm: boom, with: {people: $who, limit: $limit}}
        """,
    "kinds.yaml": """\
        name: kinds
        version: 1.0.0
        parameters:
          a: {type: cohort, entity: people, default: "age > 40"}
          b: {type: cohort, entity: people, default: "smoker == true"}
        steps:
          - {id: k, algorithm: kinds, with: {lazy: $a, eager: $b, itself: $a, maybe: $b}}
        """,
}


@pytest.fixture
def product(tiny_dir) -> Product:
    write_file(tiny_dir, "plugins/boom.py", BOOM)
    write_file(tiny_dir, "plugins/shapes.py", SHAPES)
    write_file(tiny_dir, "plugins/kinds.py", KINDS)
    for name, text in PROTOCOLS.items():
        write_file(tiny_dir, f"protocols/{name}", text)
    product = Product.open(tiny_dir)
    product.build()
    return product


def test_file_plugins_are_found_with_their_file_and_line(product, tiny_dir):
    plugins = product.plugins()
    boom = plugins["boom"]
    assert boom.title == "Boom" and boom.description == "Raises for a negative limit."
    assert boom.file == str(tiny_dir / "plugins" / "boom.py") and boom.line == 5  # the decorator line
    assert boom.parameters == ["people", "limit"] and not boom.builtin
    assert plugins["kinds"].parameters == ["lazy", "eager", "itself", "maybe"]  # ctx is not a parameter
    assert plugins["summary"].builtin and plugins["summary"].location == "built-in"
    assert product.repository.plugin_problems(product.manifest) == {}


def test_a_plugin_that_raises_is_reported_with_plugin_file_and_line(product, tiny_dir):
    assert product.run("boom").tables["boom"].height == 3
    with pytest.raises(PluginError) as caught:
        product.run("boom", {"limit": -1})
    error = caught.value
    assert error.message == "Plugin 'boom' raised (boom.py, line 13): ValueError: limit must not be negative, got -1"
    assert error.details == {"file": str(tiny_dir / "plugins" / "boom.py"), "line": 13, "exception": "ValueError",
                             "step": "boom"}
    assert error.code == "plugin_error"
    # run directly, without a protocol
    with pytest.raises(PluginError, match=r"Plugin 'boom' raised \(boom.py, line 13\): ValueError"):
        product.run_plugin("boom", {"limit": -2})
    assert product.history.list()[0].provenance["parameters"]["limit"] == 3  # failures are not recorded
    assert len(product.history.list()) == 1
    snapshot, problems = product.verify()
    assert problems == [] and snapshot.rows() == {"people": 5, "visits": 8}


@pytest.mark.parametrize(
    ("kind", "returned", "output"),
    [("list", "list", "shapes"), ("set_in_dict", "set", "bad"), ("int_keys", "int", 1),
     ("array", "ndarray", "shapes"), ("object", "object", "shapes")],
)
def test_a_plugin_returning_the_wrong_shape_is_a_plugin_error(product, tiny_dir, kind, returned, output):
    with pytest.raises(PluginError) as caught:
        product.run_plugin("shapes", {"kind": kind})
    error = caught.value
    file = tiny_dir / "plugins" / "shapes.py"
    assert error.message.startswith(f"Plugin 'shapes' ({file}:7) returned {returned} for output {output!r}; ")
    assert "a polars or pandas DataFrame, a number, text, a Vega-Lite chart" in error.message
    assert error.details["plugin"] == "shapes" and error.details["file"] == str(file) and error.details["line"] == 7
    assert error.details["output"] == str(output)
    assert product.verify()[1] == []


def test_what_a_plugin_may_return(product):
    pandas = product.run_plugin("shapes", {"kind": "pandas"})
    assert_frame_equal(pandas.tables["shapes"], pl.DataFrame({"a": [1, 2]}))
    assert product.run_plugin("shapes", {"kind": "numpy_scalar"}).values == {"shapes": 2.5}
    assert product.run_plugin("shapes", {"kind": "lazy"}).tables["shapes"].equals(pl.DataFrame({"a": [1]}))
    assert product.run_plugin("shapes", {"kind": "chart"}).charts["shapes"]["mark"] == "bar"
    mixed = product.run_plugin("shapes", {"kind": "mixed"})
    assert list(mixed.tables) == ["table"] and mixed.values == {"n": 3, "label": "x", "nothing": None}


def test_cohort_arguments_arrive_as_the_type_hint_asks(product):
    result = product.run("kinds")
    values = result.values
    assert values["lazy"] == "LazyFrame" and values["eager"] == "DataFrame"
    assert values["itself"] == "Cohort" and values["maybe"] == "Cohort" and values["entity"] == "people"
    assert values["eager_rows"] == 2 and values["cohort_rows"] == 3 and values["all_people"] == 5
    assert values["snapshot"] == product.snapshot().id


def test_plugin_arguments_are_checked_before_the_plugin_runs(product):
    with pytest.raises(ParameterError, match=r"Plugin 'boom' has no parameter 'limt'; parameters: people, limit"):
        product.run_plugin("boom", {"limt": 1})
    with pytest.raises(ParameterError, match=r"Parameter 'limit': 'x' is not allowed; expected an integer"):
        product.run_plugin("boom", {"limit": "x"})  # the type hint decides the parameter type
    with pytest.raises(ParameterError, match=r"Plugin 'shapes' needs parameter 'kind'"):
        product.run_plugin("shapes")
    with pytest.raises(PluginError, match=r"No plugin or algorithm 'bom'; available: .*boom"):
        product.run_plugin("bom")
    assert product.run_plugin("boom", {"people": "age < 40", "limit": "5"}).tables["boom"]["id"].to_list() == [1, 3]


def test_a_plugin_file_that_fails_to_import_is_reported_and_nothing_else_breaks(product, tiny_dir):
    broken = write_file(tiny_dir, "plugins/broken.py", """\
        import polars as pl

        import a_module_that_does_not_exist_anywhere


        def broken():
            return 1
        """)
    bad_syntax = write_file(tiny_dir, "plugins/bad_syntax.py", "def bad_syntax(:\n    return 1\n")
    write_file(tiny_dir, "protocols/uses_broken.yaml", """\
        name: uses_broken
        version: 1.0.0
        steps: [{id: s, algorithm: broken}]
        """)
    problems = product.repository.plugin_problems(product.manifest)
    assert problems[str(broken)] == (
        "Plugin file broken.py failed to load (broken.py, line 3): ModuleNotFoundError: "
        "No module named 'a_module_that_does_not_exist_anywhere'"
    )
    assert problems[str(bad_syntax)].startswith("Plugin file bad_syntax.py failed to load (bad_syntax.py, line 1): SyntaxError")
    assert set(problems) == {str(broken), str(bad_syntax)}
    assert "boom" in product.plugins() and "broken" not in product.plugins()
    with pytest.raises(PluginError) as caught:
        product.run_plugin("broken")
    assert caught.value.message == problems[str(broken)] and caught.value.details["file"] == str(broken)
    assert "'broken' is not a built-in algorithm or a plugin" in product.protocols().problems[
        str(tiny_dir / "protocols" / "uses_broken.yaml")]
    assert product.run("boom").tables["boom"].height == 3
    # fixing the file fixes the plugin and the protocol that uses it
    write_file(tiny_dir, "plugins/broken.py", "from jupyter_dataproduct import plugin\n\n\n@plugin\ndef broken():\n    return 1\n")
    assert set(product.repository.plugin_problems(product.manifest)) == {str(bad_syntax)}
    assert product.run("uses_broken").values == {"s": 1}


def test_a_plugin_file_may_not_take_a_builtin_name(product, tiny_dir):
    clash = write_file(tiny_dir, "plugins/clash.py", "from jupyter_dataproduct import plugin\n\n@plugin\ndef summary():\n    return 1\n")
    problems = product.repository.plugin_problems(product.manifest)
    assert problems[str(clash)] == "clash.py: plugin name 'summary' is already taken (built-in)"
    assert product.plugins()["summary"].builtin


# -- plugins defined in a session (a notebook cell) ------------------------------------------

OLD_SHARE = '''\
import polars as pl

def old_share(people: pl.LazyFrame, age: int = 50):
    """Share of people older than age."""
    return people.select((pl.col("age") > age).mean().alias("share")).collect()
'''


def test_a_session_plugin_runs_at_once(product):
    spec = product.define_plugin("old_share", OLD_SHARE)
    assert spec.name == "old_share" and spec.file == "<notebook cell>" and spec.source == OLD_SHARE
    assert spec.title == "Share of people older than age." and spec.parameters == ["people", "age"]
    result = product.run_plugin("old_share", {"age": 40})
    assert result.tables["old_share"]["share"].to_list() == [pytest.approx(0.6)]
    assert result.provenance["protocol"] == "old_share" and result.provenance["protocol_version"] == "plugin"
    smokers = product.run_plugin("old_share", {"age": 40, "people": "smoker == true"})
    assert smokers.tables["old_share"]["share"].to_list() == [1.0]
    # a protocol may use it as soon as it is defined
    write_file(product.path, "protocols/share.yaml", """\
        name: share
        version: 1.0.0
        parameters: {age: {type: int, default: 30}, who: {type: cohort, entity: people, default: ""}}
        steps: [{id: share, algorithm: old_share, with: {age: $age, people: $who}}]
        """)
    assert product.run("share").tables["share"]["share"].to_list() == [pytest.approx(0.8)]


def test_a_session_plugin_that_raises_names_the_cell_line(product):
    product.define_plugin("ratio", "def ratio(n: int = 0):\n    half = 1\n    return half / n\n")
    with pytest.raises(PluginError) as caught:
        product.run_plugin("ratio", {"n": 0})
    assert caught.value.message == "Plugin 'ratio' raised (<notebook cell>, line 3): ZeroDivisionError: division by zero"
    assert product.run_plugin("ratio", {"n": 4}).values == {"ratio": 0.25}
    assert product.verify()[1] == []


@pytest.mark.parametrize(
    ("name", "source", "error", "message"),
    [
        ("cell", "x = 1 / 0\n", PluginError, "Plugin cell 'cell' failed (<notebook cell>, line 1): ZeroDivisionError"),
        ("cell", "def cell(:\n  pass\n", PluginError, "Plugin cell 'cell' failed (<notebook cell>, line 1): SyntaxError"),
        ("cell", "def other():\n    return 1\n", PluginError, "The cell defines no function 'cell'; it defines: other."),
        ("summary", "def summary():\n    return 1\n", PluginError, "'summary' is a built-in algorithm"),
        ("Cell", "def Cell():\n    return 1\n", InvalidNameError, "Plugin name 'Cell' is not allowed"),
        ("old-share", "x = 1\n", InvalidNameError, "Plugin name 'old-share' is not allowed"),
        ("../cell", "x = 1\n", InvalidNameError, "Plugin name '../cell' is not allowed"),
        ("cell\n", "def cell():\n    return 1\n", InvalidNameError, "Plugin name 'cell\\n' is not allowed"),
    ],
)
def test_bad_plugin_cells_are_refused(product, name, source, error, message):
    with pytest.raises(error) as caught:
        product.define_plugin(name, source)
    assert message in caught.value.message
    assert product.repository.session_plugin(name) is None


def test_export_writes_the_plugin_and_refuses_to_overwrite_without_force(product, tiny_dir):
    with pytest.raises(PluginError, match="No plugin 'old_share' defined in this session"):
        product.export_plugin("old_share")
    product.define_plugin("old_share", OLD_SHARE)
    session_result = product.run_plugin("old_share", {"age": 40})
    target = product.export_plugin("old_share")
    assert target == tiny_dir / "plugins" / "old_share.py"
    text = target.read_text()
    assert text.startswith("from jupyter_dataproduct import plugin\n\nimport polars as pl\n")
    assert "@plugin\ndef old_share(people: pl.LazyFrame, age: int = 50):" in text
    assert product.repository.session_plugin("old_share") is None
    # the exported file is an ordinary plugin: a fresh product finds it and gives the same result
    fresh = Product.open(tiny_dir)
    spec = fresh.plugins()["old_share"]
    assert spec.file == str(target) and spec.line == 5  # the @plugin line
    assert_frame_equal(fresh.run_plugin("old_share", {"age": 40}).tables["old_share"], session_result.tables["old_share"])

    changed = OLD_SHARE.replace('alias("share")', 'alias("older")')
    product.define_plugin("old_share", changed)
    with pytest.raises(PluginError) as caught:
        product.export_plugin("old_share")
    assert caught.value.message == f"{target} already exists; export with --force (force=True) to overwrite it."
    assert target.read_text() == text
    product.export_plugin("old_share", force=True)
    assert 'alias("older")' in target.read_text() and target.read_text().count("@plugin") == 1
    assert fresh.run_plugin("old_share", {"age": 40}).tables["old_share"].columns == ["older"]
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_an_already_decorated_cell_is_exported_as_is(product):
    source = "from jupyter_dataproduct import plugin\n\n@plugin(title='Count')\ndef count_people(people):\n    return people.collect().height\n"
    product.define_plugin("count_people", source)
    assert product.run_plugin("count_people").values == {"count_people": 5}
    target = product.export_plugin("count_people")
    assert target.read_text() == source
    assert Product.open(product.path).plugins()["count_people"].title == "Count"
