"""After the first connect, a background thread imports what a first run needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "jupyter_dataproduct")
warm_up = shell.magics_manager.registry["DataProductMagics"].warm_up
shell.run_cell("x = 1")
before_connect = {"started": warm_up.thread is not None, "scipy": "scipy.special" in sys.modules}
shell.run_cell("%dataproduct connect " + sys.argv[1])
done = warm_up.wait(300)
print(json.dumps({"before_connect": before_connect, "done": done, "failed": warm_up.failed,
                  "scipy": "scipy.special" in sys.modules, "scipy_stats": "scipy.stats" in sys.modules,
                  "builtins": "jupyter_dataproduct.core.builtins" in sys.modules,
                  "hooked": warm_up.after_cell in shell.events.callbacks["post_run_cell"]}))
"""


def test_connecting_a_local_product_imports_the_statistics_stack_in_the_background(actg_dir: Path):
    out = subprocess.run([sys.executable, "-c", PROBE, str(actg_dir)], check=True, capture_output=True,
                         text=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["before_connect"] == {"started": False, "scipy": False}  # nothing before a product
    assert report["done"] is True and report["failed"] == {}
    assert report["scipy"] and report["builtins"]
    assert report["scipy_stats"] is False  # a first run does not need it (core/algorithms/distributions.py)
    assert report["hooked"] is False  # once only: the cell hook is removed when the thread starts


def test_a_module_failing_to_import_is_recorded_not_raised(ip, actg_dir: Path):
    from jupyter_dataproduct.kernel.warmup import WarmUp

    magics = ip.magics_manager.registry["DataProductMagics"]
    warm_up = WarmUp(ip, lambda: magics.session.products.values(), modules=("no_such_module_for_warm_up", "json"))
    warm_up.install()
    try:
        ip.run_cell(f"%dataproduct connect {actg_dir}")
        assert warm_up.wait(60)
        assert list(warm_up.failed) == ["no_such_module_for_warm_up"]
        assert "ModuleNotFoundError" in warm_up.failed["no_such_module_for_warm_up"]
    finally:
        if warm_up.after_cell in ip.events.callbacks["post_run_cell"]:
            ip.events.unregister("post_run_cell", warm_up.after_cell)
