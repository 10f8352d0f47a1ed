"""The R client's testthat tests, run by R against a real ``dataproduct serve``.

Each file of ``clients/r/dataproduct/tests/testthat`` is one pytest test, so CI's summary
names it; a failure shows testthat's report.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

TEST_DIR = Path(__file__).resolve().parents[2] / "clients" / "r" / "dataproduct" / "tests" / "testthat"
R_FILES = sorted(p.stem.removeprefix("test-") for p in TEST_DIR.glob("test-*.R"))

RUNNER = """
results <- testthat::test_dir(Sys.getenv("R_TEST_DIR"), filter = Sys.getenv("R_TEST_FILTER"),
                              reporter = testthat::CheckReporter$new(), stop_on_failure = FALSE,
                              package = "dataproduct", load_package = "installed")
summary <- as.data.frame(results)
jsonlite::write_json(list(expectations = sum(summary$nb), failed = sum(summary$failed),
                          skipped = sum(summary$skipped), errors = sum(summary$error),
                          tests = nrow(summary)), Sys.getenv("R_TEST_SUMMARY"), auto_unbox = TRUE)
"""


def test_there_are_r_tests():
    assert {"connect", "protocols", "frame", "dplyr", "store"} <= set(R_FILES)


@pytest.mark.parametrize("name", R_FILES)
def test_testthat_file_passes(name, r_env, tmp_path):
    summary_file = tmp_path / "summary.json"
    environment = {**r_env, "R_TEST_DIR": str(TEST_DIR), "R_TEST_FILTER": f"^{name}$", "R_TEST_SUMMARY": str(summary_file)}
    done = subprocess.run(["Rscript", "-e", RUNNER], env=environment, capture_output=True, text=True, timeout=600)
    report = f"testthat ({name}) said:\n{done.stdout[-6000:]}\n{done.stderr[-4000:]}"
    assert done.returncode == 0 and summary_file.exists(), report
    summary = json.loads(summary_file.read_text())
    assert summary["tests"] > 0 and summary["expectations"] > 0, report
    assert (summary["failed"], summary["errors"], summary["skipped"]) == (0, 0, 0), report
