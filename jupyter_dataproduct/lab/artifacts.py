"""``GET dataproduct/products/{name}/artifacts``: saved cohorts and tables (the form's ``@name`` picker)."""

from __future__ import annotations

from typing import Any

from tornado import web

from .base import DataProductHandler

FIELDS = ("name", "kind", "entity", "created", "summary", "description")


class ArtifactsHandler(DataProductHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        items = await self.catalog.run(self.catalog.call, name, lambda p: p.transport.artifacts())
        self.reply({"artifacts": [_artifact(a) for a in items]})


def _artifact(meta: dict[str, Any]) -> dict[str, Any]:
    item = {k: meta[k] for k in FIELDS if meta.get(k) not in (None, "")}
    cohort = (meta.get("provenance") or {}).get("cohort")
    if "entity" not in item and isinstance(cohort, dict) and cohort.get("entity"):
        item["entity"] = cohort["entity"]  # a saved cohort: the entity it filters
    return item
