"""Tab completion of ``%dataproduct`` lines, through IPython's own completer (what a
kernel answers a frontend's complete request with) and through a real kernel."""

from __future__ import annotations

import json
import keyword
import subprocess
import sys

import pytest
from IPython.core.completer import provisionalcompleter

from jupyter_dataproduct.core.product import Product


def complete(ip, line: str) -> list[tuple[str, str, int]]:
    """(text, type, start) of each completion IPython offers with the cursor at the end."""
    with provisionalcompleter():
        return [(c.text, c.type, c.start) for c in ip.Completer.completions(line, len(line))]


def texts(ip, line: str) -> list[str]:
    return [text for text, _, _ in complete(ip, line)]


@pytest.fixture
def connected(ip, actg_dir):
    """A fresh copy of the example product, just connected (nothing read for completion yet)."""
    ip.run_line_magic("dataproduct", f"connect {actg_dir}")
    return actg_dir


def test_the_product_is_read_once_per_cell_not_per_keystroke(ip, connected, monkeypatch):
    """The first completion reads the product's protocols; the keystrokes after it are served
    from memory until a cell runs (it may add a protocol). Timing: bench/bench_completion.py."""
    transport = ip.magics_manager.registry["DataProductMagics"].product(None)._transport
    reads = []
    read_protocols = transport.protocols
    monkeypatch.setattr(transport, "protocols", lambda: reads.append(1) or read_protocols())
    for line in ("%dataproduct run ", "%dataproduct run c", "%dataproduct run co", "%dataproduct run compare_arms "):
        assert complete(ip, line)
    assert [t for t, kind, _ in complete(ip, "%dataproduct run ") if kind == "protocol"][:2] == ["arm_profile", "baseline_summary"]
    assert len(reads) == 1
    ip.run_cell("x = 1")
    complete(ip, "%dataproduct run ")
    assert len(reads) == 2


FIRST_COMPLETION = """
import json, sys
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("%load_ext jupyter_dataproduct")
magics = shell.magics_manager.registry["DataProductMagics"]
shell.events.unregister("post_run_cell", magics.warm_up.after_cell)  # its imports are not the completion's
magics.preload.wait(120)
shell.run_cell("%dataproduct connect " + sys.argv[1])
before = set(sys.modules)
with provisionalcompleter():
    offered = [c.text for c in shell.Completer.completions("%dataproduct run ", len("%dataproduct run "))]
print(json.dumps({"offered": offered[:2], "imported": sorted(set(sys.modules) - before)}))
"""
NOT_FOR_COMPLETION = ("scipy", "numpy", "pyarrow", "pandas", "jupyter_dataproduct.core.algorithms",
                      "jupyter_dataproduct.core.history", "jupyter_dataproduct.server", "starlette", "uvicorn", "httpx")


def test_the_first_completion_in_a_fresh_kernel_imports_nothing_heavy(connected):
    out = subprocess.run([sys.executable, "-c", FIRST_COMPLETION, str(connected)], check=True, capture_output=True,
                         text=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["offered"] == ["arm_profile", "baseline_summary"]
    assert [m for m in report["imported"] if m.startswith(NOT_FOR_COMPLETION)] == []


def test_protocols_then_plugins_then_built_ins_and_no_python_names(ip, connected):
    offered = complete(ip, "%dataproduct run ")
    kinds = [kind for _, kind, _ in offered]
    assert kinds == sorted(kinds, key=["protocol", "plugin", "built-in"].index)  # in that order
    assert ("cox_model", "protocol") in [(t, k) for t, k, _ in offered] and ("summary", "built-in") in [(t, k) for t, k, _ in offered]
    assert not [t for t, _, _ in offered if keyword.iskeyword(t) or t in ("abs", "print", "%", "dataproduct", "run")]
    assert texts(ip, "r = %dataproduct run su") == ["survival", "summary"]


def test_parameter_names_follow_the_protocol_without_those_given(ip, connected):
    assert texts(ip, "%dataproduct run compare_arms ") == ["cohort_a=", "cohort_b=", "variables="]
    assert texts(ip, "%dataproduct run compare_arms cohort_a=\"arms == 0\" co") == ["cohort_b="]
    assert texts(ip, "%dataproduct run compare_arms -o r --snapshot latest va") == ["variables="]


def test_values_columns_choices_and_saved_cohorts(ip, connected):
    # A column of the parameter's entity, of the types the protocol allows (arm_profile wants numbers).
    Product.open(connected).build()
    numbers = texts(ip, "%dataproduct run arm_profile variable=")
    assert "cd40" in numbers and "age" in numbers and "arms" not in numbers
    assert texts(ip, "%dataproduct run compare_arms variables=age,cd4") == ["cd40", "cd420", "cd496", "cd4_change_20"]
    offered = complete(ip, "%dataproduct run compare_arms variables=age,cd4")
    assert offered[0][2] == len("%dataproduct run compare_arms variables=age,")  # replaces only "cd4"
    assert texts(ip, "%dataproduct run cd4_response week=") == ["20", "96"]
    ip.run_cell('%dataproduct save --cohort "age >= 50" --entity patients older')  # the next cell sees it
    offered = complete(ip, "%dataproduct run survival cohort=@")
    assert offered == [("@older", "cohort", len("%dataproduct run survival cohort="))]
    assert texts(ip, "%dataproduct run survival cohort=ag") == ["age"]


def test_subcommands_entities_and_folders(ip, connected, monkeypatch):
    assert texts(ip, "%dataproduct sn") == ["snapshot", "snapshots"]
    assert texts(ip, "%dataproduct frame la") == ["labs"]
    assert texts(ip, "%dataproduct snapshot ") == ["build", "use", "verify", "diff", "tag"]
    monkeypatch.chdir(connected.parent)
    assert complete(ip, "%dataproduct connect ac") == [("actg175", "product", len("%dataproduct connect "))]


def test_inside_a_quoted_expression_nothing_foreign_is_offered(ip, connected):
    assert texts(ip, "%dataproduct run survival cohort=\"age >= 4") in ([], ["\"age >= 4"])
    assert texts(ip, "%dataproduct run survival group=arms ") == ["cohort="]


def test_other_lines_complete_as_python(ip, connected):
    assert "print" in texts(ip, "pri")


def test_a_real_kernel_answers_with_our_candidates_only(connected):
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=180)
    try:
        client.execute_interactive(f"%load_ext jupyter_dataproduct\nproduct = %dataproduct connect {connected}", timeout=60)
        reply = client.complete("%dataproduct run ", reply=True, timeout=30)["content"]
        assert reply["status"] == "ok" and reply["matches"][:2] == ["arm_profile", "baseline_summary"]
        assert not [m for m in reply["matches"] if keyword.iskeyword(m)]
        types = {c["text"]: c["type"] for c in reply["metadata"]["_jupyter_types_experimental"]}
        assert types["compare_arms"] == "protocol"
        code = "%dataproduct run compare_arms cohort_a=arms"
        reply = client.complete(code, reply=True, timeout=30)["content"]
        assert reply["matches"] == ["arms"] and reply["cursor_start"] == len(code) - len("arms")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_without_a_connection_nothing_foreign_is_offered(ip):
    assert texts(ip, "%dataproduct run ") in ([], [""])
    assert texts(ip, "%dataproduct run su") == ["su"]  # the typed word kept: no Python names
