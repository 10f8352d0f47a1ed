"""A repeated protocol run is answered from the server's memory: the same answer, its own
history entry, and never a stale one (edited code, a replaced saved cohort, a pruned history)."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx
import pytest

from jupyter_dataproduct.core import history_journal
from jupyter_dataproduct.core.history_journal import read_journal
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.server import create_app
from tests.server.conftest import ServerThread, free_port

P = "/api/products/actg175"
RUN = f"{P}/protocols/cd4_response/run"


@pytest.fixture
def memo_server(served_dirs, tmp_path) -> Iterator:
    """``memo_server(**create_app_options)``: a copy of the built ACTG product (snapshots and
    tokens, no history) on its own server; returns ``(client, app, product)``."""
    running: list[tuple[ServerThread, httpx.Client]] = []

    def start(**options):
        folder = tmp_path / f"memo{len(running)}"
        shutil.copytree(served_dirs["actg175"], folder, ignore=shutil.ignore_patterns("arrow-cache", "history"))
        app = create_app([folder], **options)
        server = ServerThread(app, free_port()).start()
        client = httpx.Client(base_url=server.url, timeout=120)
        running.append((server, client))
        return client, app, Product.open(folder)

    try:
        yield start
    finally:
        for server, client in running:
            client.close()
            server.stop()


def without_history_id(answer: dict) -> dict:
    return {**answer, "provenance": {k: v for k, v in answer["provenance"].items() if k != "history_id"}}


def test_the_same_run_again_is_answered_from_memory_with_its_own_history_entry(memo_server, headers):
    http, app, product = memo_server()
    first = http.post(RUN, json={"threshold": 50}, headers=headers["analyst"])
    again = http.post(RUN, json={"threshold": 50}, headers=headers["admin"])
    assert first.status_code == again.status_code == 200, again.text[:300]
    assert app.state.result_memo.hits == 1
    assert without_history_id(again.json()) == without_history_id(first.json())
    newest, earlier = product.history.list()
    assert (newest.id, earlier.id) == (again.json()["provenance"]["history_id"], first.json()["provenance"]["history_id"])
    assert newest.who.endswith("(admin)") and earlier.who.endswith("(analyst)") and newest.result == earlier.result

    as_json = http.post(RUN, params={"tables": "json"}, json={"threshold": 50}, headers=headers["analyst"])
    assert app.state.result_memo.hits == 2
    assert as_json.json()["tables"]["response"]["records"][0]["responders"] > 0

    other = http.post(RUN, json={"threshold": 100}, headers=headers["analyst"])
    assert app.state.result_memo.hits == 2  # other parameters: run
    assert other.json()["tables"] != first.json()["tables"]
    snapshot = product.snapshot().id
    pinned = http.post(RUN, params={"snapshot": snapshot[:12]}, json={"threshold": 100}, headers=headers["analyst"])
    assert app.state.result_memo.hits == 3  # "latest" and the id prefix are the same snapshot
    assert pinned.json()["tables"] == other.json()["tables"]
    assert product.history.count() == 5


def test_an_answer_from_memory_is_the_document_a_run_gives_in_both_table_formats(memo_server, headers):
    http, app, _ = memo_server()
    for tables, threshold in (("arrow", 60), ("json", 70)):
        ran = http.post(RUN, params={"tables": tables}, json={"threshold": threshold}, headers=headers["analyst"])
        answers = [http.post(RUN, params={"tables": tables}, json={"threshold": threshold}, headers=headers["analyst"])
                   for _ in range(2)]  # the first encodes what it keeps, the second sends what was kept
        for again in answers:
            assert again.headers["content-type"] == ran.headers["content-type"] == "application/json"
            assert without_history_id(again.json()) == without_history_id(ran.json())
            entry = again.json()["provenance"]["history_id"]
            assert again.text.replace(entry, "ID") == ran.text.replace(ran.json()["provenance"]["history_id"], "ID")
    assert app.state.result_memo.hits == 4


def test_edited_plugin_code_is_run_again(memo_server, headers):
    http, app, product = memo_server()
    before = http.post(RUN, json={}, headers=headers["analyst"]).json()
    plugin = product.path / "plugins" / "cd4_response.py"
    plugin.write_text(plugin.read_text().replace('"title": f"CD4 response', '"title": f"CD4 rise'))
    after = http.post(RUN, json={}, headers=headers["analyst"]).json()
    assert app.state.result_memo.hits == 0
    assert before["charts"]["response_chart"]["title"].startswith("CD4 response")
    assert after["charts"]["response_chart"]["title"].startswith("CD4 rise")


def test_a_replaced_saved_cohort_is_run_again(memo_server, headers):
    http, app, product = memo_server()
    product.save_cohort("older", "patients", "age >= 40")
    body = {"cohort": {"artifact": "older"}}
    older = http.post(RUN, json=body, headers=headers["analyst"]).json()
    product.save_cohort("older", "patients", "age >= 50", overwrite=True)
    oldest = http.post(RUN, json=body, headers=headers["analyst"]).json()
    assert app.state.result_memo.hits == 0
    assert older["provenance"]["parameters"]["cohort"] != oldest["provenance"]["parameters"]["cohort"]
    assert older["tables"]["response"]["data"] != oldest["tables"]["response"]["data"]
    counted = [http.post(RUN, params={"tables": "json"}, json=body, headers=headers["analyst"]).json()
               for _ in range(2)]
    assert without_history_id(counted[0]) == without_history_id(counted[1])
    assert app.state.result_memo.hits == 2  # the same cohort again: from memory (in either table format)


def test_refusals_are_the_same_with_a_memo(memo_server, headers):
    http, app, _ = memo_server()
    assert http.post(RUN, json={}, headers=headers["analyst"]).status_code == 200
    too_high = http.post(RUN, json={"threshold": 5000}, headers=headers["analyst"])
    assert too_high.status_code == 422 and too_high.json()["error"]["code"] == "invalid_parameter"
    # A token limited to another protocol is refused before anything is looked up.
    assert http.post(RUN, json={}, headers=headers["survival_only"]).status_code == 403
    assert http.post(RUN, json={}, headers=headers["reader"]).status_code == 403
    assert http.post(RUN, json={}).status_code == 401
    missing = http.post(RUN, params={"snapshot": "no-such-tag"}, json={}, headers=headers["analyst"])
    assert missing.status_code == 404, missing.text[:300]
    assert app.state.result_memo.hits == 0


def test_a_pruned_history_is_run_again_and_no_memo_runs_every_call(memo_server, headers):
    http, app, product = memo_server()
    assert http.post(RUN, json={}, headers=headers["analyst"]).status_code == 200
    product.history.prune(keep=0)
    again = http.post(RUN, json={}, headers=headers["analyst"])
    assert again.status_code == 200 and app.state.result_memo.hits == 0
    assert [e.id for e in product.history.list()] == [again.json()["provenance"]["history_id"]]

    http, app, product = memo_server(result_memo=0)
    assert app.state.result_memo is None
    answers = [http.post(RUN, json={}, headers=headers["analyst"]).json() for _ in range(2)]
    assert without_history_id(answers[0]) == without_history_id(answers[1]) and product.history.count() == 2


def test_many_clients_asking_the_same_at_once_all_get_it(memo_server, headers):
    # The memo's answer is shared by every thread of the server: nothing of it may be a polars
    # frame in use by two threads at once (that deadlocked the server under 8 clients).
    from concurrent.futures import ThreadPoolExecutor

    http, app, product = memo_server()
    first = without_history_id(http.post(RUN, json={}, headers=headers["analyst"]).json())

    def ask(_: int) -> dict:
        with httpx.Client(base_url=str(http.base_url), timeout=60) as client:
            return [without_history_id(client.post(RUN, json={}, headers=headers["analyst"]).json()) for _ in range(25)]

    with ThreadPoolExecutor(8) as pool:
        answers = [a for batch in pool.map(ask, range(8)) for a in batch]
    assert answers == [first] * 200 and app.state.result_memo.hits == 200
    assert product.history.count() == 201


# -- an answer from memory is sent only once its history entry is durable ----------------------
# The server awaits the entry's sync on its event loop (no thread parked per call): these
# tests hold the sync at a gate (or fail it) in the server's process.


@pytest.fixture
def held_sync(monkeypatch) -> Iterator[tuple[threading.Event, threading.Event, list[int]]]:
    """``(started, gate, synced)``: every ``fdatasync`` of the history journal waits for ``gate``;
    ``started`` is set once one is waiting, ``synced`` lists those done. The gate opens at the end
    in any case."""
    started, gate, synced = threading.Event(), threading.Event(), []
    real_sync = os.fdatasync

    def held(fd: int) -> None:
        started.set()
        gate.wait(120)
        real_sync(fd)
        synced.append(fd)

    monkeypatch.setattr(history_journal.os, "fdatasync", held)
    try:
        yield started, gate, synced
    finally:
        gate.set()


def wait_until(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_an_answer_from_memory_waits_for_its_entry_and_the_server_stays_free(memo_server, headers, held_sync):
    http, app, product = memo_server()
    first = http.post(RUN, json={}, headers=headers["analyst"])  # a run, recorded in the worker process
    assert first.status_code == 200
    started, gate, _ = held_sync
    many = 48  # more than the server's threads: none of them may be parked waiting for the disk
    answers: list[httpx.Response] = []

    def ask(_: int) -> httpx.Response:
        with httpx.Client(base_url=str(http.base_url), timeout=120) as client:
            return client.post(RUN, json={}, headers=headers["analyst"])

    with ThreadPoolExecutor(many) as pool:
        pending = [pool.submit(ask, i) for i in range(many)]
        wait_until(lambda: product.history.count() == 1 + many, "every entry written")  # visible, not durable yet
        assert started.is_set() and not any(p.done() for p in pending)  # nobody answered before the disk confirmed
        description = http.get(f"{P}/protocols/cd4_response", headers=headers["reader"])  # needs a server thread
        assert description.status_code == 200
        assert not any(p.done() for p in pending)
        gate.set()
        answers = [p.result(120) for p in pending]
    assert [a.status_code for a in answers] == [200] * many
    ids = [a.json()["provenance"]["history_id"] for a in answers]
    listed = [e.id for e in product.history.list()]
    assert len(set(ids)) == many and sorted(listed) == sorted(ids + [first.json()["provenance"]["history_id"]])
    _, journaled = read_journal(product.history.root / "journal.log")
    assert set(ids) <= {e["id"] for e in journaled}  # each answered entry is in the synced journal


def test_a_failing_sync_answers_503_not_the_result(memo_server, headers, monkeypatch):
    http, app, product = memo_server()
    assert http.post(RUN, json={}, headers=headers["analyst"]).status_code == 200
    real_sync = os.fdatasync

    def broken_disk(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(history_journal.os, "fdatasync", broken_disk)
    failed = http.post(RUN, json={}, headers=headers["analyst"])
    assert failed.status_code == 503 and failed.headers["retry-after"] == "60"
    assert failed.json()["error"]["code"] == "history_not_durable" and "tables" not in failed.json()
    monkeypatch.setattr(history_journal.os, "fdatasync", real_sync)
    again = http.post(RUN, json={}, headers=headers["analyst"])
    assert again.status_code == 200 and again.json()["provenance"]["history_id"] == product.history.list()[0].id


def test_a_client_gone_while_its_entry_syncs_leaves_the_entry_whole(memo_server, headers, held_sync):
    http, app, product = memo_server()
    assert http.post(RUN, json={}, headers=headers["analyst"]).status_code == 200
    started, gate, synced = held_sync
    body = b"{}"
    request = (f"POST {RUN} HTTP/1.1\r\nHost: test\r\nAuthorization: {headers['analyst']['Authorization']}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection((http.base_url.host, http.base_url.port), timeout=60) as raw:
        raw.sendall(request)
        wait_until(lambda: product.history.count() == 2 and started.is_set(), "the entry written, its sync started")
    gate.set()  # the client is gone; the entry's sync finishes without it
    wait_until(lambda: synced, "the entry's sync")
    entry = product.history.list()[0]
    assert entry.id in {e["id"] for e in read_journal(product.history.root / "journal.log")[1]}
    assert product.history.get(entry.id).result == product.history.list()[1].result
    after = http.post(RUN, json={}, headers=headers["analyst"])
    assert after.status_code == 200 and product.history.count() == 3
