"""Running protocols: every result carries its provenance, and re-running the provenance
reproduces the result exactly."""

from __future__ import annotations

import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import jupyter_dataproduct
from jupyter_dataproduct._version import __version__
from jupyter_dataproduct.core.errors import ParameterError, SnapshotNotFoundError
from jupyter_dataproduct.core.product import Product
from tests.files import write_file

SELECT = """\
name: select
version: 1.1.0
title: People and their visits
parameters:
  who: {type: cohort, entity: people, default: ""}
  columns: {type: columns, entity: people, default: [id, name, age]}
  min_week: {type: int, default: 0}
  label: {type: string, required: false}
steps:
  - id: people
    query: people
    with: {where: $who, columns: $columns, order_by: [id]}
  - id: stats
    algorithm: summary
    with: {entity: people, columns: [age, group], cohort: $who}
  - id: chart
    visualisation: histogram
    with: {table: $people, column: age}
  - id: echo
    algorithm: echo
    with: {text: $$who, label: $label, rows: $people, numeric: $stats.numeric}
outputs:
  people: {type: table, columns: {id: int}}
  numeric: {type: table}
  chart: {type: chart}
  echo: {type: value}
  rows_seen: {type: value}
"""

ECHO = '''\
from jupyter_dataproduct import plugin


@plugin
def echo(text, label=None, rows=None, numeric=None):
    return {"echo": f"{text}|{label}", "rows_seen": rows.height + 1000 * numeric.height}
'''

MARKER = '''\
from pathlib import Path
from jupyter_dataproduct import plugin


@plugin
def marker(path: str, n: int = 1):
    Path(path).write_text("ran")
    return n
'''


@pytest.fixture
def product(tiny_dir) -> Product:
    write_file(tiny_dir, "protocols/select.yaml", SELECT)
    write_file(tiny_dir, "plugins/echo.py", ECHO)
    product = Product.open(tiny_dir)
    product.build()
    return product


def test_every_result_carries_its_provenance(product):
    result = product.run("select", {"who": "age >= 40", "min_week": "2"})
    snapshot = product.snapshot()
    assert result.provenance == {
        "product": "tiny",
        "product_version": "0.1.0",
        "snapshot": snapshot.id,
        "protocol": "select",
        "protocol_version": "1.1.0",
        "parameters": {
            "who": {"entity": "people", "tree": {"column": "age", "op": ">=", "value": 40}, "text": "age >= 40"},
            "columns": ["id", "name", "age"],  # defaults are recorded too
            "min_week": 2,
            "label": None,
        },
        "engine_version": __version__,
        "polars_version": pl.__version__,
        "engine": {"name": "polars", "version": pl.__version__},  # the engine that ran it
        "history_id": product.history.list()[0].id,
    }
    assert jupyter_dataproduct.__version__ == __version__
    json.dumps(result.provenance)  # plain JSON


