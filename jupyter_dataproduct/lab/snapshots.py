"""``dataproduct/products/{name}/snapshots``: list, build (progress streamed), verify, tag, diff.

Builds never run in the Jupyter server process: a folder builds in a child process
(:func:`jupyter_dataproduct.server.build_worker.build_in_child`, the one ``dataproduct
serve`` uses), a remote product builds on its server. A failed or killed build publishes
nothing, so the existing snapshots stay as they were; its error is the answer.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Callable

from tornado import web
from tornado.iostream import StreamClosedError

from ..contract.errors import BadRequestError, InternalError
from ..core.errors import DataProductError
from ..core.progress import ProgressEvent
from .base import DataProductHandler
from .payloads import snapshot_entry
from .roles import access

NDJSON = "application/x-ndjson"
# An id, an id prefix, a tag, ``latest`` or ``product@ref``: nothing else reaches a product.
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")


def checked_ref(ref: str | None, what: str = "snapshot") -> str:
    """``ref`` if it can name a snapshot, else a 400 saying what is allowed."""
    if not isinstance(ref, str) or not REF.match(ref):
        shown = ref[:100] if isinstance(ref, str) else ref
        raise BadRequestError(
            f"{what} {shown!r} is not a snapshot reference: give an id (or its first digits), a tag or 'latest' "
            "(letters, digits, '.', '_', '-', '@'; up to 128).", details={"parameter": what})
    return ref


def listing(product: Any) -> dict[str, Any]:
    """The snapshots, newest first, with the role the panel acts with."""
    items = sorted(product.transport.snapshots(), key=lambda s: s.get("created") or "", reverse=True)
    return {"snapshots": [snapshot_entry(s) for s in items], **access(product)}


def build(product: Any, force: bool, progress: Callable[[ProgressEvent], None]) -> dict[str, Any]:
    """Build a snapshot outside this process; ``{"created", "snapshot"}``."""
    if product.is_local:
        from ..server.build_worker import build_in_child

        core = product.transport.product
        built = build_in_child(core.path, core.store.root, force=force, progress=progress)
        return {"created": built["created"], "snapshot": snapshot_entry(product.transport.snapshot(built["id"]))}
    built = product.transport.build(progress=progress, force=force)
    return {"created": built["created"], "snapshot": snapshot_entry(built["snapshot"])}


def tag_snapshot(product: Any, tag: str, ref: str) -> dict[str, Any]:
    """Point ``tag`` at ``ref``; the name is checked here first (a remote product checks again)."""
    from ..core.snapshot import validate_tag_name  # loads polars: on a worker thread, not at import

    validate_tag_name(tag)
    return product.transport.tag(tag, ref)


class SnapshotsHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        self.reply(await self.catalog.run(self.catalog.call, name, listing))

    @web.authenticated
    async def post(self, name: str) -> None:
        """Build. With ``Accept: application/x-ndjson`` progress streams as NDJSON lines."""
        force = self.body().get("force", False)
        if not isinstance(force, bool):
            raise BadRequestError("'force' must be true or false.", details={"parameter": "force"})
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        def progress(event: ProgressEvent) -> None:
            line = {"progress": {"done": event.done, "total": event.total, "message": event.message}}
            loop.call_soon_threadsafe(events.put_nowait, line)

        work = asyncio.ensure_future(self.catalog.run(self.catalog.call, name, lambda p: build(p, force, progress)))
        if NDJSON not in self.request.headers.get("Accept", ""):
            self.reply(await work, status=201)
            return
        first = asyncio.ensure_future(events.get())
        await asyncio.wait({work, first}, return_when=asyncio.FIRST_COMPLETED)
        if not first.done():
            first.cancel()
            self.reply(await work, status=201)  # done (or refused) before any progress: a plain answer
            return
        self.set_header("Content-Type", NDJSON + "; charset=UTF-8")
        self.set_header("Cache-Control", "no-cache")
        pending = first
        try:
            while True:
                await asyncio.wait({work, pending}, return_when=asyncio.FIRST_COMPLETED)
                if pending.done():
                    await self._line(pending.result())
                    pending = asyncio.ensure_future(events.get())
                    continue
                pending.cancel()
                while not events.empty():
                    await self._line(events.get_nowait())
                break
            try:
                await self._line({"result": work.result()})
            except DataProductError as exc:
                await self._line({"error": exc.to_dict(), "status": exc.http_status})
            except Exception:  # logged here; the browser gets the shape, not the traceback
                self.log.exception("jupyter_dataproduct: building %s failed", name)
                error = InternalError("The build failed; the details are in the Jupyter server's log.")
                await self._line({"error": error.to_dict(), "status": 500})
        except StreamClosedError:
            return  # the browser went away; the build goes on and publishes (or not) by itself
        self.finish()

    async def _line(self, event: dict[str, Any]) -> None:
        self.write(self._checked(json.dumps(event, default=str)) + "\n")
        await self.flush()


class VerifyHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str, ref: str) -> None:
        ref = checked_ref(ref)
        self.reply(await self.catalog.run(self.catalog.call, name, lambda p: p.transport.verify(ref)))


class TagHandler(DataProductHandler):
    @web.authenticated
    async def put(self, name: str, tag: str) -> None:
        """Point tag ``tag`` at ``{"snapshot": REF}`` (default latest)."""
        ref = checked_ref(self.body().get("snapshot", "latest"))
        self.reply(await self.catalog.run(self.catalog.call, name, lambda p: tag_snapshot(p, tag, ref)))


class DiffHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        a = checked_ref(self.get_query_argument("a", None), "a")
        b = checked_ref(self.get_query_argument("b", "latest"), "b")
        self.reply(await self.catalog.run(self.catalog.call, name, lambda p: p.transport.diff(a, b)))
