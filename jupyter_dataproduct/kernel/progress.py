"""Progress bars for long work started from a notebook.

In a Jupyter kernel the bar is one display output updated in place (``update_display_data``),
not a widget: the notebook file then holds the bar's last state, so a saved or nbconvert-run
notebook shows "100% 5/5 ... published" where a widget would show its text from the moment
it was created (widget state is not saved by default). Elsewhere (a terminal IPython) it is
tqdm's text bar on stderr, like the CLI's.
"""

from __future__ import annotations

import contextlib
import html
import time
from typing import Any, Callable, Iterator

from ..core.progress import ProgressEvent, bar_updater

# At most this many updates a second reach the front end: a frame's bytes arrive in many pieces.
UPDATES_PER_SECOND = 10


class DisplayedProgress:
    """A progress callback that draws its bar as a display output and redraws it in place.

    A ``lazy`` bar shows only once the work reports being under way: a transfer that is
    over at its first report (a small answer) leaves no bar behind."""

    def __init__(self, description: str, unit: str, display: Callable[..., Any], lazy: bool = False) -> None:
        self.description = description
        self.unit = unit
        self._display = display
        self._started = self._last_drawn = time.monotonic()
        self._event = ProgressEvent(0, 0 if unit == "B" else 1, "")
        self._handle = None if lazy else display(self, display_id=True)
        self._drawn = self._event

    def __call__(self, event: ProgressEvent) -> None:
        self._event = event
        now = time.monotonic()
        finished = bool(event.total) and event.done >= event.total
        if self._handle is None:
            if finished:
                return
            self._handle = self._display(self, display_id=True)
            self._last_drawn, self._drawn = now, event
        elif finished or now - self._last_drawn >= 1 / UPDATES_PER_SECOND:
            self._last_drawn = now
            self._draw()

    def close(self, stopped_by: BaseException | None = None) -> None:
        """Draw the last state unless it shows already; a bar stopped by an error says so
        instead of looking finished."""
        if self._handle is None:
            return
        if stopped_by is not None:
            self._event = ProgressEvent(self._event.done, self._event.total,
                                        f"stopped: {type(stopped_by).__name__}")
        if self._event != self._drawn:
            self._draw()

    def _draw(self) -> None:
        self._drawn = self._event
        self._handle.update(self)

    @property
    def text(self) -> str:
        event = self._event
        return _meter(self.description, event, time.monotonic() - self._started, self.unit)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        event, text = self._event, self.text
        known = f' max="{event.total}" value="{min(event.done, event.total)}"' if event.total else ""
        picture = (f'<div class="jp-DataProduct-progress-output"><progress{known}></progress> '
                   f"<code>{html.escape(text)}</code></div>")
        return {"text/plain": text, "text/html": picture}


# Bytes read "4.20MB of 17.6MB": tqdm's own count leaves the unit off when the total is known.
BYTES_OF_TOTAL = "{desc}: {percentage:3.0f}% {n_fmt}B of {total_fmt}B [{elapsed}<{remaining}, {rate_fmt}{postfix}]"


def _meter(description: str, event: ProgressEvent, elapsed: float, unit: str) -> str:
    from tqdm import tqdm  # its wording of counts, sizes, rates and times, as in the terminal

    if unit == "B":
        # The count says it all; an event's message ("4 MB") would repeat it.
        stopped = event.message if event.message.startswith("stopped") else None
        if event.total:  # (tqdm ignores a bar_format when ncols is 0)
            return tqdm.format_meter(event.done, event.total, elapsed, prefix=description, unit="B",
                                     unit_scale=True, postfix=stopped, bar_format=BYTES_OF_TOTAL)
        return tqdm.format_meter(event.done, event.total or None, elapsed, ncols=0, prefix=description, unit="B",
                                 unit_scale=True, postfix=stopped)
    return tqdm.format_meter(event.done, event.total or None, elapsed, ncols=0, prefix=description, unit=unit,
                             postfix=event.message or None)


def _in_a_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


@contextlib.contextmanager
def notebook_progress(enabled: bool = True, description: str = "build", unit: str = "step",
                      lazy: bool = False) -> Iterator[Any]:
    """A progress callback for the work in the ``with`` block (None when disabled); ``lazy``:
    in a notebook, shown only if the work reports being under way (see DisplayedProgress)."""
    if not enabled:
        yield None
        return
    if _in_a_kernel():
        from IPython.display import display

        bar = DisplayedProgress(description, unit, display, lazy=lazy)
        try:
            yield bar
        except BaseException as error:
            bar.close(stopped_by=error)
            raise
        bar.close()
        return
    from tqdm import tqdm

    # A lazy text bar waits half a second before it shows: a quick answer prints nothing.
    text_bar = tqdm(total=None if unit == "B" else 1, desc=description, unit=unit, unit_scale=unit == "B",
                    delay=0.5 if lazy else 0)
    try:
        yield bar_updater(text_bar)
    finally:
        text_bar.close()


@contextlib.contextmanager
def answer_progress(magics: Any, product: Any, description: str) -> Iterator[None]:
    """While a command waits for a server's answer (a result, an artifact): a bar of the bytes
    arriving, shown only when the answer is large enough to take a while."""
    if product.is_local or not magics.show_progress:
        yield
        return
    from ..client.remote import answers_progress

    with notebook_progress(description=description, unit="B", lazy=True) as progress, answers_progress(progress):
        yield
