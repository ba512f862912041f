"""GET /v1/models and /v1/models/{id}: once keys are in use, only what the calling key may use
(another model is 404, as if it did not exist), and a request without a valid key is 401.

Called with an ``anthropic-version`` header (Anthropic's clients send it), both answer in Anthropic's shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute, client_address, gateway
from crossroads.api.messages import error_response
from crossroads.api.replies import json_response
from crossroads.errors import CrossroadsError, ModelNotFound
from crossroads.formats import anthropic_models

ANTHROPIC = "anthropic-version"

if TYPE_CHECKING:
    from crossroads.metering.keys import KeyRecord

router = APIRouter(route_class=RawRoute)


async def _caller(request: Request) -> KeyRecord | None:
    """The calling key, or None while the gateway is open (no metering, or no key created yet)."""
    metering = gateway(request).metering
    if metering is None or not metering.keys_active:
        return None
    return await metering.authenticate(request.headers, client_address(request))


async def _answered(request: Request, handler: Callable[[Request], Awaitable[Response]]) -> Response:
    """Errors in Anthropic's shape for a caller that sent ``anthropic-version`` (the gateway's shape otherwise)."""
    if ANTHROPIC not in request.headers:
        return await handler(request)
    try:
        return await handler(request)
    except CrossroadsError as exc:
        return error_response(exc)


@router.get("/v1/models", tags=["openai"])
async def list_models(request: Request) -> Response:
    """The public model names this gateway serves to the calling key."""
    return await _answered(request, _list)


@router.get("/v1/models/{model_id:path}", tags=["openai"])
async def retrieve_model(request: Request, model_id: str) -> Response:
    """One model (an alias resolves to its model)."""
    return await _answered(request, lambda r: _retrieve(r, model_id))


async def _list(request: Request) -> Response:
    key = await _caller(request)
    cards = [card for card in gateway(request).models() if key is None or key.allows(card["id"])]
    if ANTHROPIC in request.headers:
        return json_response(anthropic_models.model_list(cards, request.query_params))
    return json_response({"object": "list", "data": cards})


async def _retrieve(request: Request, model_id: str) -> Response:
    key = await _caller(request)
    card = gateway(request).model_card(model_id)
    if key is not None and not key.allows(card["id"]):
        raise ModelNotFound(f"The model '{model_id}' does not exist.", param="model")
    if ANTHROPIC in request.headers:
        return json_response(anthropic_models.model_info(card))
    return json_response(card)
