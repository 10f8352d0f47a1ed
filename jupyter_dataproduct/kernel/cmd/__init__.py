"""One module per ``%dataproduct`` subcommand (``add_arguments`` + ``run``)."""

from __future__ import annotations

from types import ModuleType

from . import (
    artifacts, connect, describe, frame, history, list_, load, plugin, plugins, run, save, snapshot, snapshots, test,
)

COMMANDS: dict[str, ModuleType] = {
    "connect": connect,
    "list": list_,
    "describe": describe,
    "run": run,
    "frame": frame,
    "snapshots": snapshots,
    "snapshot": snapshot,
    "plugins": plugins,
    "plugin": plugin,
    "artifacts": artifacts,
    "save": save,
    "load": load,
    "history": history,
    "test": test,
}
