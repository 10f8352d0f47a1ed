"""Named connections shared by the sidebar and the magics: one JSON file, mode 0600.

``%dataproduct connect actg175`` and the Data Products panel both read the same file, so a
product added in the panel (with its token) is known by name in every kernel. The file is
``<jupyter data dir>/dataproduct/connections.json`` (``$DATAPRODUCT_CONNECTIONS``
overrides it)::

    {"connections": {"actg175": {"location": "http://host:8750/actg175", "token": "..."}}}

Products configured for the Jupyter server (``c.DataProductLab.products``) reach kernels
started by that server through ``$DATAPRODUCT_LAB_PRODUCTS`` (names, locations and the
*names* of token variables; never a token), so their names resolve too.

Tokens are read from here and handed to the transport; they are never printed or answered.
This module imports nothing heavy: the server extension loads it at start-up.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.disk import write_atomically
from ..core.errors import DataProductError, DiskFullError, InvalidNameError

FILE_ENV = "DATAPRODUCT_CONNECTIONS"
CONFIGURED_ENV = "DATAPRODUCT_LAB_PRODUCTS"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ConnectionsFileError(DataProductError):
    """The connections file cannot be read or written."""

    code = "connections_file"
    http_status = 500


class UnknownConnectionError(DataProductError):
    code = "unknown_product"
    http_status = 404


@dataclass(frozen=True)
class Connection:
    """A named product: a folder or a server URL, and the token a server needs (if any)."""

    name: str
    location: str
    token: str | None = field(default=None, repr=False)  # never in a repr, a log line or an answer
    origin: str = "connections"  # "connections" (the file) or "config" (the Jupyter server's config)

    @property
    def is_remote(self) -> bool:
        return self.location.startswith(("http://", "https://"))


def connections_path() -> Path:
    """Where the connections file lives (``$DATAPRODUCT_CONNECTIONS`` or Jupyter's data dir)."""
    override = os.environ.get(FILE_ENV)
    if override:
        return Path(override).expanduser()
    try:
        from jupyter_core.paths import jupyter_data_dir

        base = Path(jupyter_data_dir())
    except ImportError:  # no Jupyter installed: the same place jupyter_core would pick on Linux
        base = Path(os.environ.get("XDG_DATA_HOME", "~/.local/share")).expanduser() / "jupyter"
    return base / "dataproduct" / "connections.json"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidNameError(
            f"{str(name)[:80]!r} is not a connection name; use letters, digits, '_', '-' and '.' "
            "(up to 64, starting with a letter or digit).", details={"name": str(name)[:80]})
    return name


def load(path: Path | None = None) -> dict[str, Connection]:
    """The connections in the file, by name (none when the file does not exist)."""
    path = path or connections_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConnectionsFileError(f"Cannot read the connections file {path}: {exc}") from None
    entries = data.get("connections") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ConnectionsFileError(f"{path} is not a connections file: expected {{\"connections\": {{NAME: ...}}}}.")
    found = {}
    for name, entry in entries.items():
        if isinstance(entry, dict) and isinstance(entry.get("location"), str) and NAME.match(str(name)):
            token = entry.get("token")
            found[name] = Connection(name, entry["location"], token if isinstance(token, str) and token else None)
    return found


def save(connections: dict[str, Connection], path: Path | None = None) -> None:
    """Write the file atomically, readable by its owner only (it holds tokens)."""
    path = path or connections_path()
    document = {"connections": {
        c.name: {"location": c.location, **({"token": c.token} if c.token else {})}
        for c in connections.values() if c.origin == "connections"
    }}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(document, indent=2))  # a new file (mkstemp) is 0600
        path.chmod(0o600)
    except (OSError, DiskFullError) as exc:
        raise ConnectionsFileError(f"Cannot write the connections file {path}: {exc}") from None


def add(connection: Connection, path: Path | None = None) -> None:
    check_name(connection.name)
    connections = load(path)
    connections[connection.name] = Connection(connection.name, connection.location, connection.token)
    save(connections, path)


def remove(name: str, path: Path | None = None) -> bool:
    """Remove a named connection; False when the file had no such name."""
    connections = load(path)
    if connections.pop(name, None) is None:
        return False
    save(connections, path)
    return True


def configured() -> dict[str, Connection]:
    """Products the Jupyter server was configured with (``$DATAPRODUCT_LAB_PRODUCTS``), tokens from
    the environment variables they name."""
    text = os.environ.get(CONFIGURED_ENV)
    if not text:
        return {}
    try:
        entries = json.loads(text)
    except ValueError:
        return {}
    found = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("location"), str):
            token = os.environ.get(entry["token_env"]) if isinstance(entry.get("token_env"), str) else None
            found[entry["name"]] = Connection(entry["name"], entry["location"], token or None, origin="config")
    return found


def known() -> dict[str, Connection]:
    """Every named product: the server's configured ones, then the connections file's."""
    return {**configured(), **load()}


def resolve(name: str) -> Connection:
    """The connection called ``name``, or a clear error listing the names there are."""
    found = known()
    if name not in found:
        raise UnknownConnectionError(
            f"No connection named {name[:80]!r}; known: {', '.join(sorted(found)) or 'none'} "
            f"(the Data Products panel adds them, stored in {connections_path()}).",
            details={"name": name[:80], "allowed": sorted(found)},
        )
    return found[name]
