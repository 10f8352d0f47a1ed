"""`dataproduct test`: protocol tests like a test runner; a test that needs an optional
piece that is not installed is skipped with what to install, and --strict fails it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The CLI in a Python where `import rpy2` fails, as on a machine without R or the r extra.
WITHOUT_RPY2 = "import sys; sys.modules['rpy2'] = None\nfrom jupyter_dataproduct.cli import main\nmain()\n"


def dataproduct_without_r(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_RPY2, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"})


@pytest.fixture
def actg(actg_dir, actg_product):
    actg_product.build()
    return actg_dir


def test_without_r_the_r_tests_are_skipped_with_what_to_install(actg):
    done = dataproduct_without_r("test", str(actg), "cox_model")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    skipped = [line for line in lines if line.startswith("SKIPPED cox_model@1.0.0::")]
    assert len(skipped) == 2
    assert "PASSED cox_model@1.0.0::an unknown covariate is refused before R runs" in done.stdout  # no R needed
    assert "cox_model.R is written in R, which needs R and the rpy2 package: apt-get install r-base-core r-base-dev " \
           "r-cran-survival and pip install 'jupyter-dataproduct[r]'" in done.stdout
    assert lines[-1] == "protocol tests: 1 passed, 0 failed, 2 skipped"


def test_strict_counts_skipped_tests_as_failures(actg):
    done = dataproduct_without_r("test", str(actg), "cox_model", "--strict")
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "protocol tests: 1 passed, 2 failed (2 skipped, counted as failed: --strict)"
    report = json.loads(dataproduct_without_r("test", str(actg), "cox_model", "--json").stdout)
    assert (report["passed"], report["failed"], report["skipped"]) == (1, 0, 2)
    skipped = [t for t in report["tests"] if t["skipped"]]
    assert all("r-cran-survival" in t["message"] and not t["passed"] for t in skipped)


def test_a_product_without_tests_says_so(cli, tmp_path):
    cli("init", tmp_path / "bare")
    (tmp_path / "bare" / "protocols" / "score_by_group.yaml").unlink()
    cli("build", tmp_path / "bare")
    done = cli("test", tmp_path / "bare", ok=False)
    assert "No protocol tests: write `tests:` in the protocols" in done.output
