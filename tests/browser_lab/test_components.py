"""The labextension's own unit tests (jest): the code generator's quoting of every parameter
type, read back by Python's shlex and the kernel's assignment parser, and the cohort
builder's tree <-> text round trip, checked against the Python cohort parser."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from pathlib import Path

LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"


@pytest.mark.slow
def test_jest_suite_passes():
    if not (LABEXTENSION / "node_modules" / ".bin" / "jest").exists():
        pytest.fail("labextension/node_modules is missing: run `npm ci` in labextension/ (.ci/run does).")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(LABEXTENSION.parent), os.environ.get("PYTHONPATH")])),
           "CI": "true"}
    npx = shutil.which("npx")
    assert npx, "node (npx) is needed for the labextension's tests"
    run = subprocess.run([npx, "jest", "--ci"], cwd=LABEXTENSION, env=env, capture_output=True, text=True, timeout=600)
    summary = [line for line in run.stderr.splitlines() if line.startswith(("Tests:", "Test Suites:"))]
    assert run.returncode == 0, run.stderr[-4000:]
    assert summary and "failed" not in " ".join(summary), summary
