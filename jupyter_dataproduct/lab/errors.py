"""Errors of the sidebar's API (the rest come from core, client and server, with their status;
codes are unique across the package, so a remote client maps each code to one class)."""

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


class ProductMissingError(DataProductError):
    """A listed folder no longer holds a product (moved, renamed or deleted since it was listed)."""

    code = "product_missing"
    http_status = 404
