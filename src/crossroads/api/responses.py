"""JSON and SSE responses, and the one place errors become OpenAI error JSON."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from crossroads.errors import CrossroadsError

log = logging.getLogger("crossroads.api")

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
DONE = b"data: [DONE]\n\n"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def error_response(exc: CrossroadsError) -> Response:
    return json_response(exc.to_dict(), status=exc.status, headers=exc.headers or None)


def sse_response(chunks: AsyncIterator[dict[str, Any]]) -> StreamingResponse:
    return StreamingResponse(_sse(chunks), media_type="text/event-stream", headers=SSE_HEADERS)


async def _sse(chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield b"data: " + orjson.dumps(chunk) + b"\n\n"
    except CrossroadsError as exc:
        log.warning("stream ended by error: %s", exc.message)
        yield b"data: " + orjson.dumps(exc.to_dict()) + b"\n\n"
        return
    except Exception:
        log.exception("stream failed")
        yield b"data: " + orjson.dumps(_internal().to_dict()) + b"\n\n"
        return
    yield DONE


def _internal() -> CrossroadsError:
    return CrossroadsError("The server had an error while processing your request. It has been logged.")


_HTTP_TYPES = {404: "invalid_request_error", 405: "invalid_request_error"}


async def handle_crossroads_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CrossroadsError)
    return error_response(exc)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: f"Unknown request URL: {request.method} {request.url.path}.", 405: "Method not allowed."}
    err = CrossroadsError(message.get(exc.status_code, str(exc.detail)), status=exc.status_code)
    err.type = _HTTP_TYPES.get(exc.status_code, "invalid_request_error")
    return error_response(err)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(_internal())
