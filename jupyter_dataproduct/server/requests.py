"""Reading requests strictly: bounded JSON bodies and typed query values, else 400/413/415."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ..core.limits import bounds_problem
from ..contract.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError

MAX_BODY = 1_000_000  # bytes; parameters and cohort trees are small


async def read_json(request: Request, *, required: bool = True, default: Any = None) -> Any:
    """The request's JSON body, at most ``app.state.max_body`` bytes."""
    limit = getattr(request.app.state, "max_body", MAX_BODY)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaTypeError(f"Send the request body as application/json, not {content_type[:100]}.")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequestError("The Content-Length header is not a number.")
        if int(declared) > limit:
            raise PayloadTooLargeError(f"The request body is larger than {limit:,} bytes.", details={"limit": limit})
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLargeError(f"The request body is larger than {limit:,} bytes.", details={"limit": limit})
    except ClientDisconnect:  # gone (or timed out) before the whole body came: nobody reads the answer
        raise BadRequestError("The client went away before sending the whole body.") from None
    if not body.strip():
        if required:
            raise BadRequestError("This request needs a JSON body.")
        return default
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadRequestError(f"The request body is not valid JSON: {str(exc)[:200]}") from None
    problem = bounds_problem(value)  # before anything walks it (validation, error messages)
    if problem:
        raise BadRequestError(f"The request body {problem}.")
    return value


def expect_object(value: Any, what: str = "The request body") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequestError(f"{what} must be a JSON object, not {_json_type(value)}.")
    return value


def field(body: dict[str, Any], name: str, kinds: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
    """``body[name]`` if it has one of ``kinds`` (JSON types), else 400."""
    if name not in body or body[name] is None:
        if required:
            raise BadRequestError(f"The request body needs {name!r}.", details={"field": name})
        return default
    value = body[name]
    allowed = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, bool) and bool not in allowed:
        ok = False
    else:
        ok = isinstance(value, allowed)
    if not ok:
        names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in allowed)
        raise BadRequestError(f"{name!r} must be {names}, not {_json_type(value)}.", details={"field": name})
    return value


def string_list(body: dict[str, Any], name: str) -> list[str] | None:
    value = field(body, name, (list, str))
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not all(isinstance(v, str) for v in value):
        raise BadRequestError(f"{name!r} must be a list of strings.", details={"field": name})
    return value


def query_int(request: Request, name: str, *, minimum: int = 0, maximum: int = 10**12) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise BadRequestError(f"Query parameter {name!r} must be an integer, not {text[:50]!r}.", details={"parameter": name}) from None
    if not minimum <= value <= maximum:
        raise BadRequestError(f"Query parameter {name!r} must be between {minimum} and {maximum}.", details={"parameter": name})
    return value


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise BadRequestError(f"Query parameter {name!r} must be true or false, not {text[:50]!r}.", details={"parameter": name})


def query_choice(request: Request, name: str, choices: tuple[str, ...], default: str) -> str:
    text = request.query_params.get(name) or default
    if text not in choices:
        raise BadRequestError(f"Query parameter {name!r} must be one of {', '.join(choices)}, not {text[:50]!r}.",
                              details={"parameter": name, "allowed": list(choices)})
    return text


def tables_format(request: Request) -> str:
    """``?tables=``: how a result's tables travel in its JSON document (Arrow IPC, or rows)."""
    return query_choice(request, "tables", ("arrow", "json"), "arrow")


def query_text(request: Request, name: str, default: str | None = None) -> str | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if len(text) > 10_000 or "\x00" in text:
        raise BadRequestError(f"Query parameter {name!r} is not acceptable.", details={"parameter": name})
    return text


_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "true or false", int: "an integer", float: "a number"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind):
            return "a number" if kind is float else name
    return type(value).__name__
