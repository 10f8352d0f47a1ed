"""``%dataproduct test [PROTOCOL]``: a product folder's protocol tests, from the notebook."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from jupyter_dataproduct.core.product import Product


@pytest.fixture
def actg(actg_dir):
    Product.open(actg_dir).build()
    return actg_dir


def test_a_protocols_tests_run_and_are_reported(run, actg, capsys):
    run(f"%dataproduct connect {actg}")
    run("%dataproduct test cd4_response")
    out = capsys.readouterr().out
    assert "PASSED cd4_response@1.0.0::four arms, rates between 0 and 1" in out
    assert "protocol tests: 2 passed, 0 failed" in out


def test_a_failing_test_fails_the_cell_naming_it(run, actg):
    protocol = actg / "protocols" / "cd4_response.yaml"
    protocol.write_text(protocol.read_text().replace("response: {rows: 4,", "response: {rows: 5,"))
    run(f"%dataproduct connect {actg}")
    with pytest.raises(UsageError, match=r"protocol tests: 1 passed, 1 failed: cd4_response@1.0.0::four arms"):
        run("%dataproduct test cd4_response")


def test_an_unknown_protocol_has_no_tests(run, actg):
    run(f"%dataproduct connect {actg}")
    with pytest.raises(UsageError, match="No protocol tests of .nope. \\(is the name right"):
        run("%dataproduct test nope")
