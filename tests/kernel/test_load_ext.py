"""``%load_ext jupyter_dataproduct`` imports only what a kernel needs."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("jupyterlab", "jupyter_server", "notebook", "starlette", "uvicorn", "httpx", "tornado",
         "scipy", "rpy2", "pandas", "nbclient", "pyarrow", "numpy",
         "polars", "pydantic", "yaml")  # the client's own stack: imported after the cell, in a thread

PROBE = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
start = time.perf_counter()
shell.run_line_magic("load_ext", "jupyter_dataproduct")
seconds = time.perf_counter() - start
loaded = sorted({m.split(".")[0] for m in set(sys.modules) - before})
print(json.dumps({"seconds": seconds, "loaded": loaded,
                  "magic": "dataproduct" in shell.magics_manager.magics["line"]}))
"""


def test_loading_the_extension_imports_no_server_lab_or_statistics_stack():
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["magic"] is True
    heavy = [m for m in report["loaded"] if m in HEAVY]
    assert heavy == [], f"%load_ext imported {heavy}"


PRELOAD = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("%load_ext jupyter_dataproduct")
magics = shell.magics_manager.registry["DataProductMagics"]
done = magics.preload.wait(120)
print(json.dumps({"done": done, "failed": magics.preload.failed,
                  "client": "jupyter_dataproduct.client.product" in sys.modules, "polars": "polars" in sys.modules}))
"""


def test_after_the_load_cell_a_thread_imports_the_client_for_the_next_cells():
    out = subprocess.run([sys.executable, "-c", PRELOAD], check=True, capture_output=True, text=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {"done": True, "failed": {}, "client": True, "polars": True}
