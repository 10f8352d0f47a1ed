"""What the panel may offer for a product: the token's role and the actions it allows.

A remote product's role is the one its server lists for the stored token
(``reader`` < ``analyst`` < ``admin``, see :mod:`jupyter_dataproduct.server.tokens`); a
folder is the user's own, so every action is offered. The buttons follow these lists; the
product (``dataproduct serve``) still refuses what a role may not do.
"""

from __future__ import annotations

from typing import Any

ROLES = ("reader", "analyst", "admin")
LOCAL_ROLE = "admin"

# The smallest role for each action of the Snapshots, Artifacts and History sections (as
# ``dataproduct serve`` enforces them: server/metadata.py, server/artifacts.py,
# server/history.py). A history entry's re-run and save both fetch its result
# (``GET .../history/{id}/result``: analyst); opening its form only reads the protocol.
ACTIONS = {
    "use": "reader", "diff": "reader", "load": "reader", "use_parameter": "reader", "open_form": "reader",
    "verify": "analyst", "delete_artifact": "analyst", "rerun": "analyst", "save_result": "analyst",
    "tag": "admin", "build": "admin",
}


def role_of(product: Any) -> str:
    """The role the panel acts with on ``product`` (blocking: asks a remote server)."""
    if product.is_local:
        return LOCAL_ROLE
    role = product.transport.role()
    return role if role in ROLES else "reader"


def allowed_actions(role: str) -> list[str]:
    """The actions ``role`` may take, in ACTIONS order."""
    rank = ROLES.index(role) if role in ROLES else 0
    return [action for action, needed in ACTIONS.items() if ROLES.index(needed) <= rank]


def access(product: Any) -> dict[str, Any]:
    """``{"role", "actions"}`` for a payload."""
    role = role_of(product)
    return {"role": role, "actions": allowed_actions(role)}
