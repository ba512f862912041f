"""GET /metrics: Prometheus text format (requests, tokens, cost, latency, privacy actions, rejections).

Behind the master key (Prometheus: ``authorization: {credentials_file: …}``), unless ``server.ops_access:
open``: the series name keys, models, backends and what they cost.
"""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute, gateway
from crossroads.api.master import require_ops
from crossroads.errors import NotFound

router = APIRouter(route_class=RawRoute)


@router.get("/metrics", tags=["ops"])
async def metrics(request: Request) -> Response:
    gw = gateway(request)
    if gw.metering is None:
        raise NotFound("Metrics come from metering: set metering.enabled: true in crossroads.yaml.")
    require_ops(request, gw.settings, "/metrics")
    return Response(gw.metering.metrics_text(), media_type=CONTENT_TYPE_LATEST)
