"""The gateway service: resolves a public model name to a backend and calls it.

Plain class, testable without HTTP. The pipeline stages that later wrap a call (privacy guard,
router, meter) hook in here, not in the routes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from crossroads.backends import Backend, Body, Endpoint, build_backend
from crossroads.config import Settings
from crossroads.errors import CrossroadsError, InvalidRequest, ModelNotFound

log = logging.getLogger("crossroads.gateway")


@dataclass(frozen=True, slots=True)
class Target:
    public: str
    upstream: str
    backend: Backend


class Gateway:
    def __init__(self, settings: Settings, backends: dict[str, Backend] | None = None) -> None:
        self.settings = settings
        self.backends = backends if backends is not None else _build_all(settings)
        self.created = int(time.time())

    async def start(self) -> None:
        """Start every backend; one that fails stays not-ready (``/ready`` says why), others serve."""
        await asyncio.gather(*(self._start(b) for b in self.backends.values()))

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
        await asyncio.gather(*(b.aclose() for b in self.backends.values()), return_exceptions=True)

    def target(self, body: Body) -> Target:
        name = body.get("model")
        if not isinstance(name, str):
            raise InvalidRequest("Missing required parameter: 'model'.", param="model")
        public = self.settings.resolve(name)
        if public is None:
            raise ModelNotFound(
                f"The model '{name}' does not exist. Available models: {', '.join(self.settings.models)}.",
                param="model",
            )
        model = self.settings.models[public]
        return Target(public, model.upstream_model or public, self.backends[model.backend])

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        target = self.target(body)
        return await target.backend.send(endpoint, {**body, "model": target.upstream})

    async def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        """The backend's chunks; the first is awaited here so failures before it raise normally."""
        target = self.target(body)
        chunks = target.backend.stream(endpoint, {**body, "model": target.upstream})
        first = await anext(chunks, None)
        return _prepend(first, chunks)

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


async def _prepend(first: Body | None, rest: AsyncIterator[Body]) -> AsyncIterator[Body]:
    try:
        if first is not None:
            yield first
        async for chunk in rest:
            yield chunk
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()


def _build_all(settings: Settings) -> dict[str, Backend]:
    return {name: build_backend(name, cfg) for name, cfg in settings.backends.items()}
