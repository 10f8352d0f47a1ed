"""Terminal tables: every column readable at any width, text left and numbers right, and
always how many rows are shown of how many."""

from __future__ import annotations

import re

import pytest

from jupyter_dataproduct.cli.tables import column_groups


@pytest.fixture
def actg(actg_dir, actg_product):
    actg_product.build()
    return actg_dir


def header_lines(out: str) -> list[str]:
    """The header line of each printed table (the line above its rule)."""
    lines = out.splitlines()
    return [lines[i - 1] for i, line in enumerate(lines) if line.startswith("───")]


@pytest.mark.parametrize("width", [80, 220])
def test_a_wide_result_prints_every_column_whole(cli, actg, actg_product, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    out = cli("run", actg, "compare_arms").output
    table = actg_product.run("compare_arms", {}, record=False).tables["comparison"]
    headers = [word for line in header_lines(out) for word in line.split()]
    assert set(table.columns) <= set(headers)  # no header cut or folded
    assert max(len(line) for line in out.splitlines()) <= width
    first = table.row(0, named=True)
    for value in (first["variable"], first["summary_a"], first["test"]):
        assert value in out  # cells whole, not squeezed to a few characters
    assert "20 of 20 rows shown" in out
    groups = len(header_lines(out))
    assert groups > 1 if width == 80 else groups <= 2


def test_text_is_left_and_numbers_right(cli, actg, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = cli("frame", actg, "patients", "--columns", "pidnum,age,arms", "--limit", "5").output
    header, rows = out.splitlines()[0], out.splitlines()[2:7]
    age_end = header.index("age") + len("age")
    arms_start = header.index("arms")
    assert all(row[age_end - 1] != " " for row in rows)  # numbers end under their header's end
    assert all(row[arms_start] != " " for row in rows)  # text starts under its header's start


def test_frame_says_how_many_rows_matched(cli, actg):
    out = cli("frame", actg, "patients", "--where", "age > 40").output
    assert re.search(r"^20 of 512 rows shown \(--limit N shows more; --output FILE writes them\)$", out, re.M)
    few = cli("frame", actg, "patients", "--where", "age > 68").output
    assert re.search(r"^(\d+) of \1 rows shown$", few, re.M)


def test_column_groups_fit_and_repeat_the_first_column():
    assert column_groups([10, 10, 10], 80) == [[0, 1, 2]]
    groups = column_groups([8, 30, 30, 30], 80)
    assert groups == [[0, 1, 2], [0, 3]]
    assert column_groups([60, 60], 80) == [[0], [1]]  # a wide first column is not repeated
