"""The error handler answers every error in the one error shape, and never fails itself."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.requests import Request

from jupyter_dataproduct.core.errors import DataProductError, ParameterError
from jupyter_dataproduct.server import create_app
from jupyter_dataproduct.server.responses import on_error


@pytest.fixture(scope="module")
def request_(served_dirs) -> Request:
    app = create_app([served_dirs["actg175"]], arrow_cache=False)
    return Request({"type": "http", "app": app, "method": "POST", "path": "/", "headers": [], "query_string": b""})


def answer(request: Request, exc: Exception) -> tuple[int, dict]:
    response = asyncio.run(on_error(request, exc))
    return response.status_code, json.loads(response.body)


def test_a_deeply_nested_value_in_the_details_is_cut_short(request_):
    deep: list = [1]
    for _ in range(20_000):
        deep = [deep]
    status, body = answer(request_, ParameterError("Parameter 'x': not allowed.", details={"value": deep}))
    assert status == 422 and body["error"]["code"] == "invalid_parameter"
    assert len(json.dumps(body)) < 2_000


def test_huge_messages_and_details_are_cut_short(request_, served_dirs):
    message = f"{served_dirs['actg175']}/plugins/x.py: " + "x" * 1_000_000
    status, body = answer(request_, ParameterError(message, details={"items": list(range(100_000)), "text": "y" * 10**6}))
    assert status == 422 and len(json.dumps(body)) < 20_000
    assert str(served_dirs["actg175"]) not in json.dumps(body) and body["error"]["message"].startswith("<actg175>/plugins/x.py")


def test_an_error_that_cannot_be_shown_is_a_plain_internal_error(request_):
    class Broken(DataProductError):
        def to_dict(self):
            raise RuntimeError("cannot render")

        @property
        def details(self):
            raise RuntimeError("cannot read")

        @details.setter
        def details(self, value):
            pass

    status, body = answer(request_, Broken("x"))
    assert status == 500 and body["error"]["code"] == "internal_error"


def test_a_huge_integer_in_the_details_is_shown_as_text(request_):
    status, body = answer(request_, ParameterError("Parameter 'week': too large.", details={"value": 10**5000}))
    assert status == 422 and body["error"]["details"]["value"] == "(a number too large to show)"
