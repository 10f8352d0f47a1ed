"""Answers to repeated protocol runs, from memory.

A protocol run on a snapshot is a pure function of the snapshot (immutable), the protocol
and plugin code and the bound parameters: provenance re-runs rely on that. So when a client
asks again for exactly what was run before, the server answers with the earlier result
instead of sending the run to a worker process. The key holds everything the result
depends on: the product, the snapshot's id (``latest`` resolved), protocol name and
version, the bound parameters (a saved cohort as its tree, so a replaced cohort is a new
key) and a stamp of the product's plugin, protocol and manifest files (an edited plugin is
a new key).

The run is still recorded: every answer from memory writes a history entry of its own
(who, when) pointing at the stored result, as a run would. Only results the history
stores (small ones) are kept, at most ``max_entries`` of them, least recently used first
out; anything unusual (a pruned history entry, a key that cannot be made) falls back to a
real run.

Tables are kept as Arrow IPC bytes, never as shared polars frames: a polars frame used from
several threads at once can deadlock (one thread holds the frame's lock while waiting for
the GIL, another holds the GIL while waiting for that lock). An answer is sent as the JSON
document a run gives, byte for byte: everything but the provenance (values, charts, tables
as base64 Arrow or JSON rows) is encoded once per tables format and kept, so an answer
encodes only its provenance (which names its own history entry).
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from typing import Any

import polars as pl

from ..contract.wire import dumps, encode_result
from ..core.errors import DataProductError
from ..core.parameters import bound_to_json
from ..core.result import Result
from .responses import WhenDurable

DEFAULT_MAX_ENTRIES = 512

Key = tuple[str, ...]


class _Kept:
    """A result as the memo keeps it: nothing shared with a thread that may still use it."""

    def __init__(self, result: Result) -> None:
        self.entry_id: str = result.provenance["history_id"]
        self.provenance = json.loads(json.dumps(result.provenance, default=str))
        self.tables = {name: _ipc(frame) for name, frame in result.tables.items()}
        self.values = json.loads(json.dumps(result.values, default=str))
        self.charts = json.loads(json.dumps(result.charts, default=str))
        self._rest: dict[str, bytes] = {}  # by tables format: the document after its provenance

    def body(self, history_id: str, tables: str) -> bytes:
        """The answer's JSON document (as ``encode_result`` of :meth:`result` gives it), recorded as
        history entry ``history_id``."""
        rest = self._rest.get(tables)
        if rest is None:  # two threads may both encode it once: equal bytes either way
            encoded = encode_result(self.result(history_id), tables)
            rest = self._rest[tables] = dumps({k: v for k, v in encoded.items() if k != "provenance"})[1:]
        return b'{"provenance":' + dumps({**self.provenance, "history_id": history_id}) + b"," + rest

    def result(self, history_id: str) -> Result:
        """A fresh Result (new frames) recorded as history entry ``history_id``."""
        tables = {name: pl.read_ipc_stream(io.BytesIO(data)) for name, data in self.tables.items()}
        return Result(provenance={**self.provenance, "history_id": history_id}, tables=tables,
                      values=json.loads(json.dumps(self.values)), charts=json.loads(json.dumps(self.charts)))


class ResultMemo:
    """Results of earlier runs by what they were computed from; thread-safe."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max(1, max_entries)
        self._results: OrderedDict[Key, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def key(self, product: Any, ref: str, parameters: dict[str, Any], snapshot: str) -> Key:
        """What a run of protocol ``ref`` with ``parameters`` on ``snapshot`` depends on.

        Binds the parameters (so invalid ones fail here, with the same error a run gives)."""
        spec = product.protocol(ref).spec
        pinned = product.snapshot(snapshot)
        bound = product.bind(ref, parameters, pinned.id)
        plugins_stamp, catalog_stamp = product.repository.code_stamp(product.manifest)
        values = json.dumps({k: bound_to_json(v) for k, v in bound.items()}, sort_keys=True, default=str)
        return (str(product.path), str(product.store.root), pinned.id, spec.name, str(spec.version), values,
                str(plugins_stamp), str(catalog_stamp))

    def answer(self, product: Any, key: Key, tables: str = "arrow") -> WhenDurable | None:
        """The earlier result for ``key`` as the JSON document a run answers (``tables``: "arrow"
        or "json"), recorded in the history as a run of the current user, to send once that
        entry is durable; None when there is none (or its history entry is gone)."""
        with self._lock:
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
        if found is None:
            self.misses += 1
            return None
        pending = product.history.record_again_pending(found.entry_id)
        if pending is None:  # pruned since: run again
            with self._lock:
                self._results.pop(key, None)
            self.misses += 1
            return None
        self.hits += 1
        return WhenDurable(found.body(pending.entry.id, tables), pending.durable)

    def remember(self, product: Any, key: Key, result: Result) -> None:
        """Keep ``result`` of a run for ``key`` if the history stored it (small enough)."""
        entry_id = result.provenance.get("history_id")
        if not isinstance(entry_id, str) or not product.history.is_stored(entry_id):
            return
        kept = _Kept(result)
        with self._lock:
            self._results[key] = kept
            self._results.move_to_end(key)
            while len(self._results) > self.max_entries:
                self._results.popitem(last=False)

    def __len__(self) -> int:
        return len(self._results)


def _ipc(frame: pl.DataFrame) -> bytes:
    """The frame as Arrow IPC bytes, every type kept as polars has it (Enum levels too)."""
    buffer = io.BytesIO()
    frame.write_ipc_stream(buffer)
    return buffer.getvalue()


def memo_key(memo: ResultMemo | None, product: Any, ref: str, parameters: dict[str, Any], snapshot: str) -> Key | None:
    """The memo key of a run, or None when there is no memo. A request the run itself would
    refuse (bad parameters, unknown snapshot) raises here its DataProductError."""
    if memo is None:
        return None
    try:
        return memo.key(product, ref, parameters, snapshot)
    except DataProductError:
        raise
    except Exception:  # noqa: BLE001 - anything else: no memo for this call; the run reports it
        return None
