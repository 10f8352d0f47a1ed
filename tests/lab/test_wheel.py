"""The built wheel alone gives a working panel: the labextension and the server extension ship.

Builds the wheel from this checkout (with the labextension already built, as ``.ci/run``
does), installs only it into a fresh virtual environment (``--system-site-packages`` for
JupyterLab itself: this package is the venv's own copy), starts ``jupyter lab`` from there
on a free port and asks it for the page and for the panel's API.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from jupyter_dataproduct import __version__

REPO = Path(__file__).resolve().parents[2]
BUILT = REPO / "jupyter_dataproduct" / "labextension" / "package.json"

ANSI = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    assert BUILT.exists(), "the labextension is not built: npm ci --prefix labextension && npm run build --prefix labextension"
    folder = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(folder / "dist"), str(REPO)], check=True, env=env, capture_output=True)
    wheel = next((folder / "dist").glob("jupyter_dataproduct-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(folder / "venv")], check=True)
    python = folder / "venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, env=env, capture_output=True)
    return folder / "venv"


def jupyter(venv: Path, tmp_path: Path, module: str, *args: str, **kwargs) -> subprocess.CompletedProcess | subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("JUPYTER")}
    env.update(HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), DATAPRODUCT_CONNECTIONS=str(tmp_path / "connections.json"))
    # `python -m jupyter lab` would run the jupyter-lab script found on PATH, with another Python
    command = [str(venv / "bin" / "python"), "-m", module, *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                cwd=tmp_path)
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path, check=True)
    done.stdout, done.stderr = ANSI.sub("", done.stdout), ANSI.sub("", done.stderr)
    return done


def test_the_wheel_installs_both_extensions(venv, tmp_path):
    labextensions = jupyter(venv, tmp_path, "jupyterlab.labextensions", "list")
    assert re.search(r"jupyter-dataproduct v\S+ enabled\s+OK", labextensions.stdout + labextensions.stderr)
    assert str(venv) in labextensions.stdout + labextensions.stderr  # from the venv's share/, not elsewhere
    servers = jupyter(venv, tmp_path, "jupyter_server.extension.serverextension", "list")
    assert re.search(r"jupyter_dataproduct enabled", servers.stdout + servers.stderr)


def test_jupyter_lab_from_the_wheel_serves_the_panel_and_its_api(venv, tmp_path, tiny_dir):
    from tests.conftest import _free_port

    port, token = _free_port(), "wheel-test-token"
    lab = jupyter(venv, tmp_path, "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.port_retries=0",
                  f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tiny_dir.parent}",
                  "--LabApp.news_url=", background=True)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine starts Lab slowly
        while True:
            try:
                if httpx.get(f"{base}/api/status", headers=headers, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert lab.poll() is None and time.monotonic() < deadline, "jupyter lab did not start"
            time.sleep(0.2)
        page = httpx.get(f"{base}/lab", headers=headers, timeout=30).text
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                      page, re.S).group(1))
        assert "jupyter-dataproduct" in [e["name"] for e in config["federated_extensions"]]
        assert httpx.get(f"{base}/dataproduct/version", headers=headers, timeout=60).json() == {"version": __version__}
        products = httpx.get(f"{base}/dataproduct/products", headers=headers, timeout=60).json()["products"]
        assert [(p["name"], p["origin"], p["health"]) for p in products] == [("tiny", "found", "ok")]
    finally:
        lab.terminate()
        lab.wait(20)
