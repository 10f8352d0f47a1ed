"""Bearer tokens on every endpoint but ``/api/health``.

``Authorization: Bearer <token>``; a token belongs to one product's store. A missing,
unknown or revoked token gets 401 and a role too low (or a protocol not on the token's
list) 403, with messages that name nothing: not the product, not the token, not the rule.
A product name that is not served gets 404 only for a caller holding a valid token of
some served product; anyone else gets the same 401 as for a served product.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..core.history import acting_as
from ..contract.errors import ForbiddenError, NotFoundError, UnauthorizedError
from .products import Registry, ServedProduct
from .tokens import TokenInfo


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


@dataclass
class Call:
    """An authorised request for one product."""

    request: Request
    served: ServedProduct
    grant: TokenInfo

    @property
    def product(self) -> Any:
        return self.served.product

    @property
    def transport(self) -> Any:
        return self.served.transport

    def require_protocol(self, name: str) -> None:
        if not self.grant.allows_protocol(name):
            raise ForbiddenError()


def authorize(request: Request, name: str, role: str) -> Call:
    registry: Registry = request.app.state.registry
    token = bearer_token(request)
    served = registry.get(name)
    if served is None:
        if token and any(p.tokens.authenticate(token) for p in registry):
            raise NotFoundError(f"No product named {name[:100]!r} here; GET /api/products lists them.")
        raise UnauthorizedError()
    grant = served.tokens.authenticate(token)
    if grant is None:
        raise UnauthorizedError()
    if not grant.allows(role):
        raise ForbiddenError()
    return Call(request, served, grant)


def grants(request: Request) -> list[tuple[ServedProduct, TokenInfo]]:
    """The served products the request's token is valid for (401 if none)."""
    token = bearer_token(request)
    found = [(p, g) for p in request.app.state.registry for g in [p.tokens.authenticate(token)] if g is not None]
    if not found:
        raise UnauthorizedError()
    return found


def endpoint(role: str) -> Callable[[Callable[[Call], Awaitable[Response]]], Callable[[Request], Awaitable[Response]]]:
    """Decorate ``async def handler(call)``: authorise ``{name}`` for ``role`` first."""

    def decorate(handler: Callable[[Call], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def wrapped(request: Request) -> Response:
            call = authorize(request, request.path_params["name"], role)
            with acting_as(f"token {call.grant.id} ({call.grant.role})"):  # what history records as "who"
                return await handler(call)

        return wrapped

    return decorate
