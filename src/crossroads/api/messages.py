"""Anthropic's Messages API: ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

A Messages request is checked and run through the same pipeline as a chat request (keys, budgets, guard,
routing, ledger) in its own format (``crossroads.formats.anthropic_format``): a backend that speaks Messages
gets it as it is, any other gets it translated to Chat Completions, its answer or stream translated back.
Every error on these routes is in Anthropic's shape.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute, checked_body, client_address, gateway
from crossroads.api.replies import SSE_HEADERS, EventStream, json_response
from crossroads.backends import Body, Endpoint
from crossroads.errors import CrossroadsError, ModelNotFound
from crossroads.formats import anthropic
from crossroads.formats.anthropic_errors import error_body
from crossroads.formats.anthropic_schema import CountTokensRequest, MessagesRequest
from crossroads.formats.anthropic_stream import Event

log = logging.getLogger("crossroads.api")
router = APIRouter(route_class=RawRoute)
FORMAT = "anthropic_messages"  # what the ledger's facts call this wire format


def error_response(exc: CrossroadsError) -> Response:
    body, status = error_body(exc)
    return json_response(body, status=status, headers=exc.headers or None)


def _internal() -> CrossroadsError:
    return CrossroadsError("The server had an error while processing your request. It has been logged.")


async def _anthropic_errors(request: Request, handler: Callable[[Request], Awaitable[Response]]) -> Response:
    try:
        return await handler(request)
    except CrossroadsError as exc:
        return error_response(exc)
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(_internal())


@router.post("/v1/messages", tags=["anthropic"])
async def create_message(request: Request) -> Response:
    """Create a message (Anthropic Messages wire format; `stream: true` for Anthropic's server-sent events)."""
    return await _anthropic_errors(request, _create)


@router.post("/v1/messages/count_tokens", tags=["anthropic"])
async def count_tokens(request: Request) -> Response:
    """Count the input tokens of a Messages request (counted by the gateway's tokenizer, nothing is sent)."""
    return await _anthropic_errors(request, _count)


async def _create(request: Request) -> Response:
    body = await checked_body(request, MessagesRequest)
    gw = gateway(request)
    call = gw.new_call(Endpoint.MESSAGES, body, request.headers, client_address(request))
    call.facts.format = FORMAT
    if call.stream:
        events = await gw.run_stream(call)
        return EventStream(_sse_events(events), media_type="text/event-stream",
                           headers={**SSE_HEADERS, **call.response_headers})  # fmt: skip
    return json_response(await gw.run(call), headers=call.response_headers)


async def _count(request: Request) -> Response:
    body = await checked_body(request, CountTokensRequest)
    gw = gateway(request)
    public = gw.settings.resolve(body["model"])
    if public is None:
        raise ModelNotFound(f"model: {body['model']}", param="model")
    await _check_key(request, public)
    from crossroads.metering import tokens  # tiktoken: loaded on first use

    chat = anthropic.to_chat({**body, "max_tokens": 1})
    return json_response({"input_tokens": tokens.count_prompt(public, chat)})


async def _check_key(request: Request, model: str) -> None:
    metering = gateway(request).metering
    if metering is None or not metering.keys_active:
        return
    key = await metering.authenticate(request.headers, client_address(request))
    if not key.allows(model):
        raise ModelNotFound(f"model: {model}", param="model")


async def _sse_events(events: AsyncIterator[Body]) -> AsyncIterator[bytes]:
    """Anthropic's named events (each event's ``type`` is its name); a failure ends the stream with ``error``."""
    try:
        async for data in events:
            yield _sse((str(data.get("type")), data))
    except CrossroadsError as exc:
        log.warning("stream ended by error: %s", exc.message)
        yield _sse(("error", error_body(exc)[0]))
    except Exception:
        log.exception("stream failed")
        yield _sse(("error", error_body(_internal())[0]))


def _sse(item: Event) -> bytes:
    name, data = item
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"
