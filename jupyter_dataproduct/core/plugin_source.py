"""A plugin's source text, to show it (the sidebar's viewer, a server that shares it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import NoSourceError
from .plugin_parameters import plugin_kind
from .plugins import PluginSpec

MAX_SOURCE_BYTES = 2 << 20  # a plugin file larger than this is not shown


def read_plugin_source(spec: PluginSpec, root: Path) -> dict[str, Any]:
    """``{"name", "language", "kind", "file", "text"}``; ``file`` relative to the product ``root``."""
    if spec.builtin or not spec.file:
        raise NoSourceError(
            f"{spec.name!r} is a built-in algorithm of jupyter-dataproduct; it has no file in the product.",
            details={"plugin": spec.name},
        )
    path = Path(spec.file).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise NoSourceError(f"Plugin {spec.name!r} has no file inside the product.", details={"plugin": spec.name})
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise NoSourceError(
            f"{path.name} is {size:,} bytes; files over {MAX_SOURCE_BYTES:,} bytes are not shown.",
            details={"plugin": spec.name, "bytes": size},
        )
    return {
        "name": spec.name,
        "language": spec.language,
        "kind": plugin_kind(spec),
        "file": path.relative_to(root.resolve()).as_posix(),
        "text": path.read_text(encoding="utf-8", errors="replace"),
    }
