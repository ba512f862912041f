"""The routing stage (innermost, just outside the dispatcher): applies ``routing.rules`` and runs the
router's background work — active health checks, and letting shadow mirrors finish at shutdown.

Rules run here, after the metering and privacy stages, so they see the key and the privacy class.
The first matching rule replaces ``call.model`` with its ``use`` model (the dispatcher serves that) and
keeps the client's choice in ``call.facts["requested_model"]``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from crossroads.backends.base import Body
from crossroads.config import Settings
from crossroads.pipeline import Call, Next, NextStream, PassThrough
from crossroads.routing import health
from crossroads.routing.router import Router
from crossroads.routing.rules import Rule, compile_rules, first_match


class RoutingStage(PassThrough):
    def __init__(self, settings: Settings, router: Router) -> None:
        self.router = router
        self.rules: tuple[Rule, ...] = compile_rules(settings.routing.rules, settings.resolve)
        self.interval = settings.routing.health.interval
        self._health: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.interval is not None:
            deployments = list(self.router.registry.deployments.values())
            self._health = asyncio.create_task(health.run(deployments, self.interval))

    async def aclose(self) -> None:
        if self._health is not None:
            self._health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._health
            self._health = None
        await self.router.shadower.aclose()

    def _apply_rules(self, call: Call) -> None:
        rule = first_match(self.rules, call)
        if rule is not None:
            call.facts.update(route_rule=f"{rule.label} -> {rule.use}", requested_model=call.model)
            call.model = rule.use

    async def send(self, call: Call, next: Next) -> Body:
        if self.rules:
            self._apply_rules(call)
        return await next(call)

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        if self.rules:
            self._apply_rules(call)
        return await next(call)


def build(settings: Settings, gateway: Any) -> RoutingStage | None:
    """Only when there is something to do: rules, health checks or shadow traffic."""
    routing = settings.routing
    shadows = any(model.shadow for model in settings.models.values())
    if not (routing.rules or routing.health.interval is not None or shadows):
        return None
    router = gateway.dispatcher
    if not isinstance(router, Router):
        return None
    return RoutingStage(settings, router)
