"""Notebook plugins: a whole .ipynb in plugins/ run in a real kernel with injected parameters."""

from __future__ import annotations

import inspect
import json

import nbformat
import polars as pl
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from jupyter_dataproduct.core.errors import PluginError
from jupyter_dataproduct.core.notebook_plugins import load_notebook_plugin


def write_notebook(path, *cells):
    notebook = new_notebook(cells=list(cells), metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def parameters_cell(source):
    return new_code_cell(source, metadata={"tags": ["parameters"]})


def test_the_parameters_cell_gives_the_signature(tmp_path):
    file = write_notebook(
        tmp_path / "plugins" / "weights.ipynb",
        new_markdown_cell("# Weights\nBy visit week."),
        parameters_cell("visits = None\nunit: str = 'kg'\nweeks = [0, 4]"),
        new_code_cell("result = visits"),
    )
    [spec] = load_notebook_plugin(file)
    assert (spec.name, spec.title, spec.description) == ("weights", "Weights", "By visit week.")
    assert spec.parameters == ["visits", "unit", "weeks"]
    signature = inspect.signature(spec.function)
    assert signature.parameters["visits"].default is inspect.Parameter.empty  # None: must be given
    assert signature.parameters["unit"].default == "kg" and signature.parameters["weeks"].default == [0, 4]


@pytest.mark.parametrize(
    "cells, complaint",
    [
        ([new_code_cell("x = 1")], "has no cell tagged 'parameters'"),
        ([parameters_cell("x = 1\nprint(x)")], "may only assign defaults .* line 2"),
        ([parameters_cell("x = open('f')")], "default of 'x' \\(line 1\\) must be a literal"),
        ([parameters_cell("x = (")], "not valid Python"),
    ],
)
def test_a_bad_notebook_plugin_is_reported_with_its_file(tmp_path, cells, complaint):
    file = write_notebook(tmp_path / "broken.ipynb", *cells)
    with pytest.raises(PluginError, match=f"broken.ipynb.*{complaint}|{complaint}"):
        load_notebook_plugin(file)


def test_the_example_notebook_plugin_matches_polars(actg_product):
    actg_product.build()
    result = actg_product.run("arm_profile", {"variable": "cd420", "cohort": "age >= 30"})
    patients = actg_product.frame("patients", where="age >= 30").collect()
    expected = (
        patients.group_by(pl.col("arms").cast(pl.String))
        .agg(pl.len().alias("patients"), pl.col("cd420").median().alias("median"))
        .sort("arms")
    )
    table = result.tables["profile"]
    assert table.select("arms", "patients", "median").equals(expected.select("arms", "patients", "median"))
    chart = result.charts["profile_chart"]
    assert chart["mark"] == "boxplot" and chart["encoding"]["y"]["field"] == "cd420"
    assert len(chart["data"]["values"]) == patients.height
    assert result.provenance["protocol"] == "arm_profile"


def test_frames_values_and_displayed_charts_come_back(tiny_product):
    write_notebook(
        tiny_product.path / "plugins" / "ages.ipynb",
        parameters_cell("people = None\nfactor = 1"),
        new_code_cell(
            "import pandas as pd\n"
            "scaled = people.select('name', (people['age'] * factor).alias('age'))\n"
            "as_pandas = scaled.to_pandas()\n"
            "_hidden = scaled\n"
            "count = scaled.height"
        ),
        new_code_cell(
            "from IPython.display import display\n"
            "display({'application/vnd.vegalite.v5+json': {'$schema': 'https://vega.github.io/schema/vega-lite/v5.json',"
            " 'mark': 'point'}}, raw=True)"
        ),
    )
    tiny_product.build()
    result = tiny_product.run_plugin("ages", {"people": "smoker == true", "factor": 2})
    assert sorted(result.tables) == ["as_pandas", "scaled"]  # inputs and _private names are not outputs
    assert result.tables["scaled"].sort("name")["age"].to_list() == [102, 124]
    assert result.tables["as_pandas"].sort("name")["age"].to_list() == [102, 124]
    assert result.charts["chart_1"]["mark"] == "point"


def test_a_failing_cell_names_the_notebook_cell_and_line(tiny_product):
    write_notebook(
        tiny_product.path / "plugins" / "fails.ipynb",
        parameters_cell("people = None"),
        new_code_cell("n = people.height"),
        new_code_cell("x = 1\nraise ValueError(f'no good: {n} rows')"),
    )
    tiny_product.build()
    with pytest.raises(PluginError) as caught:
        tiny_product.run_plugin("fails")
    assert caught.value.message == "Notebook plugin 'fails' raised (fails.ipynb, cell 3, line 2): ValueError: no good: 5 rows"
    assert tiny_product.verify()[1] == []
    # The author's notebook is untouched (nothing injected into it, no outputs saved).
    cells = json.loads((tiny_product.path / "plugins" / "fails.ipynb").read_text())["cells"]
    assert len(cells) == 3 and all(not c.get("outputs") for c in cells)
