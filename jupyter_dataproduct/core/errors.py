"""One error tree for the whole package.

Every error we raise on purpose is a :class:`DataProductError`. Each subclass knows its
stable ``code`` and the HTTP status it maps to, and renders the same JSON shape
(``{"code", "message", "details"}``) in the CLI (``--json``), the server and the sidebar.
Messages are written for the person who reads them: what was wrong and what is allowed.
"""

from __future__ import annotations

from typing import Any


class DataProductError(Exception):
    """Base class of every error this package raises on purpose."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used everywhere an error crosses a boundary."""
        return {"code": self.code, "message": self.message, "details": self.details}


class ManifestError(DataProductError):
    """``dataproduct.yaml`` (or another config file) is missing, unreadable or invalid."""

    code = "invalid_manifest"
    http_status = 422


class ProductNotFoundError(ManifestError):
    """The path given as a product folder does not exist or holds no ``dataproduct.yaml``."""

    code = "product_not_found"
    http_status = 404


class SourceError(DataProductError):
    """A source could not be read (missing file, bad format, database refused)."""

    code = "source_error"
    http_status = 422


class BuildCheckError(DataProductError):
    """The data broke a rule of the model (key, reference, type, required column)."""

    code = "build_check_failed"
    http_status = 422


class SnapshotNotFoundError(DataProductError):
    code = "snapshot_not_found"
    http_status = 404


class AmbiguousSnapshotError(DataProductError):
    code = "ambiguous_snapshot"
    http_status = 409


class IntegrityError(DataProductError):
    """A published snapshot's files no longer match their recorded hashes."""

    code = "integrity_error"
    http_status = 500


class InvalidNameError(DataProductError):
    """A user-given name (tag, artifact, product) is not allowed."""

    code = "invalid_name"
    http_status = 422


class EntityNotFoundError(DataProductError):
    code = "entity_not_found"
    http_status = 404


class ColumnNotFoundError(DataProductError):
    code = "column_not_found"
    http_status = 422


class ParameterError(DataProductError):
    """A protocol parameter value is not allowed by the protocol's parameter schema."""

    code = "invalid_parameter"
    http_status = 422


class ProtocolError(DataProductError):
    code = "protocol_error"
    http_status = 422


class ProtocolNotFoundError(DataProductError):
    code = "protocol_not_found"
    http_status = 404


class PluginError(DataProductError):
    """A plugin raised or returned something the engine cannot use.

    422, not 500: the request was understood and the server is healthy; it is the product's
    plugin that could not answer these parameters (an empty cohort for a model, say), and
    the message names the plugin and the line. A client must never see a 5xx for its input.
    """

    code = "plugin_error"
    http_status = 422


class ArtifactError(DataProductError):
    code = "artifact_error"
    http_status = 422


class ArtifactNotFoundError(DataProductError):
    code = "artifact_not_found"
    http_status = 404


class MissingDependencyError(DataProductError):
    """An optional feature needs an extra that is not installed."""

    code = "missing_dependency"
    http_status = 501


class DiskFullError(DataProductError):
    """The disk (or the user's quota, or the file-size limit) is full: nothing was half-written."""

    code = "disk_full"
    http_status = 507


class EngineError(DataProductError):
    """An execution engine was named that does not exist or cannot be reached."""

    code = "engine_error"
    http_status = 422


class SnapshotExistsError(DataProductError):
    """A snapshot (or tag) was published where one already is: published files are never replaced."""

    code = "snapshot_exists"
    http_status = 409


class DataError(DataProductError):
    """The data cannot be analysed as asked (e.g. an event column coded other than 0/1);
    the message names the column, the values seen and what to do."""

    code = "invalid_data"
    http_status = 422


class NoSourceError(DataProductError):
    """A plugin without a file in the product (a built-in algorithm) or one too large to show."""

    code = "no_plugin_source"
    http_status = 404


class TestsFailedError(DataProductError):
    """Protocol tests ran and some failed (the message lists them)."""

    code = "tests_failed"
    http_status = 422


class StorageError(DataProductError):
    """The object store holding the snapshots refused or could not be reached (no such
    bucket, credentials refused, endpoint down): a problem of the store, not of the request."""

    code = "storage_error"
    http_status = 502
