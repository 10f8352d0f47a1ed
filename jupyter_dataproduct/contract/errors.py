"""Errors of the HTTP layer, in the package's one error tree (no web framework here, so the
remote client raises the very same classes).

Access errors say nothing about what exists: a missing, wrong or revoked token reads
"A valid token is required.", whatever the product, endpoint or reason.
"""

from __future__ import annotations

from ..core.errors import DataProductError


class BadRequestError(DataProductError):
    """The request itself is malformed: not JSON, wrong JSON types, bad query values."""

    code = "bad_request"
    http_status = 400


class UnauthorizedError(DataProductError):
    code = "unauthorized"
    http_status = 401

    def __init__(self, message: str = "A valid token is required.", **kwargs) -> None:
        super().__init__(message, **kwargs)


class ForbiddenError(DataProductError):
    code = "forbidden"
    http_status = 403

    def __init__(self, message: str = "This token is not allowed to do this.", **kwargs) -> None:
        super().__init__(message, **kwargs)


class NotFoundError(DataProductError):
    """No such product or endpoint."""

    code = "not_found"
    http_status = 404


class MethodNotAllowedError(DataProductError):
    code = "method_not_allowed"
    http_status = 405


class NotAcceptableError(DataProductError):
    code = "not_acceptable"
    http_status = 406


class PayloadTooLargeError(DataProductError):
    code = "payload_too_large"
    http_status = 413


class UnsupportedMediaTypeError(DataProductError):
    code = "unsupported_media_type"
    http_status = 415


class InternalError(DataProductError):
    """Something broke on the server; the details stay in the server's log."""

    code = "internal_error"
    http_status = 500


class PluginNotFoundError(DataProductError):
    code = "plugin_not_found"
    http_status = 404


class SourceNotSharedError(DataProductError):
    """The server does not share its plugins' source (``dataproduct serve --share-plugin-source``)."""

    code = "source_not_shared"
    http_status = 403


class QueryError(DataProductError):
    """The query engine refused a query built from the request (a value of the wrong kind, say)."""

    code = "query_failed"
    http_status = 422


class ServeError(DataProductError):
    """The server cannot start (the address is taken or not allowed)."""

    code = "cannot_serve"
    http_status = 500


class TokenNotFoundError(DataProductError):
    """No token with this id in the server's token store."""

    code = "token_not_found"
    http_status = 404
