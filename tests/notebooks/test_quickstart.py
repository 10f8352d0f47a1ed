"""The quickstart notebook, executed top to bottom by a real Jupyter kernel (nbclient)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

from tests.servers import dataproduct_serve

REPO = Path(__file__).resolve().parents[2]
VEGALITE = "application/vnd.vegalite.v5+json"


@contextlib.contextmanager
def served(product: Path) -> Iterator[dict[str, str]]:
    """The environment that points the quickstart at ``dataproduct serve`` of ``product``."""
    token = subprocess.run(
        [sys.executable, "-m", "jupyter_dataproduct.cli", "token", "create", str(product), "--role", "admin"],
        check=True, capture_output=True, text=True,
    ).stdout.split()[0]
    with dataproduct_serve(product) as base:
        yield {"DATAPRODUCT_URL": f"{base}/actg175", "DATAPRODUCT_TOKEN": token}


@pytest.fixture(scope="module", params=["folder", "server"])
def executed(request, tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    """The quickstart, unchanged, run on a copy of examples/: against the folder, then a server."""
    folder = tmp_path_factory.mktemp(f"quickstart-{request.param}")
    shutil.copy(REPO / "examples" / "quickstart.ipynb", folder)
    shutil.copytree(REPO / "examples" / "actg175", folder / "actg175", ignore=shutil.ignore_patterns(".dataproduct", "cd8_ratio.py"))
    notebook = nbformat.read(folder / "quickstart.ipynb", as_version=4)
    with contextlib.ExitStack() as stack:
        environment = stack.enter_context(served(folder / "actg175")) if request.param == "server" else {}
        saved = {k: os.environ.get(k) for k in environment}
        os.environ.update(environment)  # the kernel inherits it
        try:
            NotebookClient(notebook, timeout=300, startup_timeout=180, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
        finally:
            for key, value in saved.items():
                os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    cells = {cell.id: cell for cell in notebook.cells}
    cells["__folder__"] = folder  # type: ignore[assignment]
    cells["__mode__"] = request.param  # type: ignore[assignment]
    return cells


def outputs(cell, mime: str) -> list:
    return [o["data"][mime] for o in cell.outputs if "data" in o and mime in o["data"]]


def stream(cell, name: str = "stdout") -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == name)


def test_no_cell_fails(executed):
    errors = [(id, o) for id, cell in executed.items() if not id.startswith("__") for o in cell.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []


def test_the_product_shows_as_a_card(executed):
    html = outputs(executed["connect"], "text/html")[0]
    assert "actg175" in html and "compare_arms" in html
    where = outputs(executed["connect"], "text/plain")[0]
    assert ("http://127.0.0.1:" in where) == (executed["__mode__"] == "server")


def progress_bars(cell) -> list[dict]:
    return [o["data"] for o in cell.outputs if "data" in o and "<progress" in o["data"].get("text/html", "")]


def test_the_build_shows_progress_and_returns_the_snapshot(executed):
    cell = executed["build"]
    # The saved notebook holds the bar's last state (updated in place), not its first.
    [bar] = progress_bars(cell)
    assert bar["text/plain"].startswith("build: 100% ") and bar["text/plain"].endswith(", published]")
    steps = re.search(r'<progress max="(\d+)" value="(\d+)">', bar["text/html"])
    assert steps and steps[1] == steps[2] and int(steps[1]) > 1
    assert "patients=2,139" in outputs(cell, "text/plain")[-1]


def test_a_frame_from_a_server_shows_its_bytes_arriving(executed):
    bars = progress_bars(executed["frame"])
    if executed["__mode__"] == "folder":
        assert bars == []  # a local read is quick: no bar
        return
    [bar] = bars
    size = re.search(r'<progress max="(\d+)" value="(\d+)">', bar["text/html"])
    assert size and size[1] == size[2] and int(size[1]) > 1000
    assert bar["text/plain"].startswith("frame patients: 100% ")


def test_protocol_help_lists_its_parameters(executed):
    text = stream(executed["help"])
    assert "group : column of patients (default 'arms')" in text and "cohort : cohort of patients" in text


def test_the_comparison_renders_a_table_and_a_vega_lite_chart(executed):
    cell = executed["compare"]
    chart = outputs(cell, VEGALITE)[0]
    assert chart["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    assert "<table" in outputs(cell, "text/html")[0]


def test_survival_reports_the_log_rank_test_of_the_trial(executed):
    text = stream(executed["survival-values"])
    assert text.startswith("log-rank chi-square ")
    chisq = float(text.split()[2].rstrip(","))
    assert chisq > 40  # the four arms differ clearly (p < 1e-8)
    assert outputs(executed["survival"], VEGALITE)


def test_the_frame_matches_the_trial_data(executed):
    csv = pl.read_csv(REPO / "examples" / "actg175" / "data" / "actg175.csv")
    expected = csv.filter((pl.col("gender") == 0) & (pl.col("age") >= 40)).height
    assert outputs(executed["frame"], "text/plain")[-1] == f"({expected}, 5)"


def test_a_saved_cohort_is_reused_by_name(executed):
    assert "'artifact': 'women_over_40'" in stream(executed["reuse-cohort"])
    assert outputs(executed["reuse-cohort"], VEGALITE)


def test_the_cell_plugin_runs_and_is_exported(executed):
    assert "Plugin cd8_ratio(patients, week) is ready" in stream(executed["plugin"])
    assert "baseline_ratio" in outputs(executed["plugin-run"], "text/plain")[0]
    # A folder's plugins/; against a server, ./plugins to commit and deploy.
    product_folder = executed["__folder__"] / ("actg175" if executed["__mode__"] == "folder" else "")
    exported = product_folder / "plugins" / "cd8_ratio.py"
    assert exported.is_file() and "@plugin\ndef cd8_ratio(" in exported.read_text()
    assert "cd8_ratio" in outputs(executed["export"], "text/plain")[0]


def test_history_reruns_identically_and_the_snapshot_verifies(executed):
    assert "compare_arms@1.0.0" in outputs(executed["history"], "text/plain")[0]
    assert outputs(executed["rerun"], "text/plain")[0].endswith("'1.0.0')")
    assert "every file matches its hash" in stream(executed["verify"])


def test_the_r_cox_model_runs_where_r_is_installed(executed):
    tables = outputs(executed["cox"], "text/plain")
    if not tables:  # R is optional: the cell then says what to install
        assert "needs R and the rpy2 package" in stream(executed["cox"])
        pytest.skip("R and rpy2 are not installed here")
    assert "armsZDV+ddI" in tables[0] and "hazard_ratio" in tables[0]


def test_every_chart_shows_in_an_nbconvert_html_export(executed):
    """nbconvert's HTML has no Vega-Lite renderer: each chart carries an SVG copy it shows."""
    from nbconvert import HTMLExporter

    cells = [cell for id, cell in executed.items() if not id.startswith("__")]
    charts = sum(len(outputs(cell, VEGALITE)) for cell in cells if cell.cell_type == "code")
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.v4.new_notebook(cells=cells))
    assert charts >= 3 and html.count("<div class=\"jp-RenderedSVG") == charts
