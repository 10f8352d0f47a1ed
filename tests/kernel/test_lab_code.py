"""The code the Data Products panel writes, run through a real IPython shell as written.

``generated_run_line`` is a faithful port of ``labextension/src/codegen.ts`` (``runLine``
with ``shlexQuote``): every parameter type, quoted the way the panel quotes it, must bind
to exactly the value the form held. Plus what the panel relies on in the kernel: no
``{...}``/``$x`` expansion, an idempotent ``connect``, and connection names.
"""

from __future__ import annotations

import json
import re

import pytest
from IPython.core.error import UsageError

from jupyter_dataproduct.client import connections
from jupyter_dataproduct.core.product import Product
from tests.files import write_file

SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def shlex_quote(word: str) -> str:
    """``shlexQuote`` of codegen.ts."""
    if word == "":
        return "''"
    if SAFE.match(word):
        return word
    if "'" not in word:
        return f"'{word}'"
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def assignment(name: str, value, kind: str) -> str:
    """``assignment`` of codegen.ts."""
    as_json = f"{name}:={shlex_quote(json.dumps(value, separators=(',', ':')))}"
    if isinstance(value, str):
        return as_json if re.search(r"[\x00-\x1f\x7f\u2028\u2029]", value) else f"{name}={shlex_quote(value)}"
    if isinstance(value, bool):
        return f"{name}={'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return as_json if kind == "enum" else f"{name}={value}"
    if isinstance(value, dict) and kind == "cohort" and "artifact" in value:
        return f"{name}={shlex_quote('@' + value['artifact'])}"
    return as_json


def generated_run_line(protocol: str, product: str, values: dict, kinds: dict, variable: str) -> str:
    words = ["%dataproduct", "run", shlex_quote(protocol)]
    words += [assignment(n, v, kinds[n]) for n, v in values.items()]
    return " ".join(words + ["--product", shlex_quote(product), "-o", variable])


EVERY_TYPE = """\
name: every_type
version: 1.0.0
title: Every parameter type
parameters:
  text: {type: string}
  count: {type: int, minimum: -5}
  ratio: {type: float}
  flag: {type: bool}
  colour: {type: enum, choices: ["light blue", "it's \\"red\\"", "$HOME {x}"]}
  week: {type: enum, choices: [4, 20]}
  who: {type: enum, choices_from: people.name}
  day: {type: date}
  column: {type: column, entity: people}
  columns: {type: columns, entity: people}
  cohort: {type: cohort, entity: people}
  saved: {type: cohort, entity: people, default: ""}
steps:
  - {id: rows, query: people, with: {where: $cohort}}
"""

KINDS = {"text": "string", "count": "int", "ratio": "float", "flag": "bool", "colour": "enum", "week": "enum",
         "who": "enum", "day": "date", "column": "column", "columns": "columns", "cohort": "cohort", "saved": "cohort"}

TREE = {"and": [{"column": "age", "op": ">=", "value": 40},
                {"or": [{"column": "name", "op": "in", "value": ["Bo", "D'i {x}", "$Ed"]},
                        {"column": "smoker", "op": "==", "value": True}]}]}

VALUES = [
    {"text": "plain", "count": 3, "ratio": 0.25, "flag": True, "colour": "light blue", "week": 20, "who": "Ada",
     "day": "2024-02-29", "column": "age", "columns": ["age", "name"], "cohort": "age >= 40"},
    {"text": "it's \"quoted\" $HOME {text} \\ back", "count": -5, "ratio": 1e-3, "flag": False,
     "colour": "it's \"red\"", "week": 4, "who": "Bo", "day": "2023-12-31", "column": "group",
     "columns": ["smoker"], "cohort": TREE},
    {"text": "two\nlines\tand tab", "count": 0, "ratio": -2.5, "flag": False, "colour": "$HOME {x}", "week": 20,
     "who": "Di", "day": "2024-01-05", "column": "enrolled", "columns": ["id", "enrolled", "age_months"],
     "cohort": "name in ('Bo', 'Di') or group == 'treated'", "saved": {"artifact": "older"}},
]


@pytest.fixture
def product_dir(tiny_dir):
    write_file(tiny_dir, "protocols/every_type.yaml", EVERY_TYPE)
    product = Product.open(tiny_dir)
    product.build()
    product.save_cohort("older", "people", "age >= 50")
    return tiny_dir


@pytest.mark.parametrize("values", VALUES, ids=["simple", "quotes-and-trees", "control-characters"])
def test_generated_lines_bind_every_parameter_type_as_the_form_held_it(run, ip, product_dir, values):
    run(f"%dataproduct connect {shlex_quote(str(product_dir))}")
    line = generated_run_line("every_type", "tiny", values, KINDS, "echo")
    result = run(line)
    assert ip.user_ns["echo"] is result
    expected = Product.open(product_dir).bind("every_type", values)  # the engine's binding of the form's values
    bound = result.provenance["parameters"]
    for name, value in expected.items():
        if KINDS[name] == "cohort":
            assert bound[name]["tree"] == value.tree, name
        else:
            assert bound[name] == value and type(bound[name]) is type(value), name
    assert bound["text"] == values["text"] and bound["week"] == values["week"]


