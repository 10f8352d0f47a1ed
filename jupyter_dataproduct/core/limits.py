"""Bounds on values that come from clients (request bodies, cohort trees, parameters).

Checked by one iterative walk before anything else walks the value: code that recurses
into a value (validation, error messages, JSON encoding) can then never exhaust the stack,
and no request makes the server do work out of proportion to what it allows.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 128  # nesting of JSON arrays and objects; a cohort tree needs about 2 per level
MAX_VALUES = 100_000  # arrays, objects, keys and scalars in one value
MAX_TEXT = 100_000  # characters in one string


def bounds_problem(value: Any, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES,
                   max_text: int = MAX_TEXT) -> str | None:
    """What makes ``value`` too large ("nested deeper than ..."), or ``None`` if it is within bounds."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > max_values:
            return f"holds more than {max_values:,} values"
        if isinstance(node, (dict, list, tuple)):
            if depth > max_depth:
                return f"is nested deeper than {max_depth} levels"
            children = node.values() if isinstance(node, dict) else node
            if isinstance(node, dict):
                count += len(node)  # the keys
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(node, str) and len(node) > max_text:
            return f"holds a text longer than {max_text:,} characters"
    return None


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
