"""The comm that tells the Data Products panel which products a kernel has connected and
which snapshot each is pinned to: a real kernel through jupyter_client, as JupyterLab talks to it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.kernel.comm import TARGET


class Frontend:
    """A front end of a real kernel: runs cells and opens comms, collecting what the kernel sends."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def run(self, code: str) -> list[dict[str, Any]]:
        """Run a cell; the comm messages it caused (failing on an error)."""
        messages: list[dict[str, Any]] = []
        reply = self.client.execute_interactive(code, timeout=120, output_hook=messages.append)
        assert reply["content"]["status"] == "ok", reply["content"]
        return [m["content"] for m in messages if m["msg_type"] == "comm_msg"]

    def open(self) -> tuple[str, dict[str, Any]]:
        """Open a comm to the target; (its id, the kernel's first answer: comm_msg or comm_close)."""
        comm_id = uuid.uuid4().hex
        message = self.client.session.msg("comm_open", {"comm_id": comm_id, "target_name": TARGET, "data": {}})
        self.client.shell_channel.send(message)
        return comm_id, self.answer(comm_id)

    def ask(self, comm_id: str) -> dict[str, Any]:
        message = self.client.session.msg("comm_msg", {"comm_id": comm_id, "data": {"request": "state"}})
        self.client.shell_channel.send(message)
        return self.answer(comm_id)

    def answer(self, comm_id: str) -> dict[str, Any]:
        while True:
            message = self.client.get_iopub_msg(timeout=30)
            if message["msg_type"] in ("comm_msg", "comm_close") and message["content"]["comm_id"] == comm_id:
                return {"type": message["msg_type"], **message["content"]}


@pytest.fixture
def frontend() -> Iterator[Frontend]:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=180)
    try:
        yield Frontend(client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture
def tiny_built(tiny_dir: Path) -> tuple[Path, list[str]]:
    """The tiny product with two snapshots (the data changed in between): (folder, ids oldest first)."""
    product = Product.open(tiny_dir)
    product.build()
    people = tiny_dir / "data" / "people.csv"
    people.write_text(people.read_text() + people.read_text().splitlines()[-1].replace(",", "9,", 1) + "\n")
    product.build()
    return tiny_dir, [s.id for s in sorted(product.snapshots(), key=lambda s: s.created)]


def test_a_kernel_without_the_magics_closes_the_comm(frontend):
    _, answer = frontend.open()
    assert answer["type"] == "comm_close"


def test_connect_and_snapshot_use_are_pushed_to_the_open_comm(frontend, tiny_built):
    folder, (older, newer) = tiny_built
    assert frontend.run("%load_ext jupyter_dataproduct") == []
    comm_id, answer = frontend.open()
    assert answer["type"] == "comm_msg" and answer["data"] == {"products": []}

    pushed = frontend.run(f"%dataproduct connect {folder}")
    assert [m["comm_id"] for m in pushed] == [comm_id]
    assert pushed[0]["data"] == {"products": [
        {"name": "tiny", "location": str(folder.resolve()), "pinned": None, "default": True}]}

    pushed = frontend.run(f"%dataproduct snapshot use {older[:10]}")
    assert [m["data"]["products"][0]["pinned"] for m in pushed] == [older]

    assert frontend.run("x = 1 + 1") == []  # nothing changed: nothing sent

    pushed = frontend.run(f"second = %dataproduct connect {folder} --as second\nsecond.use('latest');")
    assert [(p["name"], p["pinned"], p["default"]) for p in pushed[-1]["data"]["products"]] == [
        ("tiny", older, False), ("second", newer, True)]

    # Asked again (a panel that was hidden, a notebook switched back to): the same state.
    assert frontend.ask(comm_id)["data"] == pushed[-1]["data"]
    pushed = frontend.run("%dataproduct snapshot use none --product tiny")
    assert pushed[-1]["data"]["products"][0]["pinned"] is None


def test_a_second_front_end_comm_gets_the_state_at_once(frontend, tiny_built):
    folder, (_, newer) = tiny_built
    frontend.run(f"%load_ext jupyter_dataproduct\n%dataproduct connect {folder}\n%dataproduct snapshot use latest")
    first, answer = frontend.open()
    second, again = frontend.open()
    assert first != second and answer["data"] == again["data"]
    assert answer["data"]["products"][0]["pinned"] == newer


def test_no_comm_target_outside_a_kernel(ip):
    """A plain IPython shell (a terminal) loads the magics without any comm."""
    magics = ip.magics_manager.registry["DataProductMagics"]
    assert magics.session_comm.install() is False
