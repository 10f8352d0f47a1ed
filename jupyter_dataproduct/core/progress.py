"""Progress reporting for long work, independent of how it is shown.

Core functions take an optional ``progress`` callback and call it with
:class:`ProgressEvent` values; the CLI renders them with tqdm on the terminal, the kernel
with a notebook progress bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass(frozen=True)
class ProgressEvent:
    done: int
    total: int
    message: str


ProgressCallback = Optional[Callable[[ProgressEvent], None]]


class Steps:
    """Counts finished steps of a job with a known number of steps."""

    def __init__(self, total: int, callback: ProgressCallback) -> None:
        self.total = total
        self.done = 0
        self._callback = callback

    def begin(self, message: str) -> None:
        if self._callback:
            self._callback(ProgressEvent(self.done, self.total, message))

    def finish(self, message: str) -> None:
        self.done += 1
        if self._callback:
            self._callback(ProgressEvent(self.done, self.total, message))


def bar_updater(bar: Any) -> Callable[[ProgressEvent], None]:
    """A progress callback that drives a tqdm-style bar (terminal or notebook)."""

    def update(event: ProgressEvent) -> None:
        bar.total = event.total or None  # 0: not known (a stream without a length)
        bar.n = event.done
        bar.set_postfix_str(event.message, refresh=False)
        bar.refresh()

    return update