def test_a_json_cohort_tree_reaches_the_magic_unchanged(run, ip, product_dir):
    """IPython would expand {...} and $name in a line magic; %dataproduct is no_var_expand."""
    ip.user_ns["HOME"] = "expanded!"
    ip.user_ns["x"] = "expanded!"
    run(f"%dataproduct connect {product_dir}")
    line = f"%dataproduct run every_type {assignment('cohort', TREE, 'cohort')} text='{{x}} $HOME' " \
           "count=1 ratio=1 flag=true colour='light blue' week:=4 who=Ada day=2024-01-01 column=age columns=age"
    assert "{" in line and "$" in line
    result = run(line)
    cohort = result.provenance["parameters"]["cohort"]
    assert cohort["tree"] == Product.open(product_dir).cohort("people", TREE).tree
    assert result.provenance["parameters"]["text"] == "{x} $HOME"
    assert sorted(result.tables["rows"]["name"].to_list()) == ["Bo", "Di"]


def test_connect_again_keeps_the_pinned_snapshot_and_cell_plugins(run, ip, product_dir):
    first = run(f"%dataproduct connect {product_dir}")
    snapshot = first.snapshots()[0].id
    run(f"%dataproduct snapshot use {snapshot[:12]}")
    ip.run_cell("%%dataproduct plugin mean_age\ndef mean_age(people):\n    return 1\n")
    again = run(f"%dataproduct connect {product_dir}")
    assert again is first and again.pinned == snapshot
    assert "mean_age" in [p.name for p in again.plugins()]
    other = run(f"%dataproduct connect {product_dir} --as second")
    assert other is not first and other.pinned is None  # another name is another connection


@pytest.fixture
def connections_file(tmp_path, monkeypatch):
    path = tmp_path / "connections.json"
    monkeypatch.setenv("DATAPRODUCT_CONNECTIONS", str(path))
    monkeypatch.delenv("DATAPRODUCT_LAB_PRODUCTS", raising=False)
    return path


def test_connect_by_a_name_of_the_connections_file(run, ip, product_dir, connections_file, tmp_path, monkeypatch):
    connections.add(connections.Connection("small", str(product_dir)))
    monkeypatch.chdir(tmp_path)
    product = run("%dataproduct connect small")
    assert product.name == "tiny" and ip.magics_manager.registry["DataProductMagics"].session.default == "small"
    assert run("%dataproduct frame people --product small").height == 5
    with pytest.raises(UsageError, match=r"No connected product 'nothing'; connected: small"):
        run("%dataproduct frame people --product nothing")


def test_product_option_connects_a_known_name(run, ip, product_dir, connections_file):
    connections.add(connections.Connection("small", str(product_dir)))
    line = generated_run_line("every_type", "small", VALUES[0], KINDS, "first")
    result = run(line)  # no connect line: --product small connects it
    assert result.provenance["product"] == "tiny"
    assert list(ip.magics_manager.registry["DataProductMagics"].session.products) == ["small"]


def test_a_named_server_connection_uses_its_stored_token_and_never_shows_it(run, ip, product_dir, connections_file,
                                                                             capsys):
    from click.testing import CliRunner

    from jupyter_dataproduct.cli import main as cli
    from tests.servers import dataproduct_serve

    token = CliRunner().invoke(cli, ["token", "create", str(product_dir), "--role", "analyst"]).stdout.split()[0]
    with dataproduct_serve(product_dir) as base:
        connections.add(connections.Connection("remote", f"{base}/tiny", token))
        product = run("%dataproduct connect remote")
        assert not product.is_local
        result = run(generated_run_line("every_type", "remote", VALUES[1], KINDS, "remote_echo"))
        assert sorted(result.tables["rows"]["name"].to_list()) == ["Bo", "Di"]
        ip.run_cell("%dataproduct list")
        ip.run_cell("%dataproduct connect remote")
        ip.run_cell("%dataproduct connect nothing")
        shown = capsys.readouterr()
        assert token not in shown.out + shown.err + repr(product) + str(product._repr_mimebundle_())


def test_configured_products_of_the_jupyter_server_resolve_by_name(run, product_dir, connections_file, monkeypatch):
    monkeypatch.setenv("DATAPRODUCT_LAB_PRODUCTS", json.dumps([{"name": "configured", "location": str(product_dir)}]))
    assert run("%dataproduct connect configured").name == "tiny"
