"""What every route needs: its route class, the gateway from app state, and a validated JSON body."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.body import parse_json, read_body, validate
from crossroads.api.limits import check_bounds, check_depth
from crossroads.api.schemas import as_validated
from crossroads.gateway import Gateway


class RawRoute(APIRoute):
    """A route whose endpoint takes the ``Request`` (and its path parameters) and returns a ``Response``.

    FastAPI still lists it in the OpenAPI document and maps its errors, but skips its per-request
    parameter and dependency solving: our endpoints declare nothing for it to do, and that machinery
    is about a third of the gateway's own Python time per request.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            response: Response = await endpoint(request, **request.path_params)
            return response

        return handler


def client_address(request: Request) -> str | None:
    """The peer's address (behind a proxy, uvicorn's --proxy-headers / --forwarded-allow-ips set it)."""
    return request.client.host if request.client is not None else None


def gateway(request: Request) -> Gateway:
    gw: Gateway = request.app.state.gateway
    return gw


async def checked_body(request: Request, schema: type[BaseModel]) -> dict[str, Any]:
    """The client's JSON object, after checking it against ``schema`` and the server's bounds; unknown
    fields kept."""
    server = gateway(request).settings.server
    data = parse_json(await read_body(request, server.max_body_bytes, server.body_timeout_seconds))
    check_depth(data, server.max_json_depth)
    check_bounds(as_validated(data, validate(schema, data)), server)
    return data
