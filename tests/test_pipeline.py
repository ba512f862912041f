"""Stages wrap the router in order; a local-only call never reaches a hosted backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crossroads.backends import Body, Endpoint
from crossroads.errors import PermissionDenied, ServiceUnavailable
from crossroads.gateway import Gateway
from crossroads.pipeline import Call, Next, NextStream, PassThrough
from tests.conftest import scripted_settings
from tests.support.scripted import ScriptedBackend

HELLO = {"messages": [{"role": "user", "content": "hi"}]}


class Tag(PassThrough):
    """Records the order it saw the call in and marks the answer on the way back."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    async def send(self, call: Call, next: Next) -> Body:
        self.log.append(f"in:{self.name}")
        body = await next(call)
        self.log.append(f"out:{self.name}")
        return {**body, "tags": [*body.get("tags", []), self.name]}

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        chunks = await next(call)
        return self._mark(chunks)

    async def _mark(self, chunks: AsyncIterator[Body]) -> AsyncIterator[Body]:
        async for chunk in chunks:
            yield {**chunk, "tags": [*chunk.get("tags", []), self.name]}


class KeepLocal(PassThrough):
    async def send(self, call: Call, next: Next) -> Body:
        call.local_only = True
        return await next(call)

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        call.local_only = True
        return await next(call)


class Refuse(PassThrough):
    async def send(self, call: Call, next: Next) -> Body:
        raise PermissionDenied("no")


def gateway(*stages: PassThrough) -> tuple[Gateway, dict[str, ScriptedBackend]]:
    backends = {"local": ScriptedBackend("local"), "remote": ScriptedBackend("remote", location="hosted")}
    return Gateway(scripted_settings(), backends=dict(backends), stages=list(stages)), backends


async def test_stages_run_outermost_first() -> None:
    log: list[str] = []
    gw, _ = gateway(Tag("a", log), Tag("b", log))
    reply = await gw.send(Endpoint.CHAT, {"model": "small", **HELLO})
    assert log == ["in:a", "in:b", "out:b", "out:a"]
    assert reply["tags"] == ["b", "a"]


async def test_stream_stages_wrap_every_chunk() -> None:
    gw, _ = gateway(Tag("a", []), Tag("b", []))
    chunks = [c async for c in await gw.stream(Endpoint.CHAT, {"model": "small", "stream": True, **HELLO})]
    assert chunks and all(c["tags"] == ["b", "a"] for c in chunks)


async def test_a_stage_can_refuse_before_any_backend_call() -> None:
    gw, backends = gateway(Refuse())
    with pytest.raises(PermissionDenied):
        await gw.send(Endpoint.CHAT, {"model": "big", **HELLO})
    assert backends["remote"].calls == []


@pytest.mark.parametrize("stream", [False, True])
async def test_local_only_never_reaches_a_hosted_backend(stream: bool) -> None:
    gw, backends = gateway(KeepLocal())
    body = {"model": "big", "stream": stream, **HELLO}
    with pytest.raises(ServiceUnavailable) as info:
        await (gw.stream(Endpoint.CHAT, body) if stream else gw.send(Endpoint.CHAT, body))
    assert info.value.code == "no_local_backend"
    assert backends["remote"].calls == []
    reply = await gw.send(Endpoint.CHAT, {"model": "small", **HELLO})
    assert reply["choices"][0]["message"]["content"]


async def test_call_records_where_it_went() -> None:
    gw, _ = gateway()
    call = gw.new_call(Endpoint.CHAT, {"model": "big", **HELLO})
    await gw.run(call)
    assert {k: getattr(call.facts, k) for k in ("backend", "upstream_model", "location")} == {
        "backend": "remote",
        "upstream_model": "gpt-4o",
        "location": "hosted",
    }
    assert call.facts.route_reason == "model big; priority -> remote:gpt-4o"
    assert [(a["backend"], a["status"], a["used"]) for a in call.facts.attempts] == [("remote", 200, True)]
    assert call.response_headers["x-crossroads-backend"] == "remote"
