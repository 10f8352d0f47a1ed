"""Progress bars in a real Jupyter kernel: one display output redrawn in place, so what the
notebook keeps is the last state (a finished or a stopped bar), and never a flood of redraws."""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path
from typing import Iterator

import polars as pl
import pytest

from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.kernel.progress import UPDATES_PER_SECOND
from tests.server.conftest import create_token
from tests.servers import dataproduct_serve

READINGS = 200_000  # the extract's Arrow, in base64 in its JSON answer: ~9 MB, past the first report
READINGS_MANIFEST = """\
name: readings
version: 0.1.0
title: Readings
description: Many rows with text, for answers that take a while to arrive.
owners: [Test Team]
license: CC0
sources:
  readings: {kind: parquet, path: data/readings.parquet}
model:
  entities:
    readings:
      source: readings
      key: id
      columns:
        id: {type: int, required: true}
        label: {type: string}
"""
EXTRACT = """\
name: extract
version: 1.0.0
title: Every reading, or the first few
parameters:
  limit: {type: int, minimum: 1, required: false}
steps:
  - id: rows
    query: readings
    with: {limit: $limit}
outputs:
  rows: {type: table}
"""


@pytest.fixture
def kernel() -> Iterator[object]:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=180)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def outputs_of(client, code: str) -> tuple[list[dict], float]:
    """The iopub messages (type and content) that running ``code`` produced, and how long it ran."""
    started = time.monotonic()
    parent = client.execute(code)
    messages = []
    while True:
        message = client.get_iopub_msg(timeout=120)
        if message["parent_header"].get("msg_id") != parent:
            continue
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return messages, time.monotonic() - started
        messages.append({"type": message["msg_type"], **message["content"]})


def bar_messages(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] in ("display_data", "update_display_data")
            and "<progress" in m["data"].get("text/html", "")]


def test_a_build_draws_one_bar_and_leaves_it_finished(kernel, tiny_dir: Path):
    outputs_of(kernel, f"%load_ext jupyter_dataproduct\n%dataproduct connect {tiny_dir}")
    messages, seconds = outputs_of(kernel, "%dataproduct snapshot build")
    bars = bar_messages(messages)
    # Shown once, then only redrawn: all under one display id.
    assert [m["type"] for m in bars[:1]] == ["display_data"]
    assert all(m["type"] == "update_display_data" for m in bars[1:])
    assert len({m["transient"]["display_id"] for m in bars}) == 1
    last = bars[-1]["data"]
    assert re.fullmatch(r"build: 100% (\d+)/\1 .*, published\]", last["text/plain"])
    steps = re.search(r'<progress max="(\d+)" value="(\d+)">', last["text/html"])
    assert steps and steps[1] == steps[2]
    # Redrawn at most UPDATES_PER_SECOND times a second, plus the first and the finished state.
    assert len(bars) <= seconds * UPDATES_PER_SECOND + 2
    assert any("Snapshot tiny@" in m["data"].get("text/plain", "") for m in messages if m["type"] == "execute_result")


def test_a_failed_build_leaves_its_bar_stopped_not_finished(kernel, tiny_dir: Path):
    (tiny_dir / "data" / "visits.csv").unlink()
    outputs_of(kernel, f"%load_ext jupyter_dataproduct\n%dataproduct connect {tiny_dir}")
    messages, _ = outputs_of(kernel, "%dataproduct snapshot build")
    last = bar_messages(messages)[-1]["data"]
    assert "stopped: SourceError" in last["text/plain"] and "100%" not in last["text/plain"]
    steps = re.search(r'<progress max="(\d+)" value="(\d+)">', last["text/html"])
    assert steps and int(steps[2]) < int(steps[1])
    # The error itself is shown too, naming the missing file.
    shown = "".join(m.get("text", "") + m.get("evalue", "") for m in messages if m["type"] in ("stream", "error"))
    assert "visits.csv" in shown


def test_progress_can_be_turned_off(kernel, tiny_dir: Path):
    outputs_of(kernel, f"%load_ext jupyter_dataproduct\n%dataproduct connect {tiny_dir}\n"
                       "%config DataProductMagics.show_progress = False")
    messages, _ = outputs_of(kernel, "%dataproduct snapshot build")
    assert bar_messages(messages) == []


@pytest.fixture
def served_readings(write_product) -> Iterator[tuple[str, str]]:
    """A served product with a large protocol answer and a large saved table: (URL, admin token)."""
    folder = write_product(READINGS_MANIFEST, {"protocols/extract.yaml": EXTRACT}, name="readings")
    (folder / "data").mkdir()
    rows = pl.DataFrame({"id": range(READINGS), "label": [f"reading number {i:09d}" for i in range(READINGS)]})
    rows.write_parquet(folder / "data" / "readings.parquet")
    product = Product.open(folder)
    product.build()
    product.artifacts.save_table("all_readings", rows, provenance={"product": "readings"})
    with dataproduct_serve(folder) as base:
        yield f"{base}/readings", create_token(folder, "admin")


def connect_to(kernel, url: str, token: str) -> None:
    outputs_of(kernel, textwrap.dedent(f"""\
        import os
        os.environ["DATAPRODUCT_TOKEN"] = {token!r}
        %load_ext jupyter_dataproduct
        %dataproduct connect {url}"""))


def finished_bar(messages: list[dict], description: str) -> str:
    """The one bar's last text, checked to be finished: all the bytes of the answer arrived."""
    bars = bar_messages(messages)
    assert len({m["transient"]["display_id"] for m in bars}) == 1
    last = bars[-1]["data"]
    size = re.search(r'<progress max="(\d+)" value="(\d+)">', last["text/html"])
    assert size and size[1] == size[2] and int(size[1]) > 4 << 20
    assert last["text/plain"].startswith(f"{description}: 100% ")
    return last["text/plain"]


def test_a_large_answer_from_a_server_shows_its_bytes_arriving(kernel, served_readings):
    url, token = served_readings
    connect_to(kernel, url, token)
    messages, _ = outputs_of(kernel, "%dataproduct run extract -o everything")
    finished_bar(messages, "run extract")
    loaded, _ = outputs_of(kernel, "%dataproduct load all_readings -o again")
    finished_bar(loaded, "load all_readings")
    # What arrived is whole: the same rows, run and loaded.
    checked, _ = outputs_of(kernel, "print(everything.tables['rows'].height, again.equals(everything.tables['rows']))")
    assert [m["text"] for m in checked if m["type"] == "stream"] == [f"{READINGS} True\n"]


def test_a_small_answer_leaves_no_bar(kernel, served_readings):
    url, token = served_readings
    connect_to(kernel, url, token)
    messages, _ = outputs_of(kernel, "%dataproduct run extract limit=10")
    assert bar_messages(messages) == []
    shown = [m["data"]["text/plain"] for m in messages if m["type"] == "display_data"]
    assert len(shown) == 1 and shown[0].startswith("<Result extract@1.0.0 on readings@") and "10 rows" in shown[0]
