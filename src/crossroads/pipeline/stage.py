"""The stage protocol and how stages are chained around the router."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Protocol

from crossroads.backends.base import Body
from crossroads.pipeline.call import Call

Next = Callable[[Call], Awaitable[Body]]
NextStream = Callable[[Call], Awaitable[AsyncIterator[Body]]]


class Stage(Protocol):
    """One step of the pipeline. ``stream`` returns the (possibly wrapped) chunk iterator of ``next``;
    an error before the first chunk is raised from ``stream`` itself, so the client gets a status code."""

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...

    async def send(self, call: Call, next: Next) -> Body: ...

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]: ...


class PassThrough:
    """A stage that does nothing; subclass it and override what you need."""

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def send(self, call: Call, next: Next) -> Body:
        return await next(call)

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        return await next(call)


def compose(stages: Sequence[Stage], last: Next) -> Next:
    """``stages[0]`` outermost; ``last`` (the router) innermost: ``stages[0].send(call, next=…)``."""
    handler = last
    for stage in reversed(stages):
        handler = _link(stage, handler)
    return handler


def compose_stream(stages: Sequence[Stage], last: NextStream) -> NextStream:
    handler = last
    for stage in reversed(stages):
        handler = _link_stream(stage, handler)
    return handler


def _link(stage: Stage, next: Next) -> Next:
    return lambda call: stage.send(call, next)


def _link_stream(stage: Stage, next: NextStream) -> NextStream:
    return lambda call: stage.stream(call, next)
