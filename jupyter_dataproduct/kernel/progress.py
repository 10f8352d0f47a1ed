"""Progress bars for long work started from a notebook (a widget in Jupyter, text elsewhere)."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from ..core.progress import bar_updater


@contextlib.contextmanager
def notebook_progress(enabled: bool = True, description: str = "build", unit: str = "step") -> Iterator[Any]:
    if not enabled:
        yield None
        return
    # tqdm.auto: a widget in a Jupyter kernel with ipywidgets, text in a terminal IPython.
    from tqdm.auto import tqdm

    bar = tqdm(total=None if unit == "B" else 1, desc=description, unit=unit, unit_scale=unit == "B")
    try:
        yield bar_updater(bar)
    finally:
        bar.close()
