"""examples/authoring.ipynb, executed top to bottom by a real kernel (nbclient) on a copy of
examples/: a cell plugin becomes a file of the product and a tested protocol."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> tuple[dict[str, nbformat.NotebookNode], Path]:
    folder = tmp_path_factory.mktemp("authoring")
    shutil.copy(EXAMPLES / "authoring.ipynb", folder)
    shutil.copytree(EXAMPLES / "actg175", folder / "actg175", ignore=shutil.ignore_patterns(".dataproduct"))
    before = sorted(p.relative_to(EXAMPLES) for p in EXAMPLES.rglob("*"))
    notebook = nbformat.read(folder / "authoring.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, startup_timeout=180, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    assert sorted(p.relative_to(EXAMPLES) for p in EXAMPLES.rglob("*")) == before  # examples/ untouched
    return {cell.id: cell for cell in notebook.cells}, folder


def text(cell, name: str = "stdout") -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == name)


def plain(cell) -> str:
    return "\n".join(o["data"]["text/plain"] for o in cell.outputs if "data" in o and "text/plain" in o["data"])


def test_no_cell_fails(executed):
    cells, _ = executed
    assert [(i, o["evalue"]) for i, c in cells.items() for o in c.get("outputs", []) if o["output_type"] == "error"] == []


def test_the_cell_plugin_is_defined_tried_and_tested_on_the_snapshot(executed):
    cells, folder = executed
    assert "Plugin arm_medians(patients, min_weight) is ready" in text(cells["plugin"])
    assert "arm_medians@plugin" in plain(cells["try"])
    csv = pl.read_csv(folder / "actg175" / "data" / "actg175.csv")
    heavy = csv.filter(pl.col("wtkg") >= 70).height
    assert f"tested: 4 arms, {heavy} of {csv.height} patients weigh 70 kg or more" in text(cells["test"])


def test_the_export_writes_the_plugin_file_that_the_product_lists(executed):
    cells, folder = executed
    exported = folder / "actg175" / "plugins" / "arm_medians.py"
    assert f"Exported plugin arm_medians to {exported}" in text(cells["export"])
    source = exported.read_text()
    assert "from jupyter_dataproduct import plugin" in source and "@plugin\ndef arm_medians(" in source
    assert "arm_medians" in plain(cells["plugins"]) and "cd4_response" in plain(cells["plugins"])


def test_the_protocol_is_written_with_tests_that_pass(executed):
    cells, folder = executed
    assert (folder / "actg175" / "protocols" / "arm_medians.yaml").is_file()
    out = text(cells["tests"])
    assert out.count("PASSED arm_medians@1.0.0::") == 3
    assert "protocol tests: 3 passed, 0 failed" in out


def test_the_protocol_runs_like_any_other(executed):
    cells, folder = executed
    csv = pl.read_csv(folder / "actg175" / "data" / "actg175.csv")
    chosen = csv.filter((pl.col("age") >= 40) & (pl.col("wtkg") >= 60))
    table = plain(cells["run"])
    assert "median_cd4" in table and "shape: (4, 4)" in table
    # One row per arm (codes 0-3 in the CSV, labels in the model), in the model's order.
    shown = [int(line.split("┆")[1]) for line in table.splitlines() if line.startswith("│ ") and "┆" in line
             and line.split("┆")[1].strip().isdigit()]
    assert shown == chosen.group_by("arms").len().sort("arms")["len"].to_list()
