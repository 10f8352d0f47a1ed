"""``dataproduct/products/{name}/artifacts``: saved cohorts, tables and results (the Artifacts
section and the form's ``@name`` picker), and deleting one.

The list carries the role the panel acts with, so a reader sees no delete button; the
product still checks the permission (a remote server answers 403 for a reader).
"""

from __future__ import annotations

from typing import Any

from tornado import web

from .base import DataProductHandler
from .roles import access

FIELDS = ("name", "kind", "entity", "created", "summary", "description")
# What the panel shows of an artifact's provenance (parameters and versions: the rest of it).
PROVENANCE = ("protocol", "protocol_version", "snapshot", "product_version", "parameters", "cohort", "history_id")


class ArtifactsHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        def work(product: Any) -> dict[str, Any]:
            return {"artifacts": [_artifact(a) for a in product.transport.artifacts()], **access(product)}

        self.reply(await self.catalog.run(self.catalog.call, name, work))


class ArtifactHandler(DataProductHandler):
    @web.authenticated
    async def delete(self, name: str, artifact: str) -> None:
        await self.catalog.run(self.catalog.call, name, lambda p: delete(p, artifact))
        self.set_status(204)
        self.finish()


def delete(product: Any, artifact: str) -> None:
    """Delete ``artifact``; its name is checked first (a 422 naming what is allowed)."""
    from ..core.artifacts import validate_artifact_name  # loads polars: on a worker thread

    validate_artifact_name(artifact)
    product.transport.delete_artifact(artifact)


def _artifact(meta: dict[str, Any]) -> dict[str, Any]:
    item = {k: meta[k] for k in FIELDS if meta.get(k) not in (None, "")}
    provenance = meta.get("provenance") or {}
    cohort = provenance.get("cohort")
    if "entity" not in item and isinstance(cohort, dict) and cohort.get("entity"):
        item["entity"] = cohort["entity"]  # a saved cohort: the entity it filters
    shown = {k: provenance[k] for k in PROVENANCE if provenance.get(k) not in (None, "", {})}
    if shown:
        item["provenance"] = shown
    return item
