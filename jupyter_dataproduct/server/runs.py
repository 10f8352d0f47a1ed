"""Runs (protocols, plugins, re-runs) in worker processes, each within a time and memory budget.

A run can cost far more than its request suggests (a plugin grouped by a patient id, a
user's R code). The server therefore never runs one in its own process: a pool of worker
processes takes one run at a time, each with an address-space limit (``memory_mb``); a
run that is not done after ``seconds`` has its worker killed and replaced, so the slot is
free again at once. The caller gets a clear error: 422 ``run_budget_exceeded`` when the run
needed more time or memory than the server allows a run, 503 ``server_busy`` (with
``Retry-After``) when every worker stayed busy for ``queue_seconds``.

Workers are fresh Python processes (not forks: the server may live in a process whose
state a fork would copy, such as a notebook kernel), started on first use, talking to the
server over a socket pair; they exit when the server goes away.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import DataProductError

log = logging.getLogger("jupyter_dataproduct.server")

DEFAULT_SECONDS = 300.0
DEFAULT_MEMORY_MB = 4096
METHODS = ("run", "run_plugin", "rerun", "history_result")  # what a worker may be asked to do


class RunBudgetError(DataProductError):
    """A run needed more time or memory than this server allows one run."""

    code = "run_budget_exceeded"
    http_status = 422


class ServerBusyError(DataProductError):
    """Every worker stayed busy; try again later."""

    code = "server_busy"
    http_status = 503


@dataclass(frozen=True)
class RunBudget:
    """What one run may use: ``seconds`` of wall time, ``memory_mb`` of address space (None:
    unlimited), in one of ``workers`` processes; a run waits at most ``queue_seconds`` for one."""

    seconds: float | None = DEFAULT_SECONDS
    memory_mb: int | None = DEFAULT_MEMORY_MB
    workers: int = 2
    queue_seconds: float = 30.0


STARTUP_SECONDS = 180.0  # for a worker to start and load the products (not part of any run's budget)


class _Worker:
    def __init__(self, memory_mb: int | None, products: list[tuple[str, str]]) -> None:
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        code = ("import sys, json; sys.path[:0] = json.loads(sys.argv[2]); "
                "from jupyter_dataproduct.server.runs import worker_main; worker_main(int(sys.argv[1]))")
        self.process = subprocess.Popen([sys.executable, "-c", code, str(theirs.fileno()), json.dumps(sys.path)],
                                        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send((memory_mb, products))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def exitcode(self) -> int | None:
        return self.process.poll()

    def wait_ready(self) -> bool:
        """Wait until the worker has loaded the products (its plugins and protocols)."""
        try:
            return self.conn.poll(STARTUP_SECONDS) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self.conn.close()


class RunWorkers:
    """The pool of worker processes of one server."""

    def __init__(self, budget: RunBudget, products: list[tuple[str, str]] | None = None) -> None:
        self.budget = budget
        self.products = list(products or [])  # (folder, store) of each served product, loaded by every worker
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, budget.workers))

    def call(self, product: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        """``product.<method>(*args, **kwargs)`` in a worker, within the budget."""
        from ..core.history import current_user

        if method not in METHODS:
            raise ValueError(f"a worker does not run {method!r}")
        if not self._slots.acquire(timeout=self.budget.queue_seconds):
            raise ServerBusyError("Every run worker of this server is busy; try again in a minute.",
                                  details={"retry_after": 60})
        try:
            worker = self._take()
            job = (str(product.path), str(product.store.root), current_user(), method, args, kwargs)
            try:
                worker.conn.send(job)
                done = worker.conn.poll(self.budget.seconds)
                outcome = worker.conn.recv() if done else None
            except (EOFError, OSError, BrokenPipeError):
                outcome = ("died", worker.exitcode)
            if outcome is None or outcome[0] in ("died", "memory"):
                worker.kill()
                threading.Thread(target=self._replace, name="dataproduct-run-worker-start", daemon=True).start()
                raise self._budget_error(outcome)
            self._give_back(worker)
        finally:
            self._slots.release()
        status, payload = outcome
        if status == "ok":
            return payload
        raise _rebuilt(payload)

    def close(self) -> None:
        with self._lock:
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.kill()

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.kill()
        worker = self._start()
        if worker is None:
            raise ServerBusyError("A run worker could not start; try again in a minute.", details={"retry_after": 60})
        return worker

    def _start(self) -> _Worker | None:
        worker = _Worker(self.budget.memory_mb, self.products)
        if worker.wait_ready():
            return worker
        log.error("A run worker did not start (exit code %s)", worker.exitcode)
        worker.kill()
        return None

    def _replace(self) -> None:
        """A fresh worker for one that was stopped, so the next run does not wait for it to start."""
        worker = self._start()
        if worker is not None:
            self._give_back(worker)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < max(1, self.budget.workers):
                self._idle.append(worker)
                return
        worker.kill()

    def _budget_error(self, outcome: tuple[str, Any] | None) -> RunBudgetError:
        if outcome is None:
            return RunBudgetError(
                f"The run took longer than {self.budget.seconds:g} s, the most this server allows one run; "
                "it was stopped. Narrow it (a smaller cohort, fewer groups) or ask the operator for a larger budget.",
                details={"budget_seconds": self.budget.seconds})
        memory = f"{self.budget.memory_mb:,} MB" if self.budget.memory_mb else "the machine's memory"
        return RunBudgetError(
            f"The run stopped before finishing: it needed more than {memory}, the most this server allows one run. "
            "Narrow it (a smaller cohort, fewer groups) or ask the operator for a larger budget.",
            details={"budget_memory_mb": self.budget.memory_mb})


def run_in_budget(call: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``call.product.<method>(...)`` within the server's run budget (in-process if it has none)."""
    workers: RunWorkers | None = getattr(call.request.app.state, "run_workers", None)
    if workers is None:
        return getattr(call.product, method)(*args, **kwargs)
    return workers.call(call.product, method, *args, **kwargs)


