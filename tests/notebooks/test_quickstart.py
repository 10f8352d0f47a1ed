"""The quickstart notebook, executed top to bottom by a real Jupyter kernel (nbclient)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
VEGALITE = "application/vnd.vegalite.v5+json"


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    """The quickstart run on a copy of examples/ (so its exports and saves stay there)."""
    folder = tmp_path_factory.mktemp("quickstart")
    shutil.copy(REPO / "examples" / "quickstart.ipynb", folder)
    shutil.copytree(REPO / "examples" / "actg175", folder / "actg175", ignore=shutil.ignore_patterns(".dataproduct", "cd8_ratio.py"))
    notebook = nbformat.read(folder / "quickstart.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    cells = {cell.id: cell for cell in notebook.cells}
    cells["__folder__"] = folder  # type: ignore[assignment]
    return cells


def outputs(cell, mime: str) -> list:
    return [o["data"][mime] for o in cell.outputs if "data" in o and mime in o["data"]]


def stream(cell, name: str = "stdout") -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == name)


def test_no_cell_fails(executed):
    errors = [(id, o) for id, cell in executed.items() if id != "__folder__" for o in getattr(cell, "outputs", []) if o["output_type"] == "error"]
    assert errors == []


def test_the_product_shows_as_a_card(executed):
    html = outputs(executed["connect"], "text/html")[0]
    assert "actg175" in html and "compare_arms" in html


def test_the_build_shows_progress_and_returns_the_snapshot(executed):
    cell = executed["build"]
    widget = outputs(cell, "application/vnd.jupyter.widget-view+json")
    assert widget or "published" in stream(cell, "stderr")
    assert "patients=2,139" in outputs(cell, "text/plain")[-1]


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
    assert outputs(executed["frame"], "text/plain")[0] == f"({expected}, 5)"


def test_a_saved_cohort_is_reused_by_name(executed):
    assert "'artifact': 'women_over_40'" in stream(executed["reuse-cohort"])
    assert outputs(executed["reuse-cohort"], VEGALITE)


def test_the_cell_plugin_runs_and_is_exported(executed):
    assert "Plugin cd8_ratio(patients, week) is ready" in stream(executed["plugin"])
    assert "baseline_ratio" in outputs(executed["plugin-run"], "text/plain")[0]
    exported = executed["__folder__"] / "actg175" / "plugins" / "cd8_ratio.py"
    assert exported.is_file() and "@plugin\ndef cd8_ratio(" in exported.read_text()
    assert "cd8_ratio" in outputs(executed["export"], "text/plain")[0]


def test_history_reruns_identically_and_the_snapshot_verifies(executed):
    assert "cd8_ratio@plugin" in outputs(executed["history"], "text/plain")[0]
    assert outputs(executed["rerun"], "text/plain")[0].endswith("'1.0.0')")
    assert "every file matches its hash" in stream(executed["verify"])
