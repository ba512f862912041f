"""The gateway service: builds a ``Call`` for each request and runs it through the pipeline.

Plain class, testable without HTTP: ``await Gateway(settings).send(Endpoint.CHAT, body)``.
The stages (``STAGES``, outermost first) wrap the dispatcher; each is built from settings and may
decline (return None) when its feature is not configured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from importlib import import_module
from typing import Any

from crossroads.backends import Backend, Body, Endpoint, build_backend
from crossroads.config import Settings
from crossroads.errors import CrossroadsError, InvalidRequest, ModelNotFound
from crossroads.pipeline import Call, Stage, compose, compose_stream
from crossroads.pipeline.dispatch import Dispatcher

log = logging.getLogger("crossroads.gateway")

# "module:function" building a stage from (settings, gateway), or returning None; outermost first
STAGES: list[str] = [
    "crossroads.metering.stage:build",  # keys, limits, budgets, ledger, audit, metrics (outermost)
    "crossroads.privacy.stage:build",  # privacy guard: scan, act by policy, pin to local, restore
    "crossroads.routing.stage:build",  # rules, health checks, shadow drain (innermost, next to the router)
]


class Gateway:
    def __init__(
        self,
        settings: Settings,
        backends: dict[str, Backend] | None = None,
        stages: Sequence[Stage] | None = None,
    ) -> None:
        self.settings = settings
        self.backends = backends if backends is not None else _build_all(settings)
        self.created = int(time.time())
        self.dispatcher = Dispatcher(settings, self.backends)
        self.stages = list(stages) if stages is not None else _build_stages(settings, self)
        self._send = compose(self.stages, self.dispatcher.send)
        self._stream = compose_stream(self.stages, self.dispatcher.stream)

    async def start(self) -> None:
        """Start every backend and stage; a backend that fails stays not-ready (``/ready`` says why)."""
        await asyncio.gather(*(self._start(b) for b in self.backends.values()))
        for stage in self.stages:
            await stage.start()

    async def _start(self, backend: Backend) -> None:
        began = time.perf_counter()
        try:
            await backend.start()
        except CrossroadsError as exc:
            log.warning("backend %s did not start: %s", backend.name, exc.message)
            return
        except Exception:
            log.exception("backend %s failed to start", backend.name)
            return
        log.info("backend %s (%s) ready in %.2f s", backend.name, backend.location, time.perf_counter() - began)

    async def aclose(self) -> None:
        for stage in reversed(self.stages):
            await stage.aclose()
        await asyncio.gather(*(b.aclose() for b in self.backends.values()), return_exceptions=True)

    def new_call(
        self, endpoint: Endpoint, body: Body, headers: Mapping[str, str] | None = None, client: str | None = None
    ) -> Call:
        name = body.get("model")
        if not isinstance(name, str):
            raise InvalidRequest("Missing required parameter: 'model'.", param="model")
        public = self.settings.resolve(name)
        if public is None:
            raise ModelNotFound(
                f"The model '{name}' does not exist. Available models: {', '.join(self.settings.models)}.",
                param="model",
            )
        return Call(endpoint, body, public, headers or {}, stream=bool(body.get("stream")), client=client)

    async def run(self, call: Call) -> Body:
        return await self._send(call)

    async def run_stream(self, call: Call) -> AsyncIterator[Body]:
        """The chunks; the first is awaited before this returns, so failures before it raise normally."""
        return await self._stream(call)

    async def send(self, endpoint: Endpoint, body: Body, headers: Mapping[str, str] | None = None) -> Body:
        return await self.run(self.new_call(endpoint, body, headers))

    async def stream(
        self, endpoint: Endpoint, body: Body, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[Body]:
        return await self.run_stream(self.new_call(endpoint, body, headers))

    async def readiness(self) -> dict[str, str | None]:
        names = list(self.backends)
        reasons = await asyncio.gather(*(self._ready(self.backends[n]) for n in names))
        return dict(zip(names, reasons, strict=True))

    async def _ready(self, backend: Backend) -> str | None:
        try:
            return await backend.ready()
        except CrossroadsError as exc:
            return exc.message

    def models(self) -> list[dict[str, Any]]:
        return [self.model_card(name) for name in self.settings.models]

    def model_card(self, name: str) -> dict[str, Any]:
        public = self.settings.resolve(name)
        if public is None:
            raise ModelNotFound(f"The model '{name}' does not exist.", param="model")
        model = self.settings.models[public]
        return {"id": public, "object": "model", "created": self.created, "owned_by": model.owned_by or model.backend}


def _build_all(settings: Settings) -> dict[str, Backend]:
    return {name: build_backend(name, cfg) for name, cfg in settings.backends.items()}


def _build_stages(settings: Settings, gateway: Gateway) -> list[Stage]:
    stages = []
    for target in STAGES:
        module, _, attr = target.partition(":")
        stage = getattr(import_module(module), attr)(settings, gateway)
        if stage is not None:
            stages.append(stage)
    return stages
