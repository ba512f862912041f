"""Reading a request body: size limit, JSON parsing, schema validation — each failure a 400/413."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request

from crossroads.errors import ClientClosed, InvalidRequest, PayloadTooLarge, RequestTimeout

log = logging.getLogger("crossroads.api")

M = TypeVar("M", bound=BaseModel)
TAGS = frozenset({
    "message", "function_call", "function_call_output", "reasoning", "other", "function", "hosted", "input_text",
    "output_text", "refusal", "input_image", "input_file", "allowed_tools",
})  # fmt: skip
# (the tags of list items in a tagged union: not part of a parameter's name)


async def read_body(request: Request, limit: int, timeout: float = 30.0) -> bytes:
    """The whole body: 413 past ``limit`` bytes, 408 when it has not all arrived after ``timeout`` seconds,
    ``ClientClosed`` (a debug line, no traceback) when the client goes away while sending it."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    try:
        async with asyncio.timeout(timeout):
            return await _read(request, limit)
    except TimeoutError:
        raise RequestTimeout(
            f"The request body did not arrive within {timeout:g} s (a Content-Length larger than the body sent?). "
            "Send the whole body, or raise server.body_timeout_seconds."
        ) from None
    except ClientDisconnect:
        log.debug("client went away while sending the body of %s %s", request.method, request.url.path)
        raise ClientClosed("The client went away while sending the request body.") from None


async def _read(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Request body is larger than the limit of {limit} bytes; send less, or raise server.max_body_bytes."
    )


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(
            f"We could not parse the JSON body of your request ({exc}). Send a JSON object "
            "with Content-Type: application/json."
        ) from None
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return data


def validate(schema: type[M], data: dict[str, Any]) -> M:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> InvalidRequest:
    errors = exc.errors()
    first = errors[0]
    if first["type"].endswith("_type") and first["loc"] and _is_branch(str(first["loc"][-1])):
        first = max(errors, key=lambda e: len(e["loc"]))  # not this branch of a union: the one that got furthest
    param = _param(first["loc"])
    if first["type"] == "missing":
        return InvalidRequest(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")
    given = first.get("input")
    shown = orjson.dumps(given).decode()[:80] if _jsonable(given) else type(given).__name__
    return InvalidRequest(f"Invalid value for '{param}': {first['msg']} (got {shown}).", param=param)


def _param(loc: tuple[int | str, ...]) -> str:
    """('messages', 0, 'role') -> 'messages[0].role'; union branch names are dropped."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif _is_branch(part) or (i and isinstance(loc[i - 1], int) and part in TAGS):
            continue
        else:
            out += f".{part}" if out else part
    return out


def _is_branch(part: str) -> bool:
    return part in {"str", "int", "float", "bool", "none"} or any(c in part for c in "[]-") or part[:1].isupper()


def _jsonable(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True
