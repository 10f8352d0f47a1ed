"""`dataproduct protocols` shows broken protocol files with their error and exits non-zero."""

from __future__ import annotations

import json

from tests.files import write_file


def test_a_product_with_only_broken_protocols_does_not_say_there_are_none(cli, tiny_dir):
    file = write_file(tiny_dir, "protocols/no_ids.yaml", "name: no_ids\nversion: 1.0.0\nsteps: [{query: people}]\n")
    shown = cli("protocols", tiny_dir, ok=False)
    assert shown.exit_code == 1
    assert "No protocols yet" not in shown.output
    assert str(file) in shown.stdout and "steps.0.id: required key is missing" in shown.stdout
    listing = json.loads(cli("protocols", tiny_dir, "--json", ok=False).stdout)
    assert listing["protocols"] == [] and str(file) in listing["problems"]


def test_good_protocols_are_listed_beside_the_broken_ones(cli, tiny_dir):
    write_file(tiny_dir, "protocols/people.yaml", "name: people\nversion: 1.0.0\nsteps: [{id: s, query: people}]\n")
    write_file(tiny_dir, "protocols/broken.yaml", "name: broken\nversion: 1.0.0\nsteps: [{id: s, algorithm: nothing}]\n")
    shown = cli("protocols", tiny_dir, ok=False)
    assert "people" in shown.stdout and "broken.yaml" in shown.stdout and "'nothing' is not a built-in" in shown.stdout


def test_a_product_without_protocol_files_has_none_and_that_is_fine(cli, tiny_dir):
    assert "No protocols yet" in cli("protocols", tiny_dir).output
