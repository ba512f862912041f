"""The gateway service: builds a ``Call`` for each request and runs it through the chain.

Plain class, testable without HTTP: ``await Gateway(settings).send(Endpoint.CHAT, body)``.
``build_stages`` lists the chain, outermost first; the router is innermost:

    MeteringStage ─► PrivacyGuard ─► StorageStage ─► RoutingStage ─► Router ─► Backend
    (metering.enabled) (privacy:)    (Responses)      (routing.rules)

A stage whose feature is not configured is left out. Each is built here with plain calls from its own
config section and the services it uses; their modules are imported only when they are configured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from random import Random
from typing import TYPE_CHECKING, Any

from crossroads.backends import Backend, Body, Endpoint, build_backend
from crossroads.config import Settings
from crossroads.errors import CrossroadsError, InvalidRequest, ModelNotFound
from crossroads.pipeline import Call, Stage, compose, compose_stream
from crossroads.routing.router import Router

if TYPE_CHECKING:
    from crossroads.metering.access import Metering
    from crossroads.metering.pricing import Pricer
    from crossroads.metering.stage import MeteringStage
    from crossroads.routing.shadow import ShadowSink

log = logging.getLogger("crossroads.gateway")


class Gateway:
    def __init__(
        self,
        settings: Settings,
        backends: dict[str, Backend] | None = None,
        stages: Sequence[Stage] | None = None,
    ) -> None:
        self.settings = settings
        self.backends = backends if backends is not None else build_backends(settings)
        self.created = int(time.time())
        self.pricer = build_pricer(settings)
        self.router = build_router(settings, self.backends, self.pricer)
        self.metering: Metering | None = None  # what routes and the dashboard may use of metering
        if stages is None:
            metering = build_metering(settings, self.router, self.pricer)
            self.metering = _access(metering)
            stages = build_stages(settings, metering)
        self.stages = list(stages)
        self._send = compose(self.stages, self.router.send)
        self._stream = compose_stream(self.stages, self.router.stream)

    async def start(self, *, one_by_one: bool = False) -> None:
        """Start every backend (at once, or in turn), the router and the stages; a backend that fails stays
        not-ready (``/ready``)."""
        if one_by_one:
            for backend in self.backends.values():
                await self._start(backend)
        else:
            await asyncio.gather(*(self._start(b) for b in self.backends.values()))
        await self.router.start()
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
        await self.router.aclose()  # first: shadow mirrors still finishing are charged by the metering stage
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


def build_backends(settings: Settings) -> dict[str, Backend]:
    return {name: build_backend(name, cfg) for name, cfg in settings.backends.items()}


def build_pricer(settings: Settings) -> Pricer:
    """The one price resolution: a deployment's ``price:``, the catalog, ``metering.self_hosted``."""
    from crossroads.metering.pricing import Pricer

    return Pricer.from_settings(settings)


def build_router(
    settings: Settings, backends: Mapping[str, Backend], pricer: Pricer, *, rng: Random | None = None
) -> Router:
    """The innermost step: model groups, strategies, fallbacks, retries, breakers, cascade, shadow."""
    from crossroads.routing.shadow_sinks import LazySink

    return Router(settings.routes(), backends, pricer.price, LazySink(lambda: shadow_sink(settings)), rng=rng)


def shadow_sink(settings: Settings) -> ShadowSink:
    """Where shadow records go, chosen at the first one: ``routing.shadow_log``, else the metering store."""
    from crossroads.routing.shadow_sinks import sink_for

    store = None
    if settings.metering.enabled:
        from crossroads.metering.database import database_url
        from crossroads.store import make_engine

        store = lambda: make_engine(database_url(settings.metering))  # noqa: E731
    return sink_for(settings.routing.shadow_log, store)


def build_metering(settings: Settings, router: Router, pricer: Pricer) -> MeteringStage | None:
    """Keys, limits, budgets, ledger, audit, metrics — when ``metering.enabled``; mirrored calls are
    charged to the shadow account."""
    if not settings.metering.enabled:
        return None
    from crossroads.metering.build import metering_stage

    stage = metering_stage(settings.metering, settings.routes(), pricer)
    router.shadower.listeners.append(stage.record_shadow)
    return stage


def build_stages(settings: Settings, metering: MeteringStage | None) -> list[Stage]:
    """The chain around the router, outermost first."""
    stages: list[Stage] = [] if metering is None else [metering]
    if settings.privacy is not None:  # scan, act by policy, pin to local, restore
        from crossroads.privacy.stage import PrivacyGuard, resolve_models

        stages.append(PrivacyGuard(resolve_models(settings.privacy, settings.resolve, settings.models)))
    from crossroads.formats.responses_store import storage_stage  # Responses kept for previous_response_id

    stages.append(storage_stage(settings, metering))
    if settings.routing.rules:  # a matching rule picks the model the router serves
        from crossroads.routing.rules import compile_rules
        from crossroads.routing.stage import RoutingStage

        stages.append(RoutingStage(compile_rules(settings.routing.rules, settings.resolve)))
    return stages


def _access(stage: MeteringStage | None) -> Metering | None:
    if stage is None:
        return None
    from crossroads.metering.access import Metering

    return Metering(stage)
