"""Progress bars in a real Jupyter kernel: one display output redrawn in place, so what the
notebook keeps is the last state (a finished or a stopped bar), and never a flood of redraws."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Iterator

import pytest

from jupyter_dataproduct.kernel.progress import UPDATES_PER_SECOND


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
