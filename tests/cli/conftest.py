"""The ``cli`` fixture: run ``dataproduct ...`` in process and check its exit code."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from jupyter_dataproduct.cli import main


@pytest.fixture
def cli():
    """``cli("run", path, "survival")``; ``ok=False`` expects a clean non-zero exit (no crash)."""
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(main, [str(a) for a in args])
        if ok:
            assert result.exit_code == 0, result.output + str(result.exception)
        else:
            assert result.exit_code != 0, result.output
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    return invoke
