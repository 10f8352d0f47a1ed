"""Tab completion of ``%dataproduct`` lines, through IPython's own completer (what a
kernel answers a frontend's complete request with) and through a real kernel."""

from __future__ import annotations

import keyword
import time

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


def test_the_first_completion_after_run_takes_under_100_ms(ip, connected):
    started = time.perf_counter()
    offered = complete(ip, "%dataproduct run ")
    elapsed = time.perf_counter() - started
    assert [t for t, kind, _ in offered if kind == "protocol"][:2] == ["arm_profile", "baseline_summary"]
    assert elapsed < 0.100, f"first completion took {elapsed * 1000:.0f} ms"


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

    manager, client = start_new_kernel(kernel_name="python3")
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
