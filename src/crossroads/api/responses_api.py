"""The OpenAI Responses API: ``POST /v1/responses`` (JSON or typed server-sent events).

The call keeps the Responses format through the pipeline (``crossroads.formats``): the guard reads this
body, metering and routing see Responses answers, and each attempt is translated to Chat Completions
unless its backend speaks Responses natively.
"""

from __future__ import annotations

import asyncio
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
from crossroads.errors import CrossroadsError, NotFound
from crossroads.formats.responses_store import ResponseStore, input_items, refused_previous, store_of

log = logging.getLogger("crossroads.api")
router = APIRouter(route_class=RawRoute)
FORMAT = "openai_responses"  # what the ledger's facts call this wire format


@router.post("/v1/responses", tags=["openai"])
async def create_response(request: Request) -> Response:
    """Create a model response (OpenAI Responses API; `stream: true` for typed server-sent events)."""
    body = await checked_body(request, ResponsesRequest)
    gw = gateway(request)
    if body.get("previous_response_id") is not None:
        body = await _continued(request, body)
    call = gw.new_call(Endpoint.RESPONSES, body, request.headers, client_address(request))
    call.facts.format = FORMAT
    if call.stream:
        events = await gw.run_stream(call)
        return event_stream(events, headers=call.response_headers)
    return json_response(await gw.run(call), headers=call.response_headers)


@router.get("/v1/responses/{response_id}", tags=["openai"])
async def get_response(request: Request, response_id: str) -> Response:
    """A stored response (as the privacy guard let it out: placeholders where it found values)."""
    row = await asyncio.to_thread(_store(request).get, response_id, await _owner(request))
    return json_response(row.response)


@router.delete("/v1/responses/{response_id}", tags=["openai"])
async def delete_response(request: Request, response_id: str) -> Response:
    """Delete a stored response."""
    await asyncio.to_thread(_store(request).delete, response_id, await _owner(request))
    return json_response({"id": response_id, "object": "response.deleted", "deleted": True})


@router.get("/v1/responses/{response_id}/input_items", tags=["openai"])
async def list_input_items(request: Request, response_id: str) -> Response:
    """The input items of a stored response, oldest first (as the privacy guard let them out)."""
    row = await asyncio.to_thread(_store(request).get, response_id, await _owner(request))
    items = [{"id": item.get("id") or f"item_{i}", **item} for i, item in enumerate(row.input)]
    page = {"object": "list", "data": items, "has_more": False}
    return json_response({**page, "first_id": items[0]["id"] if items else None,
                          "last_id": items[-1]["id"] if items else None})  # fmt: skip


async def _continued(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """The body with the stored conversation it continues put before its own input."""
    store = store_of(gateway(request).stages)
    if store is None:
        raise refused_previous()
    earlier = await store.conversation(body["previous_response_id"], await _owner(request))
    return {**body, "input": [*earlier, *input_items(body)]}


def _store(request: Request) -> ResponseStore:
    store = store_of(gateway(request).stages)
    if store is None:
        raise NotFound("This gateway keeps no responses (responses.storage: off).", code="responses_not_stored")
    return store


async def _owner(request: Request) -> str | None:
    """The caller's key id — a stored response is visible only to the key that made it — or None without keys."""
    metering = gateway(request).metering
    if metering is None or not metering.keys_active:
        return None
    key = await metering.authenticate(request.headers, client_address(request))
    return key.id


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
