"""Group commit of history entries: one ``fsync`` for all the entries recorded at about the same time.

An entry is visible as soon as its file is renamed into place (a reader sees it; a process
killed right after leaves it in the system's page cache, where it stays). It is *durable*
(it survives a power cut or a kernel crash) once its line is in the journal
(``<history>/journal.log``, one JSON line per entry) and the journal is synced. A caller
appends its line and waits for a sync that started after the append: one thread per
process and journal syncs for everyone waiting, so eight callers at once cost one sync,
not eight, and still no caller is answered before its entry is durable.

The journal's first line names the boot it was written in (``/proc/sys/kernel/random/boot_id``).
A journal of an earlier boot means the system went down after writing it: :meth:`Journal.recover`
then rewrites (synced) every entry whose file the crash lost or left empty. In the same
boot nothing is lost from the page cache, so no recovery (and no reading) is needed.

The journal is rotated past ``ROTATE_BYTES`` into segments (``journal-<time>.log``, each
numbered past the newest), kept until prune drops their entries (:meth:`Journal.forget`): a
segment costs ~600 bytes per entry, against the entry's own file of one disk block. They
are not dropped earlier on purpose: that would first need every entry file synced, a disk
flush each (2.6 s for 1,400 entries on the development machine), or a sync of the whole
file system, which on a shared disk stalls the journal's own syncs behind everyone's writes.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

from .disk import fsync_folder, reporting_full_disk
from .errors import DataProductError

ROTATE_BYTES = 1_000_000  # journal size from which it is rotated
WAIT_SECONDS = 120.0  # the longest a caller waits for its entry's sync before giving up with an error
CURRENT = "journal.log"
SEGMENTS = "journal-*.log"  # rotated journals, kept until prune drops their entries


class HistoryNotDurableError(DataProductError):
    """The history entry was written but the disk did not confirm it (a failed or stalled sync)."""

    code = "history_not_durable"
    http_status = 503


def boot_id() -> str:
    """This boot of the system (changes with every restart; '' where the system does not say)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


