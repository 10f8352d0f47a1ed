"""A real JupyterLab and a real Chromium, for tests that look at what a user sees.

- ``lab``: ``jupyter lab examples/quickstart.ipynb`` started as the README says, from the
  root of a temporary copy of the repository's ``examples/`` (so Jupyter itself makes
  ``examples/`` its root), in its own process on 127.0.0.1 and a free port, hermetic: a
  random token, its own config, workspaces and user settings (news off, every cell kept in
  the page), so no earlier session leaks in.
- ``page``: a Chromium page (Debian's ``/usr/bin/chromium``, driven by Playwright's sync API,
  stopped after each test module; Playwright never downloads a browser here).
- ``screenshots``: the folder for screenshots, kept as CI artifacts (``tests/output/``).

pytest-jupyter's fixtures must stay out of this folder and the root conftest: their event
loop clashes with Playwright's sync API.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.browsers import SCREENSHOTS, chromium, free_port, lab_process

REPO = Path(__file__).resolve().parents[2]

# User settings of the hermetic Lab: no news or update pop-ups over the notebook, and
# every cell rendered in the page (not windowed), so charts can be counted in the DOM.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass
class Lab:
    url: str
    token: str
    root: Path

    def address(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}?token={self.token}"


def copy_examples(root: Path) -> None:
    """examples/ as a user has it after cloning (no built snapshots, no exported plugin)."""
    shutil.copy(REPO / "examples" / "quickstart.ipynb", root)
    shutil.copytree(REPO / "examples" / "actg175", root / "actg175",
                    ignore=shutil.ignore_patterns(".dataproduct", "cd8_ratio.py", "__pycache__"))


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("lab")
    repo, settings, workspaces = home / "repo", home / "settings", home / "workspaces"
    root = repo / "examples"
    root.mkdir(parents=True)
    copy_examples(root)
    for name, values in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    # The labextension of this working tree (its result renderer draws the results' charts).
    extensions = home / "labextensions"
    extensions.mkdir()
    (extensions / "jupyter-dataproduct").symlink_to(REPO / "jupyter_dataproduct" / "labextension", target_is_directory=True)
    token, port = secrets.token_hex(16), free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "jupyterlab", "examples/quickstart.ipynb", "--no-browser", "--allow-root", "--ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--LabApp.workspaces_dir={workspaces}",
        f"--LabApp.user_settings_dir={settings}", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.extra_labextensions_path={extensions}",
    ]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config")}
    with lab_process(command, cwd=repo, env=env, log=home / "lab.log", ready=f"{url}/api/status", token=token):
        yield Lab(url, token, root)


@pytest.fixture(scope="module")
def browser():
    """Per test module (see tests/browsers.py)."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
