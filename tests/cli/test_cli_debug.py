"""Errors are one line by default; `dataproduct --debug` adds the traceback, as the magic's does."""

from __future__ import annotations

from click.testing import CliRunner

from jupyter_dataproduct.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_an_error_is_one_message_and_debug_adds_the_traceback(tiny_dir):
    plain = run("run", tiny_dir, "nothing")
    assert plain.exit_code == 1 and "Error: No protocol 'nothing'" in plain.output
    assert "Traceback" not in plain.output
    debug = run("--debug", "run", tiny_dir, "nothing")
    assert debug.exit_code == 1 and "Error: No protocol 'nothing'" in debug.output
    assert "Traceback (most recent call last)" in debug.output and "ProtocolNotFoundError" in debug.output


def test_an_unexpected_failure_is_reported_without_a_traceback_unless_asked(tiny_dir):
    broken = tiny_dir / ".dataproduct" / "snapshots" / ("0" * 64)
    broken.mkdir(parents=True)
    (broken / "snapshot.json").write_text("[]")  # valid JSON, not a snapshot: nothing expects this
    plain = run("snapshots", tiny_dir)
    assert plain.exit_code == 2 and isinstance(plain.exception, SystemExit)
    assert "Internal error" in plain.output and "--debug" in plain.output and "Traceback" not in plain.output
    debug = run("--debug", "snapshots", tiny_dir)
    assert debug.exit_code == 2 and "Traceback (most recent call last)" in debug.output
