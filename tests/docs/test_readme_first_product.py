"""The README's "Your first product" section, run as written: its shell blocks in order in
one shell, and each file block (a YAML block whose first line names the file) written
where it says, starting in an empty folder with the ``dataproduct`` command on the PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.readme import README, Block, code_blocks

SECTION = "Your first product"


def as_shell(block: Block) -> str:
    if block.language == "bash":
        return block.code
    first, _, body = block.code.partition("\n")
    assert block.language == "yaml" and first.startswith("# "), f"a {block.language} block must name its file: {first!r}"
    return f"cat > {first[2:].strip()} <<'END_OF_FILE'\n{block.code}END_OF_FILE\n"


def test_the_first_product_section_runs_as_written(tmp_path):
    blocks = code_blocks(SECTION)
    assert [b.language for b in blocks] == ["bash", "bash", "yaml", "yaml", "bash"]
    script = tmp_path / "section.sh"
    script.write_text("\n".join(as_shell(b) for b in blocks))
    bin_dir = tmp_path / "bin"  # `dataproduct`, as the package's console script runs it
    bin_dir.mkdir()
    (bin_dir / "dataproduct").write_text(f'#!/bin/sh\nexec {sys.executable} -m jupyter_dataproduct.cli "$@"\n')
    (bin_dir / "dataproduct").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(README.parent), "COLUMNS": "100"}
    done = subprocess.run(["bash", "-euo", "pipefail", str(script)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "Named the product 'my_study' after the folder 'my-study'" in out
    assert "protocol tests: 1 passed, 0 failed" in out  # the scaffold as it is
    assert "weight_by_arm@1.0.0 on my_study@" in out and "2 of 2 rows shown" in out
    assert out.rstrip().endswith("protocol tests: 2 passed, 0 failed")
    assert (work / "studies" / "my-study" / "protocols" / "weight_by_arm.yaml").is_file()


def test_a_fresh_scaffold_validates_builds_runs_and_tests(tmp_path):
    """Each command on its own, with its exit code: nothing to fix before the first success."""
    env = {**os.environ, "PYTHONPATH": str(README.parent)}

    def dataproduct(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "jupyter_dataproduct.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    made = dataproduct("init", "Clinic 2026")
    assert made.returncode == 0 and "Named the product 'clinic_2026'" in made.stdout
    for command in (["validate", "Clinic 2026"], ["build", "Clinic 2026"], ["run", "Clinic 2026", "score_by_group"],
                    ["test", "Clinic 2026"]):
        done = dataproduct(*command)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    assert Path(tmp_path / "Clinic 2026" / "dataproduct.yaml").read_text().count("name: clinic_2026") == 1
