"""Shadow traffic: mirror a sampled share of a model's requests to candidate deployments, after the
client's answer is on its way, and store both answers with their latency and cost for the lab
(``crossroads eval --from-shadow``).

The mirror runs as a background task (never awaited by the request); at most ``max_in_flight`` run at
once, more are skipped. A sensitive request — pinned local, or one the guard found entities in — is
mirrored only to self-hosted candidates; a call whose key has a model list only to deployments of
those models. Records go to a ``ShadowSink`` (``shadow_sinks``: JSON lines or the store).

A record: ts, request_id, model, endpoint, sensitive, request (the body as the primary received it,
after the privacy guard: every value it found is a placeholder there, whatever the policy let each
target see), primary and shadow (each: backend, upstream_model, location, status,
error_type, latency_s, usage, cost, answer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from random import Random
from typing import Any, Protocol

from crossroads.backends.base import Body
from crossroads.errors import CrossroadsError, PrivacyRefused
from crossroads.pipeline.call import AttemptRecord, Call, Target
from crossroads.routing import attempt
from crossroads.routing.answer_checks import answer_text
from crossroads.routing.deployment import Deployment
from crossroads.routing.groups import Group, Shadow

log = logging.getLogger("crossroads.routing.shadow")
DRAIN_SECONDS = 5.0


class ShadowSink(Protocol):
    async def write(self, record: dict[str, Any]) -> None: ...


class SpendListener(Protocol):
    """Told of every mirrored call that reached a deployment (metering charges it to the shadow account)."""

    async def __call__(self, call: Call, record: AttemptRecord, reply: Body | None) -> None: ...


def sensitive(call: Call) -> bool:
    privacy = call.facts.privacy
    return call.local_only or (privacy is not None and bool(privacy.entities))


class Shadower:
    def __init__(self, sink: ShadowSink, max_in_flight: int, rng: Random, timeout: float | None = None) -> None:
        self.sink, self.max_in_flight, self.rng, self.timeout = sink, max_in_flight, rng, timeout
        self.tasks: set[asyncio.Task[None]] = set()
        self.listeners: list[SpendListener] = []

    def chosen(self, call: Call, group: Group, in_scope: frozenset[str] | None = None) -> list[Shadow]:
        """The sampled mirrors this call may go to: local ones only for a sensitive call, and only
        deployments of models its key may use (``in_scope``; None: every one)."""
        keep_local = sensitive(call)
        return [
            s
            for s in group.shadows
            if self.rng.random() < s.sample
            and not (keep_local and s.deployment.location != "local")
            and (in_scope is None or s.deployment.key in in_scope)
        ]

    def mirror(
        self,
        call: Call,
        group: Group,
        body: Body,
        primary: dict[str, Any],
        answer: str,
        in_scope: frozenset[str] | None = None,
    ) -> None:
        for target in self.chosen(call, group, in_scope):
            if len(self.tasks) >= self.max_in_flight:
                log.debug("shadow skipped: %d mirrors already running", len(self.tasks))
                return
            task = asyncio.create_task(self._run(call, group.name, target.deployment, body, primary, answer))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _run(
        self, call: Call, model: str, d: Deployment, body: Body, primary: dict[str, Any], answer: str
    ) -> None:
        try:  # the privacy policy decided for the shadow's own target, as for any attempt
            outbound = await call.body_for(Target(d.location, d.backend.name, model, d.upstream))
        except PrivacyRefused:
            log.debug("shadow %s skipped: the privacy policy keeps this request from it", d.key)
            return
        mirrored = {k: v for k, v in outbound.items() if k not in ("stream", "stream_options")}
        record = attempt.new_record(d)
        reply: Body | None = None
        try:
            reply = await attempt.send(d, call.endpoint, mirrored, record, self.timeout)
        except CrossroadsError as exc:
            log.info("shadow %s failed: %s", d.key, exc.message)
        for listener in self.listeners:
            await listener(call, record, reply)
        shadow = {**record, "location": d.location, "answer": None if reply is None else answer_text(reply)}
        try:
            await self.sink.write(self._record(call, body, {**primary, "answer": answer}, shadow))
        except Exception:  # a background task: nobody else would see it
            log.exception("shadow record for %s not stored", call.request_id)

    def _record(self, call: Call, body: Body, primary: dict[str, Any], shadow: dict[str, Any]) -> dict[str, Any]:
        return {
            "ts": time.time(),
            "request_id": call.request_id,
            "model": call.model,
            "endpoint": call.endpoint.value,
            "sensitive": sensitive(call),
            "request": body,
            "primary": {k: v for k, v in primary.items() if k != "used"},
            "shadow": {k: v for k, v in shadow.items() if k != "used"},
        }

    async def drain(self) -> None:
        """Let running mirrors finish (up to a few seconds), then cancel the rest."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=DRAIN_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Drain, then release the sink (a store engine)."""
        await self.drain()
        close = getattr(self.sink, "aclose", None)
        if close is not None:
            await close()
