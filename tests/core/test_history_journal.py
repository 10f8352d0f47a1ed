"""Group commit of history entries: every entry recorded at once lands exactly once, each caller
returns only after a sync that covers its entry, a failed sync is an error (not a hang), and
the entries a system crash loses come back from the journal (pruned ones do not)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator

import pytest

from jupyter_dataproduct.core import history_journal
from jupyter_dataproduct.core.errors import DiskFullError
from jupyter_dataproduct.core.history import History
from jupyter_dataproduct.core.history_journal import HistoryNotDurableError, boot_id, read_journal
from jupyter_dataproduct.core.product import Product

PEOPLE = """\
name: people
version: 1.0.0
parameters:
  limit: {type: int, required: false}
steps:
  - {id: rows, query: people, with: {limit: $limit, order_by: [id]}}
"""


@pytest.fixture
def product(tiny_dir, monkeypatch) -> Product:
    monkeypatch.setenv("DATAPRODUCT_USER", "ada")
    (tiny_dir / "protocols").mkdir()
    (tiny_dir / "protocols" / "people.yaml").write_text(PEOPLE)
    product = Product.open(tiny_dir)
    product.build()
    return product


def crash_the_system(history: History) -> None:
    """What a power cut leaves: journals of another boot (the page cache is gone)."""
    for path in history.journal.files():
        path.write_text(path.read_text().replace(boot_id(), "an-earlier-boot"))


@contextlib.contextmanager
def syncs_replaced_by(replacement: Callable[[Callable[[int], None], int], None]) -> Iterator[None]:
    """Within the block, the journal's ``fdatasync(fd)`` calls ``replacement(real_sync, fd)``."""
    real_sync = os.fdatasync
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(history_journal.os, "fdatasync", lambda fd: replacement(real_sync, fd))
        yield


def failing_with(code: int) -> Callable[[Callable[[int], None], int], None]:
    """A sync that fails as a disk does: ``errno`` ``code`` (EIO, ENOSPC)."""
    def sync(real_sync, fd):
        raise OSError(code, os.strerror(code))
    return sync


@contextlib.contextmanager
def syncs_held() -> Iterator[tuple[threading.Event, threading.Event]]:
    """``(started, gate)``: every sync waits for ``gate`` (set on leaving, whatever happened)."""
    started, gate = threading.Event(), threading.Event()

    def held(real_sync, fd):
        started.set()
        gate.wait(30)
        real_sync(fd)

    with syncs_replaced_by(held):
        try:
            yield started, gate
        finally:
            gate.set()


def test_many_callers_at_once_each_land_exactly_once_and_durably(product):
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    synced = []

    def counting_sync(real_sync, fd):  # the system call itself, counted: fewer syncs than entries is the point
        synced.append(fd)
        real_sync(fd)

    with syncs_replaced_by(counting_sync), ThreadPoolExecutor(8) as pool:
        entries = list(pool.map(lambda _: product.history.record_again(first), range(200)))
    ids = [e.id for e in entries]
    assert len(set(ids)) == 200
    listed = [e.id for e in product.history.list()]
    assert sorted(listed) == sorted(ids + [first]) and len(listed) == len(set(listed))
    boot, journaled = read_journal(product.history.root / "journal.log")
    assert boot == boot_id() and sorted(e["id"] for e in journaled) == sorted(ids + [first])
    assert 1 <= len(synced) <= 200  # every caller waited for a sync; under contention they share one


def test_a_caller_returns_only_after_a_sync_covering_its_entry(product):
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    with syncs_held() as (started, gate):
        done = []
        caller = threading.Thread(target=lambda: done.append(product.history.record_again(first)))
        caller.start()
        assert started.wait(30)
        caller.join(0.3)
        assert caller.is_alive() and not done  # visible already, but not answered before the disk confirmed it
        assert product.history.count() == 2
        gate.set()
        caller.join(30)
        assert done and done[0] is not None


def test_a_failing_sync_is_a_clear_error_not_a_hang_and_the_next_call_works(product):
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    with syncs_replaced_by(failing_with(errno.EIO)):
        with pytest.raises(HistoryNotDurableError, match="disk failed to store this run's history entry"):
            product.history.record_again(first)
        with pytest.raises(HistoryNotDurableError) as raised:
            product.run("people", {"limit": 1})
        assert raised.value.http_status == 503 and raised.value.code == "history_not_durable"
    assert product.history.record_again(first) is not None


