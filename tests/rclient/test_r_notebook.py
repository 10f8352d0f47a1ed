"""examples/quickstart-r.ipynb, executed top to bottom by a real R kernel (IRkernel)
against ``dataproduct serve``, with the R package from a temporary library."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
VEGALITE = "application/vnd.vegalite.v5+json"


@pytest.fixture(scope="module")
def executed(r_env, tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    folder = tmp_path_factory.mktemp("quickstart-r")
    shutil.copy(REPO / "examples" / "quickstart-r.ipynb", folder)
    notebook = nbformat.read(folder / "quickstart-r.ipynb", as_version=4)
    environment = {key: r_env[key] for key in ("R_LIBS", "DATAPRODUCT_URL", "DATAPRODUCT_TOKEN")}
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)  # the kernel inherits it
    try:
        NotebookClient(notebook, timeout=300, startup_timeout=180, kernel_name="ir", resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    return {cell.id: cell for cell in notebook.cells}


def outputs(cell, mime: str) -> list:
    return [o["data"][mime] for o in cell.outputs if "data" in o and mime in o["data"]]


def stream(cell) -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stdout")


def test_the_notebook_runs_on_the_r_kernel_without_errors(executed):
    errors = [(cell_id, o.get("evalue")) for cell_id, cell in executed.items() for o in cell.get("outputs", [])
              if o["output_type"] == "error"]
    assert errors == []
    assert "actg175 1.0.0: ACTG 175 clinical trial" in outputs(executed["connect"], "text/plain")[0]


def test_protocols_are_listed_and_described(executed):
    assert "compare_arms" in outputs(executed["protocols"], "text/plain")[0]
    assert "cohort_a (cohort)" in outputs(executed["describe"], "text/plain")[0]


def test_the_comparison_is_a_table_and_a_vega_lite_chart(executed):
    assert "cd4_change_20" in outputs(executed["compare"], "text/plain")[0]
    chart = outputs(executed["compare-chart"], VEGALITE)[0]
    assert chart["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5") and chart["data"]["values"]


def test_survival_reports_the_trials_log_rank_test_and_draws_the_curves(executed):
    text = stream(executed["survival"])
    assert text.startswith("log-rank chi-square ")
    assert float(text.split()[2].rstrip(",")) > 40  # the four arms differ clearly
    png = outputs(executed["survival-plot"], "image/png")
    assert png and len(png[0]) > 10_000  # a drawn plot, not an empty device


def test_the_frame_matches_the_trial_data_and_dplyr_gives_the_same(executed):
    csv = pl.read_csv(REPO / "examples" / "actg175" / "data" / "actg175.csv")
    expected = csv.filter((pl.col("gender") == 0) & (pl.col("age") >= 40)).height
    assert f"'data.frame':\t{expected} obs. of  5 variables" in stream(executed["frame"])
    assert "Factor w/ 4 levels" in stream(executed["frame"])
    assert outputs(executed["dplyr"], "text/plain") == ["[1] TRUE"]


def test_saved_artifacts_are_listed_and_the_cohort_is_reused(executed):
    listed = outputs(executed["save"], "text/plain")[-1]
    assert "women_over_40_r" in listed and "survival_by_arm_r" in listed
    csv = pl.read_csv(REPO / "examples" / "actg175" / "data" / "actg175.csv")
    women = csv.filter((pl.col("gender") == 0) & (pl.col("age") >= 40)).height
    assert stream(executed["reuse"]) == f"{women} women aged 40 or more\n"  # the saved cohort, by name
    assert "ZDV+ddI" in outputs(executed["reuse"], "text/plain")[0]


def test_history_lists_the_runs_and_a_rerun_is_identical(executed):
    assert "survival@1.0.0" in outputs(executed["history"], "text/plain")[0]
    assert outputs(executed["rerun"], "text/plain") == ["[1] TRUE"]
