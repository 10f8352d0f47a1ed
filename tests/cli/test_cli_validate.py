"""`dataproduct validate` checks the whole repository - the manifest, every protocol and every
plugin - and names the file and key path of each problem."""

from __future__ import annotations

import json

from tests.files import write_file

NO_STEP_ID = """\
    name: no_ids
    version: 1.0.0
    steps:
      - query: people
    """


def test_a_valid_product_is_valid(cli, tiny_dir):
    write_file(tiny_dir, "protocols/people.yaml", "name: people\nversion: 1.0.0\nsteps: [{id: s, query: people}]\n")
    assert "tiny 0.1.0: manifest, 1 protocol and 0 plugins are valid" in cli("validate", tiny_dir).output
    report = json.loads(cli("validate", tiny_dir, "--json").output)
    assert report["valid"] is True and report["problems"] == [] and report["protocols"] == ["people@1.0.0"]


def test_a_protocol_without_step_ids_makes_the_product_invalid(cli, tiny_dir):
    file = write_file(tiny_dir, "protocols/no_ids.yaml", NO_STEP_ID)
    shown = cli("validate", tiny_dir, ok=False)
    assert shown.exit_code == 1
    assert "manifest is valid" not in shown.output
    assert f"{file}" in shown.output and "steps.0.id: required key is missing" in shown.output
    report = json.loads(cli("validate", tiny_dir, "--json", ok=False).output)
    assert report["valid"] is False
    assert report["problems"] == [{"file": str(file), "kind": "protocol", "message": report["problems"][0]["message"]}]
    assert "steps.0.id: required key is missing" in report["problems"][0]["message"]


def test_a_broken_plugin_makes_the_product_invalid(cli, tiny_dir):
    file = write_file(tiny_dir, "plugins/broken.py", "def oops(:\n")
    shown = cli("validate", tiny_dir, ok=False)
    assert str(file) in shown.output or "broken.py" in shown.output
    assert "SyntaxError" in shown.output
    report = json.loads(cli("validate", tiny_dir, "--json", ok=False).output)
    assert [p["kind"] for p in report["problems"]] == ["plugin"]


def test_a_broken_manifest_is_still_one_error(cli, tiny_dir):
    (tiny_dir / "dataproduct.yaml").write_text("name: tiny\nversion: 1\n")
    shown = cli("validate", tiny_dir, ok=False)
    assert "version" in shown.output and "Traceback" not in shown.output


def test_sources_outside_the_folder_are_named_by_validate(cli, tiny_dir, tmp_path):
    (tmp_path / "shared.csv").write_text((tiny_dir / "data" / "visits.csv").read_text())
    manifest = tiny_dir / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().replace(
        "visits: {kind: csv, path: data/visits.csv}", f"visits: {{kind: csv, path: {tmp_path / 'shared.csv'}, allow_outside: true}}"))
    shown = cli("validate", tiny_dir)
    assert f"note: source visits reads {tmp_path / 'shared.csv'}, outside the product folder (allow_outside: true)" in shown.output
    assert json.loads(cli("validate", tiny_dir, "--json").output)["sources_outside"] == {"visits": str(tmp_path / "shared.csv")}
    manifest.write_text(manifest.read_text().replace(", allow_outside: true", ""))
    refused = cli("validate", tiny_dir, ok=False)
    assert "source" in refused.output and "sources.visits: Source path" in refused.output
