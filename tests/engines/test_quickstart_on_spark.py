"""The quickstart notebook runs unchanged on the Spark engine, in a real kernel, and shows
what it shows on polars: the same tables and numbers (only the engine in a provenance, the
run's folder, history ids and timings differ)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
SHOWN = ("text/plain", "text/html", "application/vnd.vegalite.v5+json", "image/svg+xml")


def _execute(folder: Path, engine: str) -> nbformat.NotebookNode:
    shutil.copy(REPO / "examples" / "quickstart.ipynb", folder)
    shutil.copytree(REPO / "examples" / "actg175", folder / "actg175", ignore=shutil.ignore_patterns(".dataproduct", "cd8_ratio.py"))
    notebook = nbformat.read(folder / "quickstart.ipynb", as_version=4)
    saved = os.environ.get("DATAPRODUCT_ENGINE")
    os.environ["DATAPRODUCT_ENGINE"] = engine  # the kernel inherits it; the notebook is unchanged
    try:
        NotebookClient(notebook, timeout=600, startup_timeout=180, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
        nbformat.write(notebook, folder / "executed.ipynb")  # kept for a look when outputs differ
    finally:
        os.environ.pop("DATAPRODUCT_ENGINE") if saved is None else os.environ.__setitem__("DATAPRODUCT_ENGINE", saved)
    return notebook


Q = r"(?:&quot;|\"|')"  # a quote, in JSON, a Python repr or escaped in HTML
VOLATILE = [
    # The provenance's engine: {"name": "polars", "version": "2.1.0"} or Spark's.
    (rf"{Q}name{Q}: {Q}(?:polars|spark){Q},(\s*){Q}version{Q}: {Q}[0-9][0-9A-Za-z.+-]*{Q}", "<engine>"),
    (r"\d{8}T\d{9}-[0-9a-f]{8}", "<history id>"),
    # A progress bar's elapsed time and rate: "[00:01<00:00, 18.75step/s, published]" ("&lt;" in HTML).
    (r"\[\d\d:\d\d(?:(?:<|&lt;)(?:\d\d:\d\d|\?))?, *(?:\?|\d+(?:\.\d+)?)(?:[kMG]?(?:B|step)/s|s/(?:B|step))",
     "[<elapsed>, <rate>"),
    (r"\d+(\.\d+)? ?(ms|s|seconds)\b", "<time>"),
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?", "<timestamp>"),
]
# Numbers written at full precision (a chart's spec and SVG) agree to 1e-9, not to the last
# bit (float sums are not bit-reproducible on any multithreaded engine): compare 8 digits.
FULL_PRECISION = re.compile(r"-?\d+\.\d{7,}(?:e[+-]?\d+)?")


def _shown(notebook: nbformat.NotebookNode, folder: Path) -> dict[str, list[str]]:
    shown = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        texts = []
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":  # warnings (pyspark's about pandas), not results
                continue
            data = output.get("data", {})
            parts = [str(data[m]) for m in SHOWN if m in data] or ([output["text"]] if "text" in output else [])
            for text in parts:
                text = text.replace(str(folder), "<folder>")
                for pattern, replacement in VOLATILE:
                    text = re.sub(pattern, replacement, text)
                text = FULL_PRECISION.sub(lambda m: format(float(m.group()), ".8g"), text)
                texts.append(text)
        shown[cell.id] = texts
    return shown


def test_the_quickstart_shows_the_same_on_spark_as_on_polars(spark, tmp_path):
    polars_folder, spark_folder = tmp_path / "polars", tmp_path / "spark"
    polars_folder.mkdir(), spark_folder.mkdir()
    on_polars = _execute(polars_folder, "polars")
    on_spark = _execute(spark_folder, os.environ.get("DATAPRODUCT_ENGINE") or "spark-local[2]")
    errors = [o for c in on_spark.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    expected, got = _shown(on_polars, polars_folder), _shown(on_spark, spark_folder)
    assert list(got) == list(expected)
    differing = [cell for cell in got if got[cell] != expected[cell]]
    assert differing == [], {cell: (got[cell], expected[cell]) for cell in differing}
