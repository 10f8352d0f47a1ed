"""A real ``jupyter lab`` with the Data Products panel, driven by Debian's Chromium.

Hermetic: a temporary Jupyter root holding a copy of ``examples/``, its own config,
settings (news notification off) and workspaces folders, a connections file of its own
(``DATAPRODUCT_CONNECTIONS``), a random token, a free port on 127.0.0.1. The prebuilt
labextension (``jupyter_dataproduct/labextension``, built by ``npm run build`` in
``labextension/`` or by ``pip install``) is loaded from the working tree.

pytest-jupyter's fixtures are not used here: they clash with Playwright's sync API.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.browsers import SCREENSHOTS, chromium, free_port, lab_process, wait_for_lab
from tests.servers import dataproduct_serve

REPO = Path(__file__).resolve().parents[2]
LABEXTENSION = REPO / "jupyter_dataproduct" / "labextension"
OFFLINE_TOKEN = "s3cret-offline-token"


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    connections: Path
    log: Path
    offline_token: str = OFFLINE_TOKEN

    def lab_url(self, path: str = "lab") -> str:
        return f"{self.url}/{path}?token={self.token}"


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not (LABEXTENSION / "package.json").is_file():
        pytest.fail(
            f"The labextension is not built ({LABEXTENSION} is missing): "
            "run `npm ci && npm run build` in labextension/ (or pip install the package)."
        )
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    shutil.copytree(REPO / "examples", root / "examples", ignore=shutil.ignore_patterns(".dataproduct", ".ipynb_checkpoints"))
    # The quickstart's first step: build a snapshot (cohort counts and runs read it).
    subprocess.run([sys.executable, "-m", "jupyter_dataproduct.cli", "build", str(root / "examples" / "actg175")],
                   check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    extensions = base / "labextensions"
    extensions.mkdir()
    (extensions / "jupyter-dataproduct").symlink_to(LABEXTENSION, target_is_directory=True)
    config = base / "config"
    settings = base / "settings"
    # No news or update checks: nothing from the internet, no toast over the panel.
    _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    _write_json(config / "jupyter_server_config.json", {
        "ServerApp": {"jpserver_extensions": {"jupyter_dataproduct": True}},
        "LabApp": {"extra_labextensions_path": [str(extensions)], "expose_app_in_browser": True},
        # The panel lists a product that takes longer than this as not answering: 5 s by default,
        # which a loaded CI machine can need to read a local product's details the first time.
        "DataProductLab": {"health_timeout": 60.0},
    })
    port, token = free_port(), secrets.token_hex(16)
    # One product that cannot answer (nothing listens on its port), with a token that must
    # never reach the browser: it gets its own error, the others are listed as usual.
    connections = base / "connections.json"
    _write_json(connections, {"connections": {
        "offline": {"location": f"http://127.0.0.1:{free_port()}/actg175", "token": OFFLINE_TOKEN},
    }})
    connections.chmod(0o600)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "DATAPRODUCT_CONNECTIONS": str(connections),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    log = base / "lab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}", f"--LabApp.user_settings_dir={settings}",
    ]
    url = f"http://127.0.0.1:{port}"
    with lab_process(command, cwd=root, env=env, log=log, ready=f"{url}/dataproduct/version", token=token):
        yield Lab(url=url, token=token, root=root, connections=connections, log=log)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Per test module (see tests/browsers.py)."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, lab: Lab) -> Iterator[object]:
    """A fresh browser context (own cookies, clipboard allowed) on a loaded JupyterLab."""
    context = browser.new_context(viewport={"width": 1440, "height": 960}, base_url=lab.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "dataproduct" in m.text.lower() else None)
    page.set_default_timeout(30_000)
    page.goto(lab.lab_url())
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=90_000)
    page.wait_for_selector(".jp-LabShell")
    # The layout is restored (and the focus settled) before a test types anything.
    wait_for_lab(page)
    yield page
    context.close()
    # The panel logs nothing as an error and throws nothing uncaught while it is used.
    assert not errors, errors


@pytest.fixture
def screenshot():
    """Save a screenshot for review under tests/output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, **kwargs) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), **kwargs)
        return path

    take.folder = SCREENSHOTS
    return take


@pytest.fixture(scope="module")
def reader_product(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """ACTG 175 behind a real ``dataproduct serve`` (a saved cohort, one run in its history),
    added to the panel with a reader token; its name in the panel."""
    import httpx
    from click.testing import CliRunner

    from jupyter_dataproduct.cli import main as cli
    from jupyter_dataproduct.core.product import Product

    folder = tmp_path_factory.mktemp("served") / "actg175"
    shutil.copytree(REPO / "examples" / "actg175", folder, ignore=shutil.ignore_patterns(".dataproduct"))
    product = Product.open(folder)
    product.build()
    product.save_cohort("served_older", "patients", "age >= 50")
    product.run("compare_arms", {"cohort_a": "age >= 40", "variables": ["wtkg"]})
    created = CliRunner().invoke(cli, ["token", "create", str(folder), "--role", "reader"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[0]
    with dataproduct_serve(folder) as base:
        answer = httpx.post(f"{lab.url}/dataproduct/products", headers={"Authorization": f"token {lab.token}"},
                            json={"location": f"{base}/actg175", "name": "trial_reader", "token": token}, timeout=60)
        assert answer.status_code == 201, answer.text
        yield "trial_reader"
