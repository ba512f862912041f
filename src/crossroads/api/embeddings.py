"""POST /v1/embeddings."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute, checked_body, client_address, gateway
from crossroads.api.replies import json_response
from crossroads.api.schemas import EmbeddingRequest
from crossroads.backends import Endpoint

router = APIRouter(route_class=RawRoute)


@router.post("/v1/embeddings", tags=["openai"])
async def embeddings(request: Request) -> Response:
    """Create embeddings for a string or a list of strings."""
    body = await checked_body(request, EmbeddingRequest)
    gw = gateway(request)
    call = gw.new_call(Endpoint.EMBEDDINGS, body, request.headers, client_address(request))
    return json_response(await gw.run(call), headers=call.response_headers)
