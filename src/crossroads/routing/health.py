"""Active health checks: every ``interval`` seconds ask each deployment's backend whether it can serve.

A failed check opens the deployment's breaker for one interval (no traffic is sent to it meanwhile);
a passing check on an open breaker whose cooldown is over lets the next request probe it (half-open).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from crossroads.backends.base import Backend
from crossroads.errors import CrossroadsError
from crossroads.routing.breaker import OPEN
from crossroads.routing.deployment import Deployment

log = logging.getLogger("crossroads.routing.health")


async def check(deployments: Iterable[Deployment], interval: float) -> None:
    """One round of checks; each backend is asked once even when it serves several deployments."""
    ds = list(deployments)
    backends = {d.backend.name: d.backend for d in ds}
    reasons = dict(zip(backends, await asyncio.gather(*(_ready(b) for b in backends.values())), strict=True))
    now = time.monotonic()
    for d in ds:
        why = reasons[d.backend.name]
        if why is not None:
            d.breaker.open(interval, f"health check: {why}", now)
        elif d.breaker.state == OPEN and d.breaker.reason and d.breaker.reason.startswith("health check"):
            d.breaker.open_until = now  # healthy again: the next request probes it


async def _ready(backend: Backend) -> str | None:
    try:
        return await backend.ready()
    except CrossroadsError as exc:
        return exc.message


async def run(deployments: Iterable[Deployment], interval: float) -> None:
    ds = list(deployments)
    while True:
        try:
            await check(ds, interval)
        except Exception:  # a check must never stop the loop; the next round tries again
            log.exception("health check failed")
        await asyncio.sleep(interval)
