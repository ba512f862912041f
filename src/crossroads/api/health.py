"""GET /health (the process is alive) and GET /ready (every backend can serve; each deployment's breaker).

Both answer anyone (load balancers and probes carry no key), but /ready's details — backend names,
their errors, breakers — only go to holders of the master key (or everyone with ``server.ops_access:
open``): they name upstreams and what went wrong with them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute, gateway
from crossroads.api.master import may_read_ops
from crossroads.api.replies import json_response

router = APIRouter(route_class=RawRoute)


@router.get("/health", tags=["ops"])
async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


@router.get("/ready", tags=["ops"])
async def ready(request: Request) -> Response:
    gw = gateway(request)
    reasons = await gw.readiness()
    ok = all(why is None for why in reasons.values())
    body: dict[str, Any] = {"status": "ready" if ok else "not_ready"}
    if may_read_ops(request, gw.settings):
        body["backends"] = {name: {"ready": why is None, "reason": why} for name, why in reasons.items()}
        body["breakers"] = _breakers(request)
    return json_response(body, status=200 if ok else 503)


def _breakers(request: Request) -> dict[str, Any]:
    """Each deployment's circuit breaker (closed, open, half_open) — informative; ``status`` is about backends."""
    return gateway(request).router.breakers()