def test_a_pending_entry_is_visible_at_once_and_its_future_done_after_the_sync(product):
    # A server awaits this future on its event loop instead of parking a thread per call.
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    with syncs_held() as (started, gate):
        pending = product.history.record_again_pending(first)
        assert started.wait(30)
        assert product.history.list()[0].id == pending.entry.id and pending.entry.who == "ada"
        assert not pending.durable.done()
        assert not pending.durable.cancel()  # a caller that goes away cannot take it from the committer
        gate.set()
        assert pending.durable.result(30) is None


def test_a_pending_entry_whose_sync_fails_has_the_error_in_its_future(product):
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    with syncs_replaced_by(failing_with(errno.EIO)):
        pending = product.history.record_again_pending(first)
        error = pending.durable.exception(30)
    assert isinstance(error, HistoryNotDurableError) and error.http_status == 503
    assert product.history.record_again_pending("20990101T000000000-nothing") is None


def test_a_full_disk_while_syncing_is_the_disk_full_error(product):
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    with syncs_replaced_by(failing_with(errno.ENOSPC)), pytest.raises(DiskFullError, match="The disk is full"):
        product.history.record_again(first)


def test_entries_a_system_crash_lost_come_back_from_the_journal(product):
    ids = [product.run("people", {"limit": n}).provenance["history_id"] for n in (1, 2, 3)]
    entries = product.history.root / "entries"
    wanted = {i: json.loads((entries / f"{i}.json").read_text()) for i in ids}
    (entries / f"{ids[0]}.json").unlink()  # the rename never reached the disk
    (entries / f"{ids[1]}.json").write_text("")  # the name did, the content did not
    crash_the_system(product.history)
    after = Product.open(product.path).history
    assert [e.id for e in after.list()] == list(reversed(ids))
    assert {i: json.loads((entries / f"{i}.json").read_text()) for i in ids} == wanted
    assert not (after.root / "journal.log").exists() or read_journal(after.root / "journal.log")[0] == boot_id()


def test_a_torn_last_line_is_left_out(product):
    product.run("people", {"limit": 1})
    journal = product.history.root / "journal.log"
    with open(journal, "ab") as handle:
        handle.write(b'{"id":"20990101T0000000')  # the crash came while this line was written
    crash_the_system(product.history)
    assert Product.open(product.path).history.count() == 1


def test_pruned_entries_do_not_come_back_after_a_crash(product):
    ids = [product.run("people", {"limit": n}).provenance["history_id"] for n in (1, 2, 3)]
    product.history.prune(keep=1)
    assert [e["id"] for e in read_journal(product.history.root / "journal.log")[1]] == [ids[-1]]
    crash_the_system(product.history)
    assert [e.id for e in Product.open(product.path).history.list()] == [ids[-1]]


def test_a_long_journal_is_rotated_into_segments_that_prune_drops(product, monkeypatch):
    monkeypatch.setattr(history_journal, "ROTATE_BYTES", 2_000)
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    ids = [product.history.record_again(first).id for _ in range(12)]
    journal = product.history.journal
    assert len(journal.files()) > 2 and journal.files()[-1] == journal.path
    journaled = [e["id"] for path in journal.files() for e in read_journal(path)[1]]
    assert journaled == [first, *ids]  # in the order recorded, each once
    assert all(read_journal(path)[0] == boot_id() for path in journal.files())
    product.history.prune(keep=2)
    assert [e["id"] for path in journal.files() for e in read_journal(path)[1]] == ids[-2:]
    assert len(journal.files()) <= 2  # segments left without entries are gone


def test_segments_keep_their_order_when_the_clock_steps_back(product, monkeypatch):
    monkeypatch.setattr(history_journal, "ROTATE_BYTES", 2_000)
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    ids = [product.history.record_again(first).id for _ in range(6)]
    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() - 3_600 * 10**9)  # an hour back (NTP, a VM restored)
    ids += [product.history.record_again(first).id for _ in range(6)]
    monkeypatch.setattr(time, "time_ns", real)
    journal = product.history.journal
    assert len(journal.files()) > 3
    assert [e["id"] for path in journal.files() for e in read_journal(path)[1]] == [first, *ids]


def test_segments_restore_entries_after_a_crash(product, monkeypatch):
    monkeypatch.setattr(history_journal, "ROTATE_BYTES", 2_000)
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    ids = [product.history.record_again(first).id for _ in range(12)]
    history = product.history
    assert len(history.journal.files()) > 1
    for entry_id in ids:  # none of the entries' files reached the disk
        (history.entries_dir / f"{entry_id}.json").unlink()
    crash_the_system(history)
    assert sorted(e.id for e in Product.open(product.path).history.list()) == sorted([first, *ids])
    assert history.journal.files() == []  # all durable in their own files now
