"""The OpenAI Responses API: ``POST /v1/responses`` (JSON or typed server-sent events).

The call keeps the Responses format through the pipeline (``crossroads.formats``): the guard reads this
body, metering and routing see Responses answers, and each attempt is translated to Chat Completions
unless its backend speaks Responses natively.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from crossroads.api.deps import RawRoute, checked_body, client_address, gateway
from crossroads.api.replies import SSE_HEADERS, EventStream, json_response
from crossroads.api.schemas import ResponsesRequest
from crossroads.backends import Endpoint
from crossroads.errors import CrossroadsError

log = logging.getLogger("crossroads.api")
router = APIRouter(route_class=RawRoute)


@router.post("/v1/responses", tags=["openai"])
async def create_response(request: Request) -> Response:
    """Create a model response (OpenAI Responses API; `stream: true` for typed server-sent events)."""
    body = await checked_body(request, ResponsesRequest)
    gw = gateway(request)
    call = gw.new_call(Endpoint.RESPONSES, body, request.headers, client_address(request))
    if call.stream:
        events = await gw.run_stream(call)
        return event_stream(events, headers=call.response_headers)
    return json_response(await gw.run(call), headers=call.response_headers)


def event_stream(events: AsyncIterator[dict[str, Any]], headers: dict[str, str] | None = None) -> StreamingResponse:
    """Typed events (``event: <type>`` lines), no ``[DONE]``: the stream ends after ``response.completed``."""
    return EventStream(_typed(events), media_type="text/event-stream", headers={**SSE_HEADERS, **(headers or {})})


async def _typed(events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    sequence = 0
    try:
        async for event in events:
            sequence = event.get("sequence_number", sequence) + 1
            yield b"event: " + str(event.get("type")).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"
    except CrossroadsError as exc:
        log.warning("stream ended by error: %s", exc.message)
        yield _error_event(exc, sequence)
    except Exception:
        log.exception("stream failed")
        yield _error_event(CrossroadsError("The server had an error while processing your request."), sequence)


def _error_event(exc: CrossroadsError, sequence: int) -> bytes:
    """The Responses API's stream error event (``type: error`` with code, message, param)."""
    event = {
        "type": "error",
        "code": exc.code or exc.type,
        "message": exc.message,
        "param": exc.param,
        "sequence_number": sequence,
    }
    return b"event: error\ndata: " + orjson.dumps(event) + b"\n\n"
