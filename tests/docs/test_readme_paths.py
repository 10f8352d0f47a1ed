"""Every path in the README works as written, from where the README tells the reader to be:
shell commands from the repository's root, notebook code in a notebook in ``examples/``
(JupyterLab started with ``jupyter lab examples/quickstart.ipynb`` serves that folder, and a
kernel runs in its notebook's folder; tests/browser checks that in a real JupyterLab)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.readme import README, code_blocks, notebook_connect_line

REPO = README.parent
NOTEBOOK_FOLDER = REPO / "examples"
PATH = re.compile(r"(?<![\w./-])(examples/[\w./-]*\w)")


def kernel_folder(tmp_path: Path) -> Path:
    """A copy of examples/ (without built snapshots): where a notebook's kernel runs."""
    folder = tmp_path / "examples"
    shutil.copytree(NOTEBOOK_FOLDER, folder, ignore=shutil.ignore_patterns(".dataproduct", "__pycache__", ".ipynb_checkpoints"))
    return folder


def test_every_examples_path_in_a_shell_block_exists_from_the_repository_root():
    paths = {p for block in code_blocks(language="bash") for p in PATH.findall(block.code)}
    assert "examples/actg175" in paths
    assert [p for p in sorted(paths) if not (REPO / p).exists()] == []


def test_the_notebook_connect_line_works_in_the_notebooks_folder(tmp_path):
    """The README's line, run by a real IPython shell whose working folder is examples/."""
    line = notebook_connect_line()
    script = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_line_magic('load_ext', 'jupyter_dataproduct')\n"
        f"product = shell.run_line_magic('dataproduct', {line.removeprefix('%dataproduct ')!r})\n"
        "print(product.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=kernel_folder(tmp_path), capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("actg175")


def test_the_python_connect_works_in_the_notebooks_folder(tmp_path, monkeypatch):
    from jupyter_dataproduct import connect

    block = next(b for b in code_blocks("In a notebook", "python") if "connect(" in b.code)
    target = re.search(r'connect\("([^"]+)"\)', block.code).group(1)
    monkeypatch.chdir(kernel_folder(tmp_path))
    assert connect(target).name == "actg175"


def test_the_engine_api_path_works_from_the_repository_root():
    block = next(b for b in code_blocks("Python API of the engine", "python"))
    target = re.search(r'Product\.open\("([^"]+)"\)', block.code).group(1)
    assert (REPO / target / "dataproduct.yaml").is_file()