# -- in the worker process ---------------------------------------------------------------------


def worker_main(fd: int) -> None:
    """A worker process's entry point: serve runs over the socket ``fd`` from the server."""
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    try:
        memory_mb, served = conn.recv()
    except (EOFError, OSError):
        return
    _serve_runs(conn, memory_mb, served)


def _serve_runs(conn: Any, memory_mb: int | None, served: list[tuple[str, str]]) -> None:
    """A worker's life: load the products, then one job at a time until the server goes away."""
    import resource

    from ..core.product import Product

    if memory_mb:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    products: dict[tuple[str, str], Any] = {}
    for path, store in served:
        try:
            product = products[(path, store)] = Product(Path(path), Path(store))
            product.plugins()
            product.protocols()
        except DataProductError:
            pass  # reported to whoever runs something of it
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        conn.send(_run_job(job, products))


def _run_job(job: tuple[Any, ...], products: dict[tuple[str, str], Any]) -> tuple[str, Any]:
    import polars as pl

    from ..core.history import acting_as
    from ..core.product import Product

    path, store, who, method, args, kwargs = job
    try:
        product = products.get((path, store))
        if product is None:
            product = products[(path, store)] = Product(Path(path), Path(store))
        with acting_as(who):
            return "ok", getattr(product, method)(*args, **kwargs)
    except MemoryError:
        return "memory", None
    except DataProductError as exc:
        if _out_of_memory(exc):  # a plugin's MemoryError, reported as the plugin's error
            return "memory", None
        return "error", (exc.code, exc.http_status, exc.message, exc.details)
    except pl.exceptions.PolarsError as exc:
        return "error", ("query_failed", 422, f"The query failed: {str(exc).splitlines()[0][:300]}", {})
    except Exception:  # noqa: BLE001 - reported as an internal error; the details go to the log
        logging.getLogger("jupyter_dataproduct.server").exception("A run failed in a worker")
        return "error", ("internal_error", 500, "Internal server error; the server log has the details.", {})


def _out_of_memory(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError) or isinstance(seen, DataProductError) and seen.details.get("exception") == "MemoryError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _rebuilt(payload: tuple[str, int, str, dict[str, Any]]) -> DataProductError:
    code, status, message, details = payload
    error = DataProductError(message, details=details)
    error.code, error.http_status = code, status  # type: ignore[misc]
    return error
