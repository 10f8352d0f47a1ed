"""Artifacts: list, load, save (a cohort, or a result by its history entry / provenance), delete.

Saving a result does not upload its tables: the server saves the result of the history
entry named in its provenance (``history_id``), or re-runs the provenance, which
reproduces it exactly. So what is saved is always what the server computed. Who may see,
replace and delete which artifact: :mod:`.access`.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from ..core.cohort import Cohort
from ..core.history import HistoryEntryNotFoundError
from ..core.result import Result
from .access import may_change, may_see, owner, require_seeing
from .auth import Call, endpoint
from ..contract.errors import BadRequestError
from .protocols import check_provenance
from .requests import expect_object, field, read_json, tables_format
from .responses import json_from_thread, json_response
from .runs import run_in_budget
from ..contract.wire import encode_result, encode_table


@endpoint("reader")
async def list_artifacts(call: Call) -> Response:
    return await json_from_thread(lambda: [a for a in call.transport.artifacts() if may_see(call.grant, a["provenance"])])


@endpoint("reader")
async def load_artifact(call: Call) -> Response:
    name = call.request.path_params["artifact"]
    tables = tables_format(call.request)  # ?tables=json: rows, for clients without Arrow

    def work() -> dict[str, Any]:
        meta, value = call.transport.load_artifact(name)
        require_seeing(call.grant, meta["provenance"])
        if isinstance(value, Cohort):
            encoded: Any = value.to_json()
        elif isinstance(value, Result):
            encoded = encode_result(value, tables)
        else:
            encoded = encode_table(value, tables)
        return {"artifact": meta, "kind": meta["kind"], "value": encoded}

    return await json_from_thread(work)


@endpoint("analyst")
async def save_artifact(call: Call) -> Response:
    """Body: ``{"kind": "cohort", "entity", "cohort", "snapshot"?, "overwrite"?, "description"?}``
    or ``{"kind": "result", "history_id"? , "provenance"?, "overwrite"?}``."""
    name = call.request.path_params["artifact"]
    spec = expect_object(await read_json(call.request))
    kind = field(spec, "kind", str, required=True)
    overwrite = field(spec, "overwrite", bool, False)
    product = call.product
    access = {"saved_by": owner(call.grant), "may_replace": lambda existing: may_change(call.grant, existing)}
    if kind == "cohort":
        entity = field(spec, "entity", str, required=True)
        cohort = field(spec, "cohort", (str, dict), required=True)
        snapshot = field(spec, "snapshot", str, "latest")
        description = field(spec, "description", str, "")
        return await json_from_thread(lambda: product.save_cohort(
            name, entity, cohort, snapshot=snapshot, description=description, overwrite=overwrite, **access).to_json(),
            status=201)
    if kind == "result":
        history_id = field(spec, "history_id", str)
        provenance = check_provenance(spec["provenance"]) if spec.get("provenance") is not None else None
        if history_id is None and provenance is None:
            raise BadRequestError("Saving a result needs its 'history_id' or its 'provenance'.")

        def work() -> dict[str, Any]:
            if history_id is not None:
                try:
                    entry = product.history.get(history_id)
                except HistoryEntryNotFoundError:
                    if provenance is None:
                        raise
                else:
                    call.require_protocol(entry.provenance["protocol"])
                    result = run_in_budget(call, "history_result", entry)
                    return product.artifacts.save_result(name, result, overwrite=overwrite, **access).to_json()
            call.require_protocol(provenance["protocol"])
            result = run_in_budget(call, "rerun", provenance, record=False)
            return product.artifacts.save_result(name, result, overwrite=overwrite, **access).to_json()

        return await json_from_thread(work, status=201)
    raise BadRequestError(f"'kind' must be 'cohort' or 'result', not {kind[:50]!r}.", details={"field": "kind"})


@endpoint("analyst")
async def delete_artifact(call: Call) -> Response:
    name = call.request.path_params["artifact"]
    await run_in_threadpool(lambda: call.product.artifacts.delete(name, may_delete=lambda info: may_change(call.grant, info)))
    return json_response({"deleted": name})


routes = [
    Route("/api/products/{name}/artifacts", list_artifacts, methods=["GET"]),
    Route("/api/products/{name}/artifacts/{artifact}", load_artifact, methods=["GET"]),
    Route("/api/products/{name}/artifacts/{artifact}", save_artifact, methods=["PUT"]),
    Route("/api/products/{name}/artifacts/{artifact}", delete_artifact, methods=["DELETE"]),
]
