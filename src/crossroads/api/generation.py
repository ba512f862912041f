"""Chat completions and completions: the same thin route shape, streaming or not."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute, checked_body, client_address, gateway
from crossroads.api.replies import json_response, sse_response
from crossroads.api.schemas import ChatCompletionRequest, CompletionRequest
from crossroads.backends import Endpoint

router = APIRouter(route_class=RawRoute)


async def _generate(request: Request, endpoint: Endpoint, schema: type[BaseModel]) -> Response:
    body = await checked_body(request, schema)
    gw = gateway(request)
    call = gw.new_call(endpoint, body, request.headers, client_address(request))
    if call.stream:
        chunks = await gw.run_stream(call)
        return sse_response(chunks, headers=call.response_headers)
    return json_response(await gw.run(call), headers=call.response_headers)


@router.post("/v1/chat/completions", tags=["openai"])
async def chat_completions(request: Request) -> Response:
    """Create a chat completion (OpenAI wire format; `stream: true` for server-sent events)."""
    return await _generate(request, Endpoint.CHAT, ChatCompletionRequest)


@router.post("/v1/completions", tags=["openai"])
async def completions(request: Request) -> Response:
    """Create a text completion (legacy OpenAI endpoint)."""
    return await _generate(request, Endpoint.COMPLETIONS, CompletionRequest)
