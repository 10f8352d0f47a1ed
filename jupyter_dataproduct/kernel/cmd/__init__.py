"""One module per ``%dataproduct`` subcommand (``add_arguments`` + ``run``).

``COMMANDS`` maps each subcommand to its module, imported on first use: the modules pull in
the client (polars, the manifest model), which ``%load_ext`` leaves out to stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from types import ModuleType

_MODULES = {
    "connect": "connect",
    "list": "list_",
    "describe": "describe",
    "run": "run",
    "frame": "frame",
    "snapshots": "snapshots",
    "snapshot": "snapshot",
    "plugins": "plugins",
    "plugin": "plugin",
    "artifacts": "artifacts",
    "save": "save",
    "load": "load",
    "history": "history",
    "test": "test",
}


class _Commands(Mapping[str, ModuleType]):
    """Subcommand name -> its module (imported when first looked up)."""

    def __getitem__(self, name: str) -> ModuleType:
        return import_module(f".{_MODULES[name]}", __name__)

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


COMMANDS: Mapping[str, ModuleType] = _Commands()
