"""What every handler of the sidebar's API shares: auth, JSON in and out, one error shape.

Errors answer ``{"error": {"code", "message", "details"}}`` with the error's HTTP status
(our exceptions know it); anything unexpected is logged and answered as a 500 without a
traceback. Before an answer leaves, it is checked for every token the catalog knows.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..core.errors import DataProductError
from ..contract.errors import BadRequestError, InternalError, NotFoundError
from .catalog import Catalog

MAX_BODY = 1 << 20
MIN_SCRUBBED = 8


class DataProductHandler(APIHandler):
    """Base of the sidebar's handlers: subclasses decorate each verb with ``@web.authenticated``."""

    @property
    def catalog(self) -> Catalog:
        return self.settings["dataproduct_catalog"]

    def reply(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(self._checked(json.dumps(payload, default=str)))

    def body(self) -> dict[str, Any]:
        """The request's JSON object, or a 400 saying what was wrong."""
        raw = self.request.body or b""
        if len(raw) > MAX_BODY:
            raise BadRequestError(f"The body is {len(raw):,} bytes; at most {MAX_BODY:,} are accepted.")
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise BadRequestError("The body is not JSON; send a JSON object.") from None
        if not isinstance(data, dict):
            raise BadRequestError(f"The body is a JSON {type(data).__name__}; send a JSON object.")
        return data

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, DataProductError):
            error = exc
        elif isinstance(exc, web.HTTPError):
            error = DataProductError(exc.log_message or self._reason or "Request refused")
            error.code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
                status_code, "http_error")
        else:
            self.log.error("jupyter_dataproduct: %s %s failed", self.request.method, self.request.path, exc_info=kwargs.get("exc_info"))
            error = InternalError("The Data Products extension failed; the details are in the Jupyter server's log.")
        self.set_status(error.http_status if isinstance(exc, DataProductError) else status_code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(self._checked(json.dumps({"error": error.to_dict()}, default=str)))

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, DataProductError):  # ours: an answer, not a server error to log with a traceback
            self.send_error(e.http_status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)

    def _checked(self, text: str) -> str:
        """The answer with any known token blanked out (belt and braces: none should be there)."""
        for token in self.catalog.tokens():
            if len(token) >= MIN_SCRUBBED and token in text:  # a 1-letter "token" must not blank every "a"
                self.log.error("jupyter_dataproduct: an answer to %s contained a token; it was removed", self.request.path)
                text = text.replace(token, "***")
        return text


class NotFoundHandler(DataProductHandler):
    """Any other path under ``dataproduct/``: a 404 in the API's shape."""

    @web.authenticated
    def get(self, path: str) -> None:
        raise NotFoundError(f"No endpoint dataproduct/{path[:100]}; see docs/lab-api.md.")

    post = delete = put = patch = get
