"""Which products the panel lists, and one connected client per product.

Three origins, in this order of precedence for a name: the server's config
(``c.DataProductLab.products``), the connections file shared with the magics, and
folders with a ``dataproduct.yaml`` found under the Jupyter root. Every method here may
block (files, the network): the handlers call them through :meth:`Catalog.run`, on a pool
of worker threads, so a slow product holds one thread and never the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ..client import connections
from ..core.errors import DataProductError, ManifestError, ParameterError
from .discovery import MANIFEST, FolderSearch
from .errors import DuplicateProductError, NotRemovableError, OutsideRootError, ProductMissingError, ProductRefusedError

if TYPE_CHECKING:
    from ..client import DataProduct
    from .settings import DataProductLab

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """A product the panel lists: where it is and where it comes from. ``location`` is an
    absolute folder path or a URL without credentials; the token is never shown."""

    name: str
    location: str
    origin: str  # "config" | "connections" | "found"
    token: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return "server" if self.location.startswith(("http://", "https://")) else "folder"


class Catalog:
    def __init__(self, settings: "DataProductLab", root_dir: str | os.PathLike[str], log: Any = None) -> None:
        self.settings = settings
        self.root = Path(root_dir).expanduser().resolve()
        self.log = log
        self.executor = ThreadPoolExecutor(settings.threads, thread_name_prefix="dataproduct-lab")
        self.search = FolderSearch(self.root, settings.search_depth, settings.search_limit, settings.search_ttl)
        self._clients: dict[tuple[str, str | None], "DataProduct"] = {}
        self._lock = threading.Lock()
        self._tokens: frozenset[str] = frozenset()
        self._pending: dict[tuple[str, str | None], Future[dict[str, Any]]] = {}

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(function, *args))

    # -- the products -----------------------------------------------------------------------

    def configured(self) -> list[tuple[Source, str | None]]:
        """The server config's products, each with the name of its token variable."""
        entries = self.settings.products
        if isinstance(entries, dict):
            entries = [{"name": n, **(e if isinstance(e, dict) else {"location": e})} for n, e in entries.items()]
        found = []
        for entry in entries:
            entry = {"location": entry} if isinstance(entry, str) else entry
            if not isinstance(entry, dict) or not isinstance(entry.get("location"), str):
                self._warn("c.DataProductLab.products: %r is neither a location nor {name, location}; skipped", entry)
                continue
            location = self._absolute(entry["location"])
            token_env = entry.get("token_env") if isinstance(entry.get("token_env"), str) else None
            name = entry.get("name") or _default_name(location)
            token = os.environ.get(token_env) if token_env else None
            found.append((Source(str(name), location, "config", token or None), token_env))
        return found

    def sources(self) -> list[Source]:
        """Every product to list, one per name (config first, then the file, then folders found)."""
        listed: dict[str, Source] = {}
        for source, _ in self.configured():
            listed.setdefault(source.name, source)
        try:
            for connection in connections.load().values():
                location = self._absolute(connection.location)
                listed.setdefault(connection.name, Source(connection.name, location, "connections", connection.token))
        except DataProductError as exc:
            self._warn("%s", exc.message)
        known_folders = {s.location for s in listed.values()}
        for folder in self.search.folders():
            if str(folder) in known_folders:
                continue
            name = _default_name(str(folder))
            if name in listed:
                self._warn("%s is called %r like another product; it is not listed", folder, name)
                continue
            listed[name] = Source(name, str(folder), "found")
        self._tokens = self._tokens | {s.token for s in listed.values() if s.token}
        return list(listed.values())

    def source(self, name: str) -> Source:
        sources = self.sources()
        for source in sources:
            if source.name == name:
                return source
        raise connections.UnknownConnectionError(
            f"No product {name[:100]!r}; known: {', '.join(s.name for s in sources) or 'none'}",
            details={"product": name[:100], "allowed": [s.name for s in sources]},
        )

    def client(self, source: Source) -> "DataProduct":
        """The connected client of a product, made once per location and token."""
        key = (source.location, source.token)
        if source.kind == "folder" and not (Path(source.location) / MANIFEST).is_file():
            with self._lock:
                self._clients.pop(key, None)  # put back later, it is opened afresh
            where = self.relative(source.location)
            remedy = "Put it back, or remove it from the panel (×)." if source.origin == "connections" else "Put it back."
            raise ProductMissingError(
                f"{where} no longer holds a data product ({MANIFEST} is missing): it was moved or deleted. {remedy}",
                details={"product": source.name, "location": where})
        with self._lock:
            product = self._clients.get(key)
        if product is None:
            product = self._connect(source)
            with self._lock:
                product = self._clients.setdefault(key, product)
        return product

    def _connect(self, source: Source) -> "DataProduct":
        from ..client import connect  # the engine loads here, on a worker thread

        options = {"timeout": self.settings.remote_timeout} if source.kind == "server" else {}
        return guarded(lambda: connect(source.location, token=source.token, **options))

    def info(self, source: Source) -> dict[str, Any]:
        return guarded(lambda: self.client(source).info)

    def pending_info(self, source: Source) -> "Future[dict[str, Any]]":
        """:meth:`info` on a worker thread; a product still answering an earlier call is not
        asked again (a hanging product holds one thread, however often the list refreshes)."""
        key = (source.location, source.token)
        with self._lock:
            pending = self._pending.get(key)
            if pending is None or pending.done():
                pending = self._pending[key] = self.executor.submit(self.info, source)
        return pending

    def call(self, name: str, work: Callable[["DataProduct"], T]) -> T:
        """``work(client)`` for the product called ``name``, remote refusals translated."""
        product = self.client(self.source(name))
        return guarded(lambda: work(product))

    def tokens(self) -> frozenset[str]:
        """Every token the catalog has read (no I/O: answers are checked for them on the event loop)."""
        return self._tokens

    # -- adding and removing -----------------------------------------------------------------

    def add(self, location: str, name: str | None, token: str | None) -> Source:
        """Check that the product answers, then store it in the connections file."""
        location = location.strip()
        if not location:
            raise ParameterError("'location' is empty; give a folder under the Jupyter root or a server URL.")
        if location.startswith(("http://", "https://")):
            if "@" in location.split("/")[2]:
                raise ParameterError("Put the token in 'token', not in the URL.")
        else:
            location = str(self.inside_root(location))
        if name is not None:
            connections.check_name(name)
        probe = Source(name or "new", location, "connections", token)
        if token:
            self._tokens = self._tokens | {token}
        info = guarded(lambda: self._connect(probe).info)  # not kept: a wrong token must not linger
        name = name or info["name"]
        connections.check_name(name)
        if any(s.name == name and (s.origin != "found" or s.location != location) for s in self.sources()):
            raise DuplicateProductError(f"A product called {name!r} is already listed; give another name.",
                                        details={"name": name})
        connections.add(connections.Connection(name, location, token or None))
        self.search.forget()
        return Source(name, location, "connections", token or None)

    def remove(self, name: str) -> None:
        source = self.source(name)
        if source.origin != "connections":
            where = "the server's config (c.DataProductLab.products)" if source.origin == "config" else \
                f"a folder under the Jupyter root ({self.relative(source.location)}/{MANIFEST})"
            raise NotRemovableError(f"{name!r} comes from {where}; only products added in the panel can be removed.",
                                    details={"name": name, "origin": source.origin})
        connections.remove(name)

    # -- paths -----------------------------------------------------------------------------

    def inside_root(self, location: str) -> Path:
        """A folder given relative to the root (or absolute), refused when it lies outside."""
        path = Path(location).expanduser()
        path = (path if path.is_absolute() else self.root / path).resolve()
        if not path.is_relative_to(self.root):
            raise OutsideRootError(f"{location[:200]!r} is outside the Jupyter root; give a folder inside it.",
                                   details={"location": location[:200]})
        if not (path / MANIFEST).is_file():
            raise ManifestError(f"{self.relative(str(path))!r} has no {MANIFEST}; give a product folder.",
                                details={"location": location[:200]})
        return path

    def relative(self, location: str) -> str:
        """A folder as the panel shows it: relative to the root when inside it, a URL as it is."""
        if location.startswith(("http://", "https://")):
            return location
        path = Path(location)
        return path.relative_to(self.root).as_posix() or "." if path.is_relative_to(self.root) else str(path)

    def connect_argument(self, source: Source) -> str:
        """What ``%dataproduct connect`` takes for this product in a kernel of this server."""
        return source.name if source.origin != "found" else self.relative(source.location)

    def share_configured_products(self) -> None:
        """Tell kernels started by this server the configured products' names (no tokens: only
        the names of the variables holding them, which kernels inherit)."""
        entries = [{"name": s.name, "location": s.location, **({"token_env": env} if env else {})}
                   for s, env in self.configured()]
        os.environ[connections.CONFIGURED_ENV] = json.dumps(entries)

    def _absolute(self, location: str) -> str:
        if location.startswith(("http://", "https://")):
            return location
        path = Path(location).expanduser()
        return str((path if path.is_absolute() else self.root / path).resolve())

    def _warn(self, message: str, *args: Any) -> None:
        if self.log is not None:
            self.log.warning("jupyter_dataproduct: " + message, *args)


def _default_name(location: str) -> str:
    """A product's name without connecting: the manifest's ``name`` (a URL: its last segment)."""
    if location.startswith(("http://", "https://")):
        return location.rstrip("/").rsplit("/", 1)[-1]
    try:
        import yaml

        data = yaml.safe_load((Path(location) / MANIFEST).read_text(encoding="utf-8"))
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str) and connections.NAME.match(name):
            return name
    except (OSError, ValueError, yaml.YAMLError):
        pass
    return Path(location).name


def guarded(work: Callable[[], T]) -> T:
    """Run ``work``; a remote product's 401/403 becomes a 502 (a 401 here would read as
    'your Jupyter session expired' in the browser)."""
    try:
        return work()
    except DataProductError as exc:
        if exc.http_status in (401, 403) and not isinstance(exc, OutsideRootError):
            raise ProductRefusedError(f"The product's server refused: {exc.message}",
                                      details={"upstream": exc.code}) from None
        raise
