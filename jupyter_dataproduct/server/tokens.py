"""Access tokens of a product: created by ``dataproduct token create``, stored hashed.

A token is shown once, when it is created; the store keeps only its sha256, in
``tokens.json`` in the product's store folder (``.dataproduct/`` or ``$DATAPRODUCT_STORE``),
next to the snapshots, so it never lands in the product's git repository. Each token has a
role and optionally a list of the protocols it may run:

- ``reader``: metadata, snapshots, protocol descriptions, frames, artifacts, history;
- ``analyst``: a reader who may also run protocols and plugins and save or delete artifacts;
- ``admin``: an analyst who may also build and tag snapshots.

The server re-reads the file when it changes, so a revoked token stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract.errors import TokenNotFoundError
from ..core.errors import DataProductError, ParameterError
from ..core.snapshot import exclusive_lock, now_iso, write_atomically

TOKENS_FILE = "tokens.json"
ROLES = ("reader", "analyst", "admin")
PREFIX = "dp_"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """What a token may do (never the token itself)."""

    id: str
    role: str
    protocols: tuple[str, ...] | None = None
    created: str = ""
    note: str = ""
    sha256: str = field(default="", repr=False)

    def allows(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def allows_protocol(self, name: str) -> bool:
        """Whether the token may run protocol (or plugin) ``name`` (``name@version`` too)."""
        return self.protocols is None or name.partition("@")[0] in self.protocols

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "protocols": list(self.protocols) if self.protocols is not None else None,
                "created": self.created, "note": self.note}


class TokenStore:
    """The tokens of one product, in ``<store>/tokens.json``."""

    def __init__(self, store_root: Path) -> None:
        self.file = Path(store_root) / TOKENS_FILE
        self._cache: list[TokenInfo] = []
        self._stamp: tuple[int, int, int] | None = None

    @classmethod
    def for_product(cls, path: str | os.PathLike[str]) -> "TokenStore":
        from ..core.product import Product

        return cls(Product.open(path).store.root)

    # -- managing ------------------------------------------------------------------------

    def create(self, role: str, protocols: list[str] | None = None, note: str = "") -> tuple[str, TokenInfo]:
        """A new token: returns the token text (shown once) and what is stored about it."""
        if role not in ROLES:
            raise ParameterError(f"Role {role!r} is not one of {', '.join(ROLES)}.", details={"role": role, "allowed": list(ROLES)})
        for name in protocols or []:
            if not _NAME.match(name):
                raise ParameterError(f"{name!r} is not a protocol name.", details={"protocol": name})
        token_id = secrets.token_hex(4)
        token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        info = TokenInfo(id=token_id, role=role, protocols=tuple(protocols) if protocols else None,
                         created=now_iso(), note=note, sha256=hash_token(token))
        with self._locked():
            entries = self._read()
            entries.append({**info.to_json(), "sha256": info.sha256})
            self._write(entries)
        return token, info

    def list(self) -> list[TokenInfo]:
        return [_info(e) for e in self._read()]

    def revoke(self, token_id: str) -> TokenInfo:
        with self._locked():
            entries = self._read()
            kept = [e for e in entries if e["id"] != token_id]
            if len(kept) == len(entries):
                raise TokenNotFoundError(f"No token with id {token_id!r}; `dataproduct token list` shows them.",
                                         details={"id": token_id})
            self._write(kept)
        return _info(next(e for e in entries if e["id"] == token_id))

    # -- checking ------------------------------------------------------------------------

    def authenticate(self, token: str | None) -> TokenInfo | None:
        """The token's grants, or ``None`` for a missing, unknown or revoked token."""
        if not token or not token.startswith(PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        found = None
        for info in self._current():
            if hmac.compare_digest(info.sha256, digest):  # constant time; check every entry
                found = info
        return found

    def _current(self) -> list[TokenInfo]:
        try:
            stat = self.file.stat()
        except FileNotFoundError:
            self._cache, self._stamp = [], None
            return []
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if stamp != self._stamp:
            self._cache, self._stamp = self.list(), stamp
        return self._cache

    # -- file ------------------------------------------------------------------------------

    def _read(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.file.read_text())
        except FileNotFoundError:
            return []
        except json.JSONDecodeError:
            raise DataProductError(f"{self.file} is not valid JSON; fix or remove it.") from None
        return list(data.get("tokens", []))

    def _write(self, entries: list[dict[str, Any]]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.file, json.dumps({"tokens": entries}, indent=2) + "\n")
        os.chmod(self.file, 0o600)

    def _locked(self) -> Any:
        lock = self.file.with_suffix(".lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(lock, os.O_CREAT | os.O_WRONLY, 0o600))  # created private, like the tokens
        return exclusive_lock(lock)


def _info(entry: dict[str, Any]) -> TokenInfo:
    protocols = entry.get("protocols")
    return TokenInfo(id=entry["id"], role=entry["role"], protocols=tuple(protocols) if protocols is not None else None,
                     created=entry.get("created", ""), note=entry.get("note", ""), sha256=entry.get("sha256", ""))