def test_steps_pass_outputs_and_literal_dollars(product):
    result = product.run("select", {"who": "age >= 40", "label": "L"})
    assert result.tables["people"]["id"].to_list() == [2, 4, 5]
    assert list(result.tables) == ["people", "numeric"] and list(result.charts) == ["chart"]
    assert result.values == {"echo": "$who|L", "rows_seen": 3 + 1000 * result.tables["numeric"].height}
    assert result.charts["chart"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_rerunning_the_provenance_reproduces_the_result(product):
    original = product.run("select", {"who": "group == 'treated' or smoker == true", "columns": ["id", "age", "group"]})
    again = product.rerun(original.provenance)
    assert again.equals(original)
    for name in original.tables:
        assert_frame_equal(again.tables[name], original.tables[name])
    assert again.values == original.values and again.charts == original.charts
    same = {k: v for k, v in again.provenance.items() if k != "history_id"}
    assert same == {k: v for k, v in original.provenance.items() if k != "history_id"}
    assert again.provenance["history_id"] != original.provenance["history_id"]


def test_rerun_works_from_provenance_read_back_as_json(product):
    original = product.run("select", {"who": {"and": [{"column": "enrolled", "op": ">=", "value": "2024-02-01"}]}})
    provenance = json.loads(json.dumps(original.provenance))
    again = product.rerun(provenance, record=False)
    assert_frame_equal(again.tables["people"], original.tables["people"])
    assert again.tables["people"]["id"].to_list() == [2, 3, 4, 5]
    assert len(product.history.list()) == 1  # record=False


def test_rerun_uses_the_recorded_snapshot_and_version_not_the_latest(product, tiny_dir):
    original = product.run("select", {"who": "age > 30"})
    old_snapshot = product.snapshot().id
    # new data and a new protocol version
    people = tiny_dir / "data" / "people.csv"
    people.write_text(people.read_text() + "6,Fay,70,1,0,2024-06-01\n")
    product.build()
    write_file(tiny_dir, "protocols/select_2.yaml", SELECT.replace("version: 1.1.0", "version: 2.0.0").replace(
        "[id, name, age]", "[id, age]"))
    latest = product.run("select", {"who": "age > 30"})
    assert latest.provenance["snapshot"] != old_snapshot and latest.provenance["protocol_version"] == "2.0.0"
    assert latest.tables["people"]["id"].to_list() == [1, 2, 4, 5, 6]
    again = product.rerun(original.provenance)
    assert again.provenance["snapshot"] == old_snapshot and again.provenance["protocol_version"] == "1.1.0"
    assert_frame_equal(again.tables["people"], original.tables["people"])
    assert again.tables["people"]["id"].to_list() == [1, 2, 4, 5]


def test_rerun_of_a_saved_cohort_uses_the_recorded_tree(product):
    product.save_cohort("older", "people", "age >= 45")
    original = product.run("select", {"who": "@older"})
    assert original.provenance["parameters"]["who"] == {
        "entity": "people", "tree": {"column": "age", "op": ">=", "value": 45}, "text": "age >= 45", "artifact": "older"}
    product.save_cohort("older", "people", "age >= 60", overwrite=True)  # the name now means something else
    again = product.rerun(original.provenance)
    assert_frame_equal(again.tables["people"], original.tables["people"])
    assert again.tables["people"]["id"].to_list() == [2, 4, 5]
    assert again.provenance["parameters"]["who"] == original.provenance["parameters"]["who"]
    product.artifacts.delete("older")
    assert product.rerun(original.provenance).equals(original)


def test_rerun_of_a_plugin_run(product):
    write_file(product.path, "plugins/count.py", """\
        import polars as pl
        from jupyter_dataproduct import plugin


        @plugin
        def count(people: pl.LazyFrame, at_least: int = 0):
            return people.collect().height + at_least
        """)
    ran = product.run_plugin("count", {"people": "age > 40", "at_least": 10})
    assert ran.values == {"count": 13} and ran.provenance["protocol_version"] == "plugin"
    again = product.rerun(ran.provenance)
    assert again.equals(ran) and again.provenance["protocol"] == "count"


def test_rerun_refuses_another_products_provenance(product):
    provenance = dict(product.run("select").provenance, product="other")
    with pytest.raises(ParameterError, match="This provenance is of product 'other', not 'tiny'"):
        product.rerun(provenance)
    missing = dict(product.run("select").provenance, snapshot="0" * 64)
    with pytest.raises(SnapshotNotFoundError):
        product.rerun(missing)


def test_a_run_pins_a_snapshot_by_tag_or_prefix(product, tiny_dir):
    first = product.snapshot().id
    product.tag("v1")
    (tiny_dir / "data" / "people.csv").write_text((tiny_dir / "data" / "people.csv").read_text() + "6,Fay,70,1,0,2024-06-01\n")
    product.build()
    by_tag = product.run("select", snapshot="v1")
    by_prefix = product.run("select", snapshot=first[:10])
    by_product_ref = product.run("select", snapshot="tiny@v1")
    assert by_tag.provenance["snapshot"] == by_prefix.provenance["snapshot"] == by_product_ref.provenance["snapshot"] == first
    assert by_tag.tables["people"].height == 5 and product.run("select").tables["people"].height == 6


def test_bad_parameters_fail_before_any_work(product, tiny_dir):
    marker = tiny_dir / "ran.txt"
    write_file(tiny_dir, "plugins/marker.py", MARKER)
    write_file(tiny_dir, "protocols/mark.yaml", f"""\
        name: mark
        version: 1.0.0
        parameters:
          n: {{type: int, maximum: 5, default: 1}}
          who: {{type: cohort, entity: people, default: ""}}
        steps:
          - {{id: first, algorithm: marker, with: {{path: "{marker}", n: $n}}}}
          - {{id: rows, query: people, with: {{where: $who}}}}
        """)
    for bad in ({"n": 6}, {"who": "agee > 1"}, {"who": "age >"}, {"nn": 1}):
        with pytest.raises(Exception) as caught:
            product.run("mark", bad)
        assert caught.value.code in ("invalid_parameter", "column_not_found")
        assert not marker.exists()
    assert product.history.list() == []
    assert product.run("mark", {"n": 5}).values == {"first": 5}
    assert marker.read_text() == "ran"


def test_a_recorded_cohort_is_bound_by_its_tree_not_its_text(product):
    recorded = {"entity": "people", "tree": {"column": "age", "op": "<", "value": 40}, "text": "age >= 40"}
    result = product.run("select", {"who": recorded})
    assert result.tables["people"]["id"].to_list() == [1, 3]
    assert result.provenance["parameters"]["who"] == {"entity": "people", "tree": recorded["tree"]}  # text dropped
    with pytest.raises(Exception) as caught:
        product.run("select", {"who": {"entity": "people", "tree": {"column": "agee", "op": "is null"}}})
    assert caught.value.code == "column_not_found"
