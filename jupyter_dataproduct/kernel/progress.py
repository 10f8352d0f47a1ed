"""Progress bars for long work started from a notebook (tqdm: widget if available, else text)."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from ..core.progress import bar_updater


@contextlib.contextmanager
def notebook_progress(enabled: bool = True, description: str = "build") -> Iterator[Any]:
    if not enabled:
        yield None
        return
    try:
        import ipywidgets  # noqa: F401

        from tqdm.notebook import tqdm
    except ImportError:
        from tqdm import tqdm
    bar = tqdm(total=1, desc=description, unit="step")
    try:
        yield bar_updater(bar)
    finally:
        bar.close()
