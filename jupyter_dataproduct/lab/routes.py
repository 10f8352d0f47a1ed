"""The sidebar's URL map (``docs/lab-api.md``), under ``{base_url}dataproduct/``."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from .artifacts import ArtifactHandler, ArtifactsHandler
from .base import NotFoundHandler
from .cohorts import CohortCountHandler
from .history import HistoryHandler
from .products import ProductHandler, ProductsHandler
from .plugins import PluginHandler, PluginSourceHandler, PluginsHandler, PluginValidateHandler
from .protocols import ProtocolHandler, ProtocolsHandler, ValidateHandler
from .snapshots import DiffHandler, SnapshotsHandler, TagHandler, VerifyHandler
from .version import VersionHandler

SEGMENT = r"([^/]+)"
PRODUCT = r"products/" + SEGMENT


def handlers(base_url: str) -> list[tuple[str, Any]]:
    routes = [
        (r"version", VersionHandler),
        (r"products", ProductsHandler),
        (PRODUCT, ProductHandler),
        (PRODUCT + r"/protocols", ProtocolsHandler),
        (PRODUCT + r"/protocols/" + SEGMENT, ProtocolHandler),
        (PRODUCT + r"/protocols/" + SEGMENT + r"/validate", ValidateHandler),
        (PRODUCT + r"/cohorts/count", CohortCountHandler),
        (PRODUCT + r"/artifacts", ArtifactsHandler),
        (PRODUCT + r"/artifacts/" + SEGMENT, ArtifactHandler),
        (PRODUCT + r"/snapshots", SnapshotsHandler),
        (PRODUCT + r"/snapshots/" + SEGMENT + r"/verify", VerifyHandler),
        (PRODUCT + r"/tags/" + SEGMENT, TagHandler),
        (PRODUCT + r"/diff", DiffHandler),
        (PRODUCT + r"/history", HistoryHandler),
        (PRODUCT + r"/plugins", PluginsHandler),
        (PRODUCT + r"/plugins/" + SEGMENT, PluginHandler),
        (PRODUCT + r"/plugins/" + SEGMENT + r"/source", PluginSourceHandler),
        (PRODUCT + r"/plugins/" + SEGMENT + r"/validate", PluginValidateHandler),
        (r"(.*)", NotFoundHandler),
    ]
    return [(url_path_join(base_url, "dataproduct", pattern) + "$", handler) for pattern, handler in routes]
