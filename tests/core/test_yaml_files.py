"""The YAML people write is read with bounds: no aliases (no alias bombs), bounded nesting,
bounded integers and file size; each problem is a ManifestError naming the file and line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from jupyter_dataproduct.core.errors import ManifestError
from jupyter_dataproduct.core.yaml_files import MAX_BYTES, read_yaml_mapping

# The "billion laughs": nine levels of nine aliases each expand to 9**9 (387 million) strings.
ALIAS_BOMB = "name: bomb\nversion: 1.0.0\n" + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
) + "steps: [{id: s, query: people, with: {limit: *a9}}]\n"


def test_aliases_are_refused_naming_file_and_line(tmp_path):
    file = tmp_path / "p.yaml"
    file.write_text("base: &base {type: int}\ncopy: *base\n")
    with pytest.raises(ManifestError) as caught:
        read_yaml_mapping(file)
    assert caught.value.message.startswith(f"{file}: line 2 is not valid YAML: YAML aliases (*base) are not allowed")
    assert caught.value.details == {"file": str(file), "line": 2}


def test_merge_keys_are_aliases_too(tmp_path):
    file = tmp_path / "p.yaml"
    file.write_text("base: &base {a: 1}\nother:\n  <<: *base\n  b: 2\n")
    with pytest.raises(ManifestError, match="aliases"):
        read_yaml_mapping(file)


def test_anchors_alone_and_ordinary_yaml_still_load(tmp_path):
    file = tmp_path / "p.yaml"
    file.write_text("a: &x 1\nb: [1, 2.5, '3', null, true, 2024-01-01]\nc: {d: 12345678901234567890}\n")
    assert read_yaml_mapping(file)["c"] == {"d": 12345678901234567890}


def test_an_alias_bomb_in_a_protocol_is_that_files_problem_at_once(tiny_dir):
    (tiny_dir / "protocols").mkdir()
    (tiny_dir / "protocols" / "bomb.yaml").write_text(ALIAS_BOMB)
    # In a child process with a deadline, so that a regression fails instead of hanging the suite.
    script = textwrap.dedent(f"""
        from jupyter_dataproduct.core.product import Product
        catalog = Product.open({str(tiny_dir)!r}).protocols()
        print(catalog.problems[{str(tiny_dir / "protocols" / "bomb.yaml")!r}])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "YAML aliases (*a0) are not allowed" in done.stdout


def test_an_alias_bomb_in_the_manifest_is_a_manifest_error(tmp_path):
    (tmp_path / "dataproduct.yaml").write_text(ALIAS_BOMB)
    with pytest.raises(ManifestError, match="line 4 is not valid YAML: YAML aliases"):
        read_yaml_mapping(tmp_path / "dataproduct.yaml")


@pytest.mark.parametrize("text, problem", [
    ("a: " + "[" * 200 + "]" * 200 + "\n", "nested more than 64 levels deep"),
    ("a: " + "9" * 5000 + "\n", "a number with too many digits (5,000 characters; at most 100)"),
    ("- 1\n", "expected a mapping of keys at the top level, found list"),
])
def test_bounds_on_nesting_numbers_and_shape(tmp_path, text, problem):
    file = tmp_path / "p.yaml"
    file.write_text(text)
    with pytest.raises(ManifestError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        read_yaml_mapping(file)


def test_oversized_and_missing_files(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: '" + "x" * MAX_BYTES + "'\n")
    with pytest.raises(ManifestError, match="too large for a config file"):
        read_yaml_mapping(big)
    with pytest.raises(ManifestError, match="file not found"):
        read_yaml_mapping(tmp_path / "nothing.yaml")
