"""Content hashes: files, and canonical JSON for config."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, BinaryIO


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return sha256_open_file(handle)


def sha256_open_file(handle: BinaryIO) -> str:
    """Hash of an open file from where it stands to its end."""
    return hashlib.file_digest(handle, "sha256").hexdigest()


def sha256_json(value: Any) -> str:
    """Hash of a JSON-able value that does not depend on key order or whitespace."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
