"""``key=value`` parameters as typed on a command line or in a magic.

``key=value`` gives text (the protocol's parameter schema converts it); ``key:=JSON``
gives a JSON value (lists, numbers, condition trees). Shared by the CLI and the magics.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ParameterError


def parse_assignments(assignments: list[str] | tuple[str, ...]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for item in assignments:
        equals = item.find("=")
        if equals > 0 and item[equals - 1] == ":":
            key, raw = item[: equals - 1], item[equals + 1 :]
            try:
                parameters[key] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ParameterError(f"Parameter {key!r}: {raw!r} is not valid JSON ({exc.msg}).") from None
        elif equals > 0:
            parameters[item[:equals]] = item[equals + 1 :]
        else:
            raise ParameterError(f"{item!r}: write parameters as key=value (or key:=JSON).")
    return parameters
