"""GET /v1/models and /v1/models/{id}."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute, gateway
from crossroads.api.responses import json_response

router = APIRouter(route_class=RawRoute)


@router.get("/v1/models", tags=["openai"])
async def list_models(request: Request) -> Response:
    """Every public model name this gateway serves."""
    return json_response({"object": "list", "data": gateway(request).models()})


@router.get("/v1/models/{model_id:path}", tags=["openai"])
async def retrieve_model(request: Request, model_id: str) -> Response:
    """One model (an alias resolves to its model)."""
    return json_response(gateway(request).model_card(model_id))
