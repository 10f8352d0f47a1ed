"""Writing files into product folders from tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_file(folder: Path, relative: str, text: str) -> Path:
    """Write dedented ``text`` to ``folder/relative``, creating folders on the way."""
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text))
    return target
