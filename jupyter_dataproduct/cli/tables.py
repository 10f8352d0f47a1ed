"""Tables for a terminal, laid out by ``rich``: text left, numbers right, and a table wider
than the terminal printed in groups of columns that fit (each group repeats the first
column, as R prints a wide data frame) instead of squeezing every column to a few
characters."""

from __future__ import annotations

import sys
from typing import Any, Sequence

from rich import box
from rich.console import Console
from rich.table import Table

MAX_CELL = 40  # characters; a longer cell wraps within this width
READABLE = 16  # characters a column of prose may be wrapped down to (or its header, if longer)
PADDING = 3  # rich's column padding plus the separator


def console() -> Console:
    """A console on the current stdout (tests swap it), as wide as the terminal, or
    ``$COLUMNS``, or 80 when piped; no colours or markup from the data."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, emoji=False, markup=False)


def cell_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(cell_text, value))
    return str(value)


def is_numeric(values: Sequence[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)


def column_groups(widths: list[int], available: int) -> list[list[int]]:
    """Indexes of the columns to print together so that each group fits ``available``;
    every group after the first starts with column 0 (the row's identifier)."""
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, width in enumerate(widths):
        if current and used + width + PADDING > available:
            groups.append(current)
            current = [0] if index > 0 and widths[0] + PADDING < available // 2 else []
            used = sum(widths[i] + PADDING for i in current)
        current.append(index)
        used += width + PADDING
    groups.append(current)
    return groups


def render(rows: list[dict[str, Any]], out: Console) -> None:
    """Print ``rows`` (dicts with the same keys) as one or more tables that fit ``out``."""
    columns = list(rows[0])
    for row in rows[1:]:
        columns += [c for c in row if c not in columns]
    texts = [[cell_text(row.get(c)) for c in columns] for row in rows]
    numeric = [is_numeric([row.get(c) for row in rows]) for c in columns]
    widths = [min(MAX_CELL, max([len(c)] + [len(t[i]) for t in texts])) for i, c in enumerate(columns)]
    # Prose may wrap down to a readable width; words (ids, times, numbers) never break.
    # Beyond that the table is split in groups of columns.
    prose = [any(" " in text[i] for text in texts) for i in range(len(columns))]
    readable = [min(width, max(len(c), READABLE)) if prose[i] else width for i, (width, c) in enumerate(zip(widths, columns))]
    groups = column_groups(readable, out.width)
    for number, group in enumerate(groups, 1):
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
        for i in group:
            table.add_column(columns[i], justify="right" if numeric[i] else "left", overflow="fold",
                             min_width=readable[i], max_width=MAX_CELL)
        for text in texts:
            table.add_row(*(text[i] for i in group))
        if len(groups) > 1:
            first, last = group[1 if group[0] == 0 and number > 1 else 0], group[-1]
            span = f"column {last + 1}" if first == last else f"columns {first + 1}-{last + 1}"
            out.print(f"{'' if number == 1 else chr(10)}{span} of {len(columns)}")
        out.print(table)
