"""The README's code blocks, for tests that run them as a reader would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


@dataclass
class Block:
    language: str
    code: str
    section: str  # the heading above it

    @property
    def lines(self) -> list[str]:
        return [line for line in self.code.splitlines() if line.strip()]


def code_blocks(section: str | None = None, language: str | None = None) -> list[Block]:
    """Fenced blocks of the README, optionally only under the heading ``section``."""
    text = README.read_text()
    blocks = []
    for match in FENCE.finditer(text):
        prose = FENCE.sub("", text[: match.start()])  # a "# comment" in a block is no heading
        headings = re.findall(r"^#+ (.+)$", prose, re.M)
        block = Block(match.group(1), match.group(2), headings[-1] if headings else "")
        if (section is None or block.section == section) and (language is None or block.language == language):
            blocks.append(block)
    return blocks


def notebook_connect_line() -> str:
    """The ``%dataproduct connect`` line of "In a notebook", comment removed."""
    for line in code_blocks("In a notebook", "python")[0].lines:
        if line.startswith("%dataproduct connect "):
            return line.split("#")[0].strip()
    raise AssertionError("README: no %dataproduct connect line under 'In a notebook'")
