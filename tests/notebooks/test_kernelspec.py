"""The kernel the notebook tests start is this Python's, installed without touching a
user's own kernelspecs (.ci/run uses --sys-prefix, never --user)."""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

REPO = Path(__file__).resolve().parents[2]


def test_the_python3_kernel_runs_this_python():
    spec = KernelSpecManager().get_kernel_spec("python3")
    program = spec.argv[0]
    # jupyter_client runs a bare "python"/"python3" as sys.executable.
    same = program in ("python", f"python{sys.version_info[0]}", f"python{sys.version_info[0]}.{sys.version_info[1]}") \
        or Path(program).resolve() == Path(sys.executable).resolve()
    assert same, f"kernel 'python3' ({spec.resource_dir}) runs {program}, not {sys.executable}"


def test_ci_installs_the_kernel_into_the_prefix_not_the_users_folder():
    install = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if "ipykernel install" in line]
    assert install and all("--sys-prefix" in line and "--user" not in line for line in install)
