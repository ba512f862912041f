"""The innermost step: call the backend that serves the call's model — never a hosted one for a
call that must stay local."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from crossroads.backends.base import Backend, Body
from crossroads.config import Settings
from crossroads.errors import ServiceUnavailable
from crossroads.pipeline.call import Call


class Dispatcher:
    """One public model, one backend (``models.<name>.backend``)."""

    def __init__(self, settings: Settings, backends: Mapping[str, Backend]) -> None:
        self.settings = settings
        self.backends = backends

    def _target(self, call: Call) -> tuple[Backend, Body]:
        model = self.settings.models[call.model]
        backend = self.backends[model.backend]
        if call.local_only and backend.location != "local":
            raise ServiceUnavailable(
                f"This request must stay on a self-hosted model, and model '{call.model}' is served by the "
                f"hosted backend '{backend.name}'. Use a model on a local backend.",
                code="no_local_backend",
            )
        upstream = model.upstream_model or call.model
        call.facts.update(backend=backend.name, upstream_model=upstream, location=backend.location)
        call.response_headers["x-crossroads-backend"] = backend.name
        return backend, {**call.body, "model": upstream}

    async def send(self, call: Call) -> Body:
        backend, body = self._target(call)
        return await backend.send(call.endpoint, body)

    async def stream(self, call: Call) -> AsyncIterator[Body]:
        backend, body = self._target(call)
        chunks = backend.stream(call.endpoint, body)
        first = await anext(chunks, None)
        return _prepend(first, chunks)


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
