"""Errors of the sidebar's API (the rest come from core, client and server, with their status)."""

from __future__ import annotations

from ..core.errors import DataProductError


class OutsideRootError(DataProductError):
    """A folder outside the Jupyter root was asked for (``../../etc``)."""

    code = "outside_root"
    http_status = 403


class NotRemovableError(DataProductError):
    """Only products of the connections file can be removed from the panel."""

    code = "not_removable"
    http_status = 409


class DuplicateProductError(DataProductError):
    code = "duplicate_product"
    http_status = 409


class ProductRefusedError(DataProductError):
    """A remote product refused the token stored for it (its 401/403 must not look like Jupyter's)."""

    code = "product_refused"
    http_status = 502


class ProductTimeoutError(DataProductError):
    code = "product_timeout"
    http_status = 504


class NotFoundError(DataProductError):
    code = "not_found"
    http_status = 404


class InternalError(DataProductError):
    """Something broke in the extension; the details stay in the server's log."""

    code = "internal_error"
    http_status = 500
