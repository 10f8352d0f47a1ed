"""What a token may see and change beyond its role: the rule for protocol-limited tokens
and for replacing other people's artifacts.

- History entries and artifacts carry the protocol that made them (their provenance). A
  token limited to some protocols sees only those entries and results, and plugins of
  those names. Cohorts, which no protocol made, are visible to every reader.
- Writes need the analyst role (checked by :func:`.auth.endpoint`). A token replaces or
  deletes an artifact only if it was saved by the same role or a lower one; artifacts saved
  on the server's machine (CLI, notebook) count as an admin's. A protocol-limited token
  replaces or deletes only the artifacts it saved itself.
"""

from __future__ import annotations

from typing import Any

from ..core.artifacts import ArtifactInfo
from ..contract.errors import ForbiddenError
from .tokens import ROLES, TokenInfo


def may_see(grant: TokenInfo, provenance: dict[str, Any] | None) -> bool:
    """Whether the token may see what this provenance describes (a run, a saved result)."""
    protocol = (provenance or {}).get("protocol")
    return not isinstance(protocol, str) or grant.allows_protocol(protocol)


def require_seeing(grant: TokenInfo, provenance: dict[str, Any] | None) -> None:
    if not may_see(grant, provenance):
        raise ForbiddenError()


def owner(grant: TokenInfo) -> dict[str, Any]:
    """What an artifact records about the token that saved it."""
    return {"token": grant.id, "role": grant.role, "protocols": list(grant.protocols) if grant.protocols is not None else None}


def may_change(grant: TokenInfo, artifact: ArtifactInfo) -> bool:
    """Whether the token may replace or delete ``artifact``."""
    if not may_see(grant, artifact.provenance):
        return False
    saved_by = artifact.saved_by or {"role": "admin", "token": None}
    if grant.protocols is not None:
        return saved_by.get("token") == grant.id
    role = saved_by.get("role")
    return role in ROLES and ROLES.index(role) <= ROLES.index(grant.role)
