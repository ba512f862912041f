"""The router: serve a call from its model group — strategy order, fallbacks, retries with backoff,
circuit breakers, time limits, cascade and shadow — and say why in headers and ``call.facts``.

It is the innermost step of the gateway's chain and owns its background work: ``start`` begins the
active health checks (``routing.health.interval``), ``aclose`` stops them and lets shadow mirrors finish.

``send`` opens an answer, ``stream`` opens a stream up to its first chunk (so a stream falls back only
before anything reached the client; later errors end it with an error event); ``loop.AttemptLoop`` tries the
candidates. Candidates come from ``plan.candidates``, which never lists a hosted deployment for a call
that must stay local — every retry, fallback, cascade step, judge call and shadow mirror obeys that.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from random import Random
from typing import Any

from crossroads.backends.base import Backend, Body, Endpoint
from crossroads.pipeline.call import AttemptRecord, Call
from crossroads.routing import attempt, health, scope, status
from crossroads.routing.cascade import Cascade
from crossroads.routing.config import Routes
from crossroads.routing.deployment import Deployment
from crossroads.routing.groups import PriceOf, Registry, build_groups
from crossroads.routing.loop import AttemptLoop, Served
from crossroads.routing.shadow import Shadower, ShadowSink
from crossroads.routing.streams import watched


class Router:
    def __init__(
        self,
        routes: Routes,
        backends: Mapping[str, Backend],
        price: PriceOf,
        shadow_sink: ShadowSink,
        *,
        rng: Random | None = None,
    ) -> None:
        routing = routes.routing
        self.routes = routes
        self.retry = routing.retry
        self.rng = rng or Random()
        self.registry = Registry(backends, routing.breaker, price)
        self.groups = build_groups(routes.models, self.registry)
        self.cascade = Cascade(self.groups, self._judge)
        self.attempt_loop = AttemptLoop(self.retry, self.groups, self.cascade, self.rng, routing.reason_header)
        self.shadower = Shadower(shadow_sink, routing.shadow_max_in_flight, self.rng, self.retry.attempt_timeout)
        self.health_interval = routing.health.interval
        self._health: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin the active health checks, when ``routing.health.interval`` is set."""
        if self.health_interval is not None:
            deployments = list(self.registry.deployments.values())
            self._health = asyncio.create_task(health.run(deployments, self.health_interval))

    async def aclose(self) -> None:
        """Stop the health checks; let running shadow mirrors finish (a few seconds at most)."""
        if self._health is not None:
            self._health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._health
            self._health = None
        await self.shadower.aclose()

    def breakers(self) -> dict[str, dict[str, Any]]:
        return status.breakers(self.groups)

    async def send(self, call: Call) -> Body:
        group = self.groups[call.model]
        served = await self.attempt_loop.route(call, group, _open_answer)
        if group.shadows:
            self._mirror(call, served, self.cascade.text(served.result, call.endpoint))
        return served.result

    async def stream(self, call: Call) -> AsyncIterator[Body]:
        group = self.groups[call.model]
        served = await self.attempt_loop.route(call, group, _open_stream)
        if not group.shadows:
            return served.result
        return watched(served.result, lambda text: self._mirror(call, served, text), call.endpoint)

    def _mirror(self, call: Call, served: Served[Any], answer: str) -> None:
        primary = {**served.record, "location": served.deployment.location}
        in_scope = scope.deployments(call, self.groups)
        self.shadower.mirror(call, self.groups[call.model], call.body, primary, answer, in_scope)

    async def _judge(self, call: Call, model: str, prompt: str) -> str:
        body = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": 8, "temperature": 0}
        public = self.routes.resolve(model) or model
        nested = Call(Endpoint.CHAT, body, public, local_only=call.local_only)
        try:
            answer = await self.send(nested)
        finally:  # the judge's cost belongs to the call it judged
            call.facts.attempts += [{**r, "purpose": "judge", "used": False} for r in nested.facts.attempts]
        return self.cascade.text(answer)


async def _open_answer(d: Deployment, call: Call, body: Body, record: AttemptRecord, timeout: float | None) -> Body:
    return await attempt.send(d, call.endpoint, body, record, timeout)


async def _open_stream(
    d: Deployment, call: Call, body: Body, record: AttemptRecord, timeout: float | None
) -> AsyncIterator[Body]:
    return await attempt.open_stream(d, call.endpoint, body, record, timeout)