class Journal:
    """The journal of one history folder, as one process writes it; thread-safe.

    :meth:`append` is called under the history's lock (prune and rotation take it too),
    :meth:`durable` outside it (and :func:`wait` or an event loop waits on its future)."""

    def __init__(self, folder: Path, entries: Path) -> None:
        self.folder = Path(folder)
        self.entries = Path(entries)
        self.path = self.folder / CURRENT
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._stale: list[int] = []  # descriptors of journals rotated away, synced then closed by the committer
        self._files = threading.Lock()  # guards the descriptors
        self._cond = threading.Condition()
        self._appended = 0  # sequence number of this process's last append
        self._synced = 0  # every append up to this one is durable
        self._handled = 0  # every append up to this one is synced or failed
        self._failed: tuple[int, BaseException] | None = None  # the last failed sync: (up to, error)
        self._waiting: list[tuple[int, Future[None]]] = []  # (sequence, its future) not yet handled
        self._committer: threading.Thread | None = None

    # -- writing (under the history's lock) ----------------------------------------------------

    def append(self, entry: dict[str, Any]) -> int:
        """Append ``entry``'s line (no sync); the sequence number to wait for."""
        line = json.dumps(entry, separators=(",", ":"), default=str).encode() + b"\n"
        with reporting_full_disk("the history journal"), self._files:
            fd = self._open()
            if os.fstat(fd).st_size > ROTATE_BYTES:
                fd = self._rotate(fd)
            os.write(fd, line)  # O_APPEND: whole lines, also with other processes appending
            with self._cond:
                self._appended += 1
                self._cond.notify()  # the committer is the only thread waiting on it
                return self._appended

    def _open(self) -> int:
        """This process's descriptor of the current journal (reopened when another process rotated it)."""
        try:
            stat = os.stat(self.path)
            current: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
        except FileNotFoundError:
            current = None
        if self._fd is not None and current == self._inode:
            return self._fd
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if os.fstat(fd).st_size == 0:
            os.write(fd, json.dumps({"boot": boot_id()}).encode() + b"\n")
        if self._fd is not None:
            self._stale.append(self._fd)  # our unsynced lines may be in it: the committer syncs it first
        stat = os.fstat(fd)
        self._fd, self._inode = fd, (stat.st_dev, stat.st_ino)
        return fd

    def _rotate(self, fd: int) -> int:
        """Move the journal aside as a segment (synced first) and start a new one."""
        os.fsync(fd)  # every line in it (all processes' lines: one file) is durable before it moves
        os.replace(self.path, self.folder / self._next_segment_name())
        fsync_folder(self.folder)
        return self._open()

    def _next_segment_name(self) -> str:
        """``journal-<time in ns>.log``, after every segment here even if the clock stepped back
        (segments are replayed in the order of their numbers)."""
        newest = max((_segment_number(path) for path in self.folder.glob(SEGMENTS)), default=0)
        return f"journal-{max(time.time_ns(), newest + 1)}.log"

    # -- waiting ------------------------------------------------------------------------------

    def durable(self, sequence: int) -> Future[None]:
        """A future done once append ``sequence`` is synced; its exception is the
        HistoryNotDurableError (or DiskFullError) of a failed sync. It cannot be cancelled: the
        entry is written either way, and the committer resolves it from its own thread (a
        server awaits it with ``asyncio.wrap_future`` instead of parking a thread on it)."""
        future: Future[None] = Future()
        future.set_running_or_notify_cancel()  # running: a caller that goes away cannot cancel it under the committer
        with self._cond:
            if self._synced >= sequence:
                future.set_result(None)
            elif self._failed is not None and self._failed[0] >= sequence:
                future.set_exception(_not_durable(self._failed[1]))
            else:
                self._waiting.append((sequence, future))
                if self._committer is None:
                    self._committer = threading.Thread(target=self._commit, name="dataproduct-history-commit",
                                                       daemon=True)
                    self._committer.start()
        return future

    def _commit(self) -> None:
        """The committer: sync everything appended so far, resolve the futures it covers, repeat;
        it ends (closing the journal) after a second with nothing to do. Only it closes descriptors."""
        while True:
            with self._cond:
                if self._handled >= self._appended:
                    self._cond.wait(1.0)
            with self._files, self._cond:  # this order everywhere: append holds _files, then _cond
                if self._handled >= self._appended:
                    self._committer = None
                    self._close()
                    return  # nobody waits: a future is only left for an append not yet handled
                target, current, stale, self._stale = self._appended, self._fd, self._stale, []
            error: BaseException | None = None
            try:
                for fd in [*stale, current]:
                    if fd is not None:
                        os.fdatasync(fd)
            except BaseException as exc:  # noqa: BLE001 - handed to every caller of this batch
                error = exc
            finally:
                for fd in stale:
                    os.close(fd)
            with self._cond:
                if error is None:
                    self._synced = target
                else:
                    self._failed = (target, error)
                self._handled = target
                covered = [w for w in self._waiting if w[0] <= target]
                self._waiting = [w for w in self._waiting if w[0] > target]
            _resolve(covered, error)

    def _close(self) -> None:
        for fd in [*self._stale, self._fd]:
            if fd is not None:
                os.close(fd)
        self._fd, self._inode, self._stale = None, None, []

    # -- after a crash, and for prune (under the history's lock) -------------------------------

    def files(self) -> list[Path]:
        """The segments, oldest first, then the current journal (if there is one)."""
        current = [self.path] if self.path.exists() else []
        return sorted(self.folder.glob(SEGMENTS), key=_segment_number) + current

    def needs_recovery(self) -> bool:
        """Whether a journal of an earlier boot is here (reads the first line of each journal)."""
        for path in self.files():
            try:
                with open(path, "rb") as handle:
                    first = handle.readline()
            except FileNotFoundError:
                continue
            try:
                if json.loads(first).get("boot") != boot_id():
                    return True
            except (ValueError, AttributeError):
                return True  # a journal whose first line was torn by a crash
        return False

    def recover(self, write_entry: Callable[[dict[str, Any]], None]) -> int:
        """Rewrite the entries a crash of the system lost (journals of an earlier boot); the count."""
        restored = 0
        for path in self.files():
            boot, entries = read_journal(path)
            if boot == boot_id():
                continue
            for entry in entries:
                if not _readable(self.entries / (entry["id"] + ".json")):
                    self.entries.mkdir(parents=True, exist_ok=True)
                    write_entry(entry)
                    restored += 1
            if restored:
                fsync_folder(self.entries)
            path.unlink()  # its entries are all durable now
            fsync_folder(self.folder)
        return restored

    def forget(self, ids: set[str]) -> None:
        """Drop the lines of pruned entries, so a recovery never brings them back."""
        from .snapshot import write_atomically

        with self._files:
            for path in self.files():
                lines = path.read_bytes().splitlines(keepends=True)
                kept = [line for line in lines if not _names_one_of(line, ids)]
                if path != self.path and not read_journal_lines(kept)[1]:
                    path.unlink()  # a segment whose entries are all pruned
                elif len(kept) < len(lines):
                    write_atomically(path, b"".join(kept).decode())


