"""Warm-ups: import what the next cells need while the person types.

After the first cell (any cell: usually ``%load_ext`` itself), the client: the subcommands,
polars, the manifest model - what ``%dataproduct connect`` needs, left out of ``%load_ext``
so that it returns at once.

A first ``%dataproduct run`` in a fresh kernel pays imports (scipy's special functions, the
engine's algorithms and charts: seconds on a busy machine) that ``%load_ext`` leaves out to
stay cheap. Once a cell has connected a product, a daemon thread imports them; the kernel
is idle between cells, so the thread usually finishes before the next cell runs. Python's
per-module import locks make a cell that needs a module mid-import wait for it, never
import it twice. Only imports happen in the thread: no product state is touched.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any

# What a first local run imports beyond the client (measured with python -X importtime).
LOCAL_RUN_MODULES = (
    "jupyter_dataproduct.core.product",
    "jupyter_dataproduct.core.history",
    "jupyter_dataproduct.core.builtins",
    "jupyter_dataproduct.core.algorithms.compare",
    "jupyter_dataproduct.core.algorithms.survival",
    "jupyter_dataproduct.core.algorithms.summary",
    "scipy.special",  # the tests' distributions (core/algorithms/distributions.py); not scipy.stats
)


# What the first %dataproduct connect, run and completion import (python -X importtime).
CLIENT_MODULES = (
    "jupyter_dataproduct.kernel.cmd.connect",
    "jupyter_dataproduct.kernel.cmd.run",
    "jupyter_dataproduct.client.product",
    "jupyter_dataproduct.contract.transport",
    "jupyter_dataproduct.core.product",
)


class WarmUp:
    """Starts the imports once, after the first cell that leaves a local product connected
    (``local_only=False``: after the first cell)."""

    def __init__(self, ipython: Any, products: Any, modules: tuple[str, ...] = LOCAL_RUN_MODULES,
                 local_only: bool = True, delay: float = 0.0) -> None:
        self.ipython = ipython
        self.products = products  # () -> the connected products (DataProduct objects)
        self.modules = modules
        self.local_only = local_only
        self.delay = delay  # seconds to let the kernel send the cell's reply before importing (GIL)
        self.thread: threading.Thread | None = None
        self.failed: dict[str, str] = {}

    def install(self) -> None:
        self.ipython.events.register("post_run_cell", self.after_cell)

    def after_cell(self, *_: Any) -> None:
        if self.thread is not None or self.local_only and not any(p.is_local for p in self.products()):
            return  # remote products run on their server: nothing to import here
        self.ipython.events.unregister("post_run_cell", self.after_cell)
        self.thread = threading.Thread(target=self._import_all, name="dataproduct-warm-up", daemon=True)
        self.thread.start()

    def _import_all(self) -> None:
        if self.delay:
            time.sleep(self.delay)
        for module in self.modules:
            try:
                importlib.import_module(module)
            except Exception as error:  # noqa: BLE001 - a warm-up never breaks the kernel; the run reports it
                self.failed[module] = repr(error)

    def wait(self, timeout: float | None = None) -> bool:
        """True once the imports are done (for tests and benchmarks)."""
        if self.thread is None:
            return False
        self.thread.join(timeout)
        return not self.thread.is_alive()
