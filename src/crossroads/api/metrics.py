"""GET /metrics: Prometheus text format (requests, tokens, cost, latency, privacy actions, rejections)."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute, gateway
from crossroads.errors import NotFound

router = APIRouter(route_class=RawRoute)


@router.get("/metrics", tags=["ops"])
async def metrics(request: Request) -> Response:
    from crossroads.metering.stage import find

    stage = find(gateway(request))
    if stage is None:
        raise NotFound("Metrics come from metering: set metering.enabled: true in crossroads.yaml.")
    stage.metrics.ledger_queue.set(stage.writer.queue.qsize())
    return Response(stage.metrics.render(), media_type=CONTENT_TYPE_LATEST)
