"""What every route needs: the gateway from app state, and a validated JSON body."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request

from crossroads.api.body import parse_json, read_body, validate
from crossroads.gateway import Gateway


def gateway(request: Request) -> Gateway:
    gw: Gateway = request.app.state.gateway
    return gw


async def checked_body(request: Request, schema: type[BaseModel]) -> dict[str, Any]:
    """The client's JSON object, after checking it against ``schema``; unknown fields kept."""
    limit = gateway(request).settings.server.max_body_bytes
    data = parse_json(await read_body(request, limit))
    validate(schema, data)
    return data
