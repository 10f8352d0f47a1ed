"""A real ``jupyter lab`` process and a real Chromium, shared by the browser test folders.

Both are always stopped. Playwright's sync API holds an event loop in the thread that
uses it, so a browser lives for one test module at most: later tests (``asyncio.run``,
pytest-jupyter) must not find a running loop.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "output" / "screenshots"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def lab_process(command: list[str], *, cwd: Path, env: dict[str, str], log: Path, ready: str,
                token: str, timeout: float = 180) -> Iterator[subprocess.Popen]:
    """Run ``command`` (a ``jupyter lab``) until ``ready`` (a URL) answers 200 with ``token``;
    fail with the end of its log if it does not start. The process is always stopped."""
    with open(log, "w") as log_file:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(ready, headers={"Authorization": f"token {token}"}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright (which never downloads a browser here)."""
    from playwright.sync_api import expect, sync_playwright

    # expect() waits 5 s by default (page.set_default_timeout does not apply to it): a loaded
    # CI machine can take longer to render what a test waits for. A passing check returns early.
    expect.set_options(timeout=30_000)
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def wait_for_lab(page) -> None:
    """Wait until the JupyterLab in ``page`` has started, restored its layout and opened what it
    opens at start. With an empty main area it opens a Launcher once its file browser has
    restored, which can come after ``restored`` and after the network went quiet on a loaded
    machine; activating it takes the keyboard focus, from a test that had already put it
    somewhere (a focus test failed on that once in CI)."""
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=90_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    page.wait_for_function("() => !window.jupyterapp.shell.isEmpty('main')", timeout=90_000)
    # The activation is a Lumino message, delivered on an animation frame: let it be handled.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_load_state("networkidle")


PANEL = "#jp-dataproduct-panel"

# The notebook on screen. A test module's Lab keeps one workspace, so a page restores the notebooks
# earlier tests opened as hidden tabs, whose cells and results are in the page too (CI once waited
# for a hidden notebook's result to show).
SHOWN_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden):not([aria-hidden='true']) .jp-Notebook"


def open_panel(page):
    """Show the Data Products panel (click its sidebar tab unless it shows) and return it."""
    from playwright.sync_api import expect

    tab = page.locator('.jp-SideBar [data-id="jp-dataproduct-panel"]')
    expect(tab).to_be_visible()
    if not page.locator(PANEL).is_visible():
        tab.click()
    expect(page.locator(PANEL)).to_be_visible()
    return page.locator(PANEL)