def _resolve(covered: list[tuple[int, Future[None]]], error: BaseException | None) -> None:
    """Finish the futures of one sync (outside the lock: their callbacks run here)."""
    for _, future in covered:
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(_not_durable(error))


def wait(durable: Future[None]) -> None:
    """Block until ``durable`` (a :meth:`Journal.durable` future) is done: its error if the sync
    failed (HistoryNotDurableError, or DiskFullError when the disk was full),
    HistoryNotDurableError after WAIT_SECONDS."""
    try:
        durable.result(WAIT_SECONDS)
    except TimeoutError:
        raise not_durable_in_time() from None


def not_durable_in_time() -> HistoryNotDurableError:
    """The error of a caller that waited WAIT_SECONDS for its entry's sync."""
    return HistoryNotDurableError(
        f"The disk did not confirm this run's history entry within {WAIT_SECONDS:g} s; the entry is "
        "written but may not survive a crash of the machine. Check the server's disk.")


def _not_durable(exc: BaseException) -> DataProductError:
    from .disk import is_full_disk
    from .errors import DiskFullError

    if is_full_disk(exc):
        return DiskFullError("The disk is full: the history entry of this run could not be made durable.",
                             details={"writing": "the history journal"})
    return HistoryNotDurableError(
        f"The disk failed to store this run's history entry ({exc}); the entry may not survive a crash of "
        "the machine. Check the server's disk.")


def _names_one_of(line: bytes, ids: set[str]) -> bool:
    try:
        return json.loads(line).get("id") in ids
    except ValueError:
        return True  # a torn line: nothing to keep


def read_journal(path: Path) -> tuple[str | None, list[dict[str, Any]]]:
    """The boot a journal was written in and its entries; a torn line (a crash during its
    write, never acknowledged) is left out."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, []
    return read_journal_lines(raw.splitlines())


def read_journal_lines(lines: list[bytes]) -> tuple[str | None, list[dict[str, Any]]]:
    """:func:`read_journal` of a journal's lines."""
    boot, entries = None, []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            entries.append(record)
        elif isinstance(record, dict) and "boot" in record and boot is None:
            boot = str(record["boot"])
    return boot, entries


def _readable(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_bytes()), dict)
    except (OSError, ValueError):
        return False


def _segment_number(path: Path) -> int:
    """The number in ``journal-<number>.log`` (-1 for a name that has none, listed first)."""
    number = path.stem.removeprefix("journal-")
    return int(number) if number.isdigit() else -1
