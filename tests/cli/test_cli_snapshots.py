"""The `dataproduct` command for products and snapshots: tables for people, --json for scripts."""

from __future__ import annotations

import json
import shutil
import subprocess






def test_init_scaffolds_a_product_that_builds(cli, tmp_path):
    folder = tmp_path / "clinic"
    cli("init", "clinic", "--directory", folder)
    built = json.loads(cli("build", folder, "--json").output)
    assert built["created"] and built["snapshot"]["rows"] == {"subjects": 6}
    cli("validate", folder)
    again = cli("init", "clinic", "--directory", folder, ok=False)
    assert again.exit_code == 1 and "already exists" in again.output
    bad = cli("init", "Bad Name", "--directory", tmp_path / "x", ok=False)
    assert bad.exit_code == 1 and "lower_snake_case" in bad.output


def test_init_takes_a_path_and_names_the_product_after_it(cli, tmp_path):
    made = cli("init", tmp_path / "trials" / "My-Trial")
    assert "Named the product 'my_trial' after the folder 'My-Trial'" in made.output
    folder = tmp_path / "trials" / "My-Trial"
    assert "name: my_trial" in (folder / "dataproduct.yaml").read_text()
    cli("build", folder)
    tested = json.loads(cli("test", folder, "--json").output)
    assert (tested["passed"], tested["failed"]) == (1, 0)
    chosen = json.loads(cli("init", tmp_path / "other", "--name", "ward_b", "--json").output)
    assert chosen["name"] == "ward_b"


def test_build_snapshots_tag_verify_diff(cli, tiny_dir):
    first = json.loads(cli("build", tiny_dir, "--tag", "v1", "--json").output)["snapshot"]["id"]
    (tiny_dir / "data" / "visits.csv").write_text((tiny_dir / "data" / "visits.csv").read_text() + "3,8,60\n")
    text = cli("build", tiny_dir).output
    assert text.startswith("Built tiny@")
    listing = json.loads(cli("snapshots", tiny_dir, "--json").output)
    assert [s["tags"] for s in listing] == [[], ["v1"]] and listing[1]["id"] == first
    table = cli("snapshots", tiny_dir).output
    assert first[:12] in table and "people=5" in table
    assert "ok" in cli("verify", tiny_dir, "v1").output
    diff = json.loads(cli("diff", "v1", "latest", "-C", tiny_dir, "--json").output)
    assert diff["entities"]["visits"]["rows"]["change"] == 1
    assert "+1" in cli("diff", "v1", "-C", tiny_dir).output
    moved = cli("tag", "v1", "latest", "-C", tiny_dir).output
    assert "tiny@v1 ->" in moved


def test_verify_exits_non_zero_and_names_the_file(cli, tiny_dir):
    snapshot = json.loads(cli("build", tiny_dir, "--json").output)["snapshot"]
    file = tiny_dir / ".dataproduct" / "snapshots" / snapshot["id"] / "entities" / "people.parquet"
    file.chmod(0o644)
    file.write_bytes(file.read_bytes()[:-10] + b"0123456789")
    result = cli("verify", tiny_dir, ok=False)
    assert result.exit_code == 1 and "entities/people.parquet: changed" in result.output
    report = json.loads(cli("verify", tiny_dir, "--json", ok=False).output)
    assert report[0]["ok"] is False


def test_errors_are_one_message_or_the_json_error_shape(cli, tiny_dir):
    result = cli("snapshots", tiny_dir / "nope", ok=False)
    assert result.exit_code == 1 and "the folder does not exist" in result.output and "Traceback" not in result.output
    shaped = json.loads(cli("tag", "latest", "-C", tiny_dir, "--json", ok=False).output)
    assert set(shaped["error"]) == {"code", "message", "details"}
    assert shaped["error"]["code"] in ("invalid_name", "snapshot_not_found")


def test_dictionary_and_schema(cli, actg_dir):
    rows = json.loads(cli("dictionary", actg_dir, "--json").output)
    assert {"entity": "labs", "column": "marker"}.items() <= next(r for r in rows if r["column"] == "marker").items()
    csv_text = cli("dictionary", actg_dir, "--csv").output
    assert csv_text.splitlines()[0] == "entity,collection,column,title,type,unit,labels,description,references"
    schema = json.loads(cli("schema").output)
    assert schema["title"] == "dataproduct.yaml" and "model" in schema["properties"]


def test_the_installed_console_script_runs(tiny_dir):
    executable = shutil.which("dataproduct")
    assert executable, "the dataproduct console script is installed with the package"
    done = subprocess.run([executable, "build", str(tiny_dir), "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["snapshot"]["rows"]["people"] == 5
    failed = subprocess.run([executable, "verify", str(tiny_dir), "nosuchtag"], capture_output=True, text=True)
    assert failed.returncode == 1 and "No snapshot 'nosuchtag'" in failed.stderr
