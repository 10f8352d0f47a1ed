"""``POST dataproduct/products/{name}/cohorts/count``: the cohort builder's live "N of M"."""

from __future__ import annotations

from tornado import web

from ..contract.errors import BadRequestError
from .base import DataProductHandler
from .validation import cohort_count


class CohortCountHandler(DataProductHandler):
    @web.authenticated
    async def post(self, name: str) -> None:
        body = self.body()
        entity, cohort = body.get("entity"), body.get("cohort", "")
        if not isinstance(entity, str) or not entity:
            raise BadRequestError("'entity' (the entity the cohort filters, e.g. \"patients\") is required.")
        if not isinstance(cohort, (str, dict)):
            raise BadRequestError("'cohort' is a text expression, a condition tree or \"@saved_name\".")
        self.reply(await self.catalog.run(self.catalog.call, name, lambda p: cohort_count(p, entity, cohort)))
