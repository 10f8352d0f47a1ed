"""`dataproduct history`: paged listing and retention (--prune)."""

from __future__ import annotations

import json

import pytest

from jupyter_dataproduct.core.product import Product


@pytest.fixture
def ran(tiny_dir) -> Product:
    product = Product.open(tiny_dir)
    product.build()
    for entity in ("people", "visits", "people", "visits", "people"):
        product.run_plugin("summary", {"entity": entity})
    return product


def test_history_pages(cli, ran):
    everything = [e["id"] for e in json.loads(cli("history", ran.path, "--json", "-n", "100").output)]
    assert len(everything) == 5
    page = json.loads(cli("history", ran.path, "--json", "--limit", "2", "--offset", "2").output)
    assert [e["id"] for e in page] == everything[2:4]
    shown = cli("history", ran.path, "-n", "2").output
    assert "2 of 5 runs shown" in shown and "--offset 2" in shown


def test_history_prune_by_count_and_age(cli, ran):
    assert "Pruned 3 of 5 history entries; 2 left." in cli("history", ran.path, "--prune", "--keep", "2").output
    assert ran.history.count() == 2
    assert json.loads(cli("history", ran.path, "--prune", "--older-than", "30d", "--json").output) == {"pruned": 0, "left": 2}
    assert json.loads(cli("history", ran.path, "--prune", "--older-than", "0m", "--json").output) == {"pruned": 2, "left": 0}
    refused = cli("history", ran.path, "--prune", ok=False)
    assert "--keep or --older-than" in refused.output
    bad = cli("history", ran.path, "--prune", "--older-than", "soon", ok=False)
    assert "'soon'" in bad.output and "30d" in bad.output
