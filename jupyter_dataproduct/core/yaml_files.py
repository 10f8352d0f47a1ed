"""Reading the YAML files people write (``dataproduct.yaml``, ``protocols/*.yaml``), safely.

PyYAML's safe loader still expands aliases (``*name``), so a few hundred bytes of nested
aliases become billions of values (an "alias bomb"); it recurses once per nesting level and
turns integers of any length into Python ints (beyond 4,300 digits Python refuses). Here
aliases are refused, nesting, file size and integer length are bounded, and every problem
is a :class:`ManifestError` naming the file and line - never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .errors import ManifestError

MAX_BYTES = 5_000_000  # a manifest or protocol is config, not data
MAX_DEPTH = 64
MAX_INT_CHARS = 100  # 64-bit integers have 20 digits; anything longer is a mistake or an attack


class YamlRefused(yaml.YAMLError):
    """A construct this loader does not accept (an alias, deep nesting, a huge number)."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class BoundedLoader(yaml.SafeLoader):
    """The safe loader without aliases, with bounded nesting and bounded integers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlRefused(
                f"YAML aliases (*{event.anchor}) are not allowed; write the value out where it is used",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlRefused(f"values are nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _bounded_int(loader: SafeConstructor, node: yaml.ScalarNode) -> int:
    if len(node.value) > MAX_INT_CHARS:
        raise YamlRefused(
            f"a number with too many digits ({len(node.value):,} characters; at most {MAX_INT_CHARS})",
            node.start_mark,
        )
    return SafeConstructor.construct_yaml_int(loader, node)


BoundedLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)


def read_yaml_mapping(file: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML file, or a ManifestError saying what is wrong where."""
    text = _read_text(file)
    try:
        data = yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - a SafeLoader, further bounded
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise ManifestError(
            f"{file}:{line} is not valid YAML: {getattr(exc, 'problem', None) or exc}",
            details={"file": str(file), "line": where.line + 1 if where is not None else None},
        ) from None
    if not isinstance(data, dict):
        raise ManifestError(
            f"{file}: expected a mapping of keys at the top level, found {type(data).__name__}.",
            details={"file": str(file)},
        )
    return data


def _read_text(file: Path) -> str:
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise FileNotFoundError
    except FileNotFoundError:
        raise ManifestError(f"{file}: file not found.", details={"file": str(file)}) from None
    except OSError as exc:
        raise ManifestError(f"{file}: cannot be read ({exc.strerror}).", details={"file": str(file)}) from None
    if size > MAX_BYTES:
        raise ManifestError(
            f"{file}: {size:,} bytes is too large for a config file (at most {MAX_BYTES:,}).",
            details={"file": str(file)},
        )
    try:
        return file.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ManifestError(f"{file}: cannot be read ({exc.strerror}).", details={"file": str(file)}) from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ManifestError(
            f"{file}: is not UTF-8 text (byte {exc.object[exc.start]:#04x} on line {line}); save it as UTF-8.",
            details={"file": str(file), "line": line},
        ) from None
