"""The bounded search for product folders under the Jupyter root."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_dataproduct.lab.discovery import FolderSearch, find_product_folders


def product(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataproduct.yaml").write_text("name: x\n")
    return folder


def test_folders_are_found_shallowest_first_within_the_depth(tmp_path):
    top = product(tmp_path / "b")
    deep = product(tmp_path / "a" / "x" / "y")
    product(tmp_path / "a" / "x" / "y" / "z" / "too_deep")
    assert find_product_folders(tmp_path, depth=3) == [top, deep]
    assert find_product_folders(tmp_path, depth=1) == [top]


def test_hidden_folders_node_modules_and_stores_are_skipped(tmp_path):
    kept = product(tmp_path / "kept")
    product(tmp_path / ".hidden" / "p")
    product(tmp_path / "node_modules" / "p")
    product(tmp_path / "kept" / ".dataproduct" / "p")
    assert find_product_folders(tmp_path) == [kept]


def test_links_out_of_the_root_are_not_followed(tmp_path):
    outside = product(tmp_path / "outside" / "p")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside.parent, root / "link")
    inside = product(root / "real")
    os.symlink(inside, root / "again")
    assert find_product_folders(root) == [inside]  # reached twice, listed once


def test_the_search_stops_at_the_limit(tmp_path):
    for i in range(10):
        product(tmp_path / f"p{i}")
    assert len(find_product_folders(tmp_path, limit=4)) == 4


def test_a_search_is_reused_until_forgotten(tmp_path):
    first = product(tmp_path / "first")
    search = FolderSearch(tmp_path, depth=3, limit=50, ttl=3600)
    assert search.folders() == [first]
    second = product(tmp_path / "second")
    assert search.folders() == [first]  # within the TTL: the earlier answer
    search.forget()
    assert search.folders() == [first, second]
