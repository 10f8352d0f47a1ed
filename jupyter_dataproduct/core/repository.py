"""The product repository's code: plugins (built-in, .py/.R/.ipynb files, notebook session) and protocols.

Everything is re-read when a file in ``plugins/`` or ``protocols/`` changes (name, size or
modification time), so a long-lived product object never runs stale code. Inside
:func:`checked_once` (a server's request) the files are looked at once, at the first use:
one request sees one version of the code, and pays for one look, not one per lookup.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator

from . import builtins
from .errors import PluginError, ProtocolNotFoundError
from .manifest import Manifest
from .plugins import PluginSpec, load_python_plugins, plugin_failure, specs_in_module
from .protocol import LoadedProtocol, ProtocolCatalog, load_protocols

PLUGIN_SUFFIXES = (".py", ".R", ".r", ".ipynb")


# Within a checked_once() block: (id of the repository, "plugins" or "protocols") already looked at.
_checked: ContextVar[set[tuple[int, str]] | None] = ContextVar("dataproduct_code_checked", default=None)


@contextlib.contextmanager
def checked_once() -> Iterator[None]:
    """Inside this block, each repository checks its plugin and protocol files for changes at
    the first use only (a server wraps each request in it)."""
    reset = _checked.set(set())
    try:
        yield
    finally:
        _checked.reset(reset)


def _already_checked(repository: "Repository", what: str) -> bool:
    """True when ``what`` was checked earlier in this checked_once() block (and marks it checked)."""
    seen = _checked.get()
    if seen is None:
        return False
    key = (id(repository), what)
    if key in seen:
        return True
    seen.add(key)
    return False


class Repository:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._resolved_root = root.resolve()
        self._builtins = {spec.name: spec for spec in specs_in_module(builtins, builtin=True)}
        self._session: dict[str, PluginSpec] = {}
        self._file_plugins: dict[str, PluginSpec] = {}
        self._plugin_problems: dict[str, str] = {}
        self._plugins_stamp: str | None = None
        self._catalog: ProtocolCatalog | None = None
        self._catalog_stamp: str | None = None

    # -- plugins -----------------------------------------------------------------------

    def plugins(self, manifest: Manifest) -> dict[str, PluginSpec]:
        """Built-ins, then the product's plugin files, then plugins defined in this session."""
        self._reload_plugins(manifest)
        return {**self._builtins, **self._file_plugins, **self._session}

    def plugin_problems(self, manifest: Manifest) -> dict[str, str]:
        self._reload_plugins(manifest)
        return dict(self._plugin_problems)

    def plugin(self, manifest: Manifest, name: str) -> PluginSpec:
        plugins = self.plugins(manifest)
        if name in plugins:
            return plugins[name]
        broken = [f for f in self._plugin_problems if Path(f).stem == name]
        if broken:
            raise PluginError(self._plugin_problems[broken[0]], details={"file": broken[0]})
        raise PluginError(
            f"No plugin or algorithm {name!r}; available: {', '.join(sorted(plugins))}",
            details={"plugin": name, "allowed": sorted(plugins)},
        )

    def register_session_plugin(self, spec: PluginSpec) -> None:
        """A plugin defined in a notebook cell: usable at once, not yet in plugins/."""
        if spec.name in self._builtins:
            raise PluginError(f"{spec.name!r} is a built-in algorithm; choose another plugin name.")
        self._session[spec.name] = spec
        self._catalog_stamp = None  # protocols may now resolve a step they could not before

    def session_plugin(self, name: str) -> PluginSpec | None:
        return self._session.get(name)

    def forget_session_plugin(self, name: str) -> None:
        self._session.pop(name, None)
        self._catalog_stamp = None

    def _plugins_dir(self, manifest: Manifest) -> Path:
        return self.root / manifest.plugins

    def _reload_plugins(self, manifest: Manifest) -> None:
        if _already_checked(self, "plugins") and self._plugins_stamp is not None:
            return
        folder = self._plugins_dir(manifest)
        inside = self._inside(folder)
        files = _files(folder, PLUGIN_SUFFIXES) if inside else []
        stamp = _stamp(files) + str(inside)
        if stamp == self._plugins_stamp:
            return
        plugins: dict[str, PluginSpec] = {}
        problems: dict[str, str] = {} if inside else {str(folder): _outside(folder)}
        prefix = "dataproduct_plugins_" + hashlib.sha1(str(folder).encode()).hexdigest()[:8]
        for file in files:
            try:
                specs = _load_plugin_file(file, prefix)
            except PluginError as exc:
                problems[str(file)] = exc.message
                continue
            except Exception as exc:  # noqa: BLE001 - one broken file must not hide the other plugins
                problems[str(file)] = plugin_failure(f"Plugin file {file.name} failed to load", exc, file).message
                continue
            for spec in specs:
                if spec.name in self._builtins or spec.name in plugins:
                    problems[str(file)] = (
                        f"{file.name}: plugin name {spec.name!r} is already taken "
                        f"({'built-in' if spec.name in self._builtins else plugins[spec.name].file})"
                    )
                    continue
                plugins[spec.name] = spec
        self._file_plugins, self._plugin_problems, self._plugins_stamp = plugins, problems, stamp
        self._catalog_stamp = None

    # -- protocols -----------------------------------------------------------------------

    def protocols(self, manifest: Manifest) -> ProtocolCatalog:
        plugins = self.plugins(manifest)
        if _already_checked(self, "protocols") and self._catalog is not None and self._catalog_stamp is not None:
            return self._catalog
        folder = self.root / manifest.protocols
        inside = self._inside(folder)
        files = _files(folder, (".yaml", ".yml")) if inside else []
        stamp = _stamp([*files, self.root / "dataproduct.yaml"]) + str(inside)
        if self._catalog is None or stamp != self._catalog_stamp:
            if inside:
                self._catalog = load_protocols(folder, manifest.model, plugins)
            else:
                self._catalog = ProtocolCatalog(problems={str(folder): _outside(folder)})
            self._catalog_stamp = stamp
        return self._catalog

    def code_stamp(self, manifest: Manifest) -> tuple[str | None, str | None]:
        """Changes whenever a plugin or protocol file (or the manifest) changes: what a result
        computed from this code is valid for."""
        self.protocols(manifest)
        return self._plugins_stamp, self._catalog_stamp

    def protocol(self, manifest: Manifest, ref: str) -> LoadedProtocol:
        if not ref:
            raise ProtocolNotFoundError("No protocol given.")
        return self.protocols(manifest).get(ref)


    def _inside(self, folder: Path) -> bool:
        """A symlink may not bring code or protocols in from outside the product folder."""
        try:
            levels = folder.relative_to(self.root).parts
        except ValueError:  # not named below the root: resolve it
            levels = None
        if levels is not None and ".." not in levels and not any(
                os.path.islink(self.root.joinpath(*levels[:n])) for n in range(1, len(levels) + 1)):
            return True  # no link to follow: one lstat per level (resolving the whole path, per request, costs ~10x)
        return folder.resolve().is_relative_to(self._resolved_root)


def _outside(folder: Path) -> str:
    return f"{folder}: leads outside the product folder (a symlink?); nothing in it is loaded."


def _load_plugin_file(file: Path, prefix: str) -> list[PluginSpec]:
    if file.suffix == ".py":
        return load_python_plugins(file, prefix)
    if file.suffix == ".ipynb":
        from .notebook_plugins import load_notebook_plugin

        return load_notebook_plugin(file)
    from .rplugins import load_r_plugins  # R support is optional: loaded only when needed

    return load_r_plugins(file)


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The files in ``folder`` (not below) whose names end with one of ``suffixes``, sorted."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(suffixes) and e.name not in suffixes)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [folder / name for name in names]


def _stamp(files: list[Path]) -> str:
    parts = []
    for file in files:
        try:
            stat = os.stat(file)
        except FileNotFoundError:
            continue
        parts.append(f"{file}:{stat.st_mtime_ns}:{stat.st_size}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()
