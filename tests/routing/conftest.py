"""Fake upstreams on real sockets as deployments of one group, and the gateway in front of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.routing.router import Router
from crossroads.testing.fake_upstream import FakeConfig, FakeState, Fault, create_fake_upstream
from crossroads.testing.server import free_port, serving

HELLO = [{"role": "user", "content": "Hello there"}]
# attempt limit: above what a loaded CI machine takes to answer (0.5 s was once too short), below the
# timeout faults' 1.5 s
FAST_RETRY = {"attempt_timeout": 1.0, "backoff": 0.01, "max_backoff": 0.05}


@dataclass
class Up:
    """One fake upstream: where it listens, what it received, and faults to script."""

    base_url: str
    state: FakeState

    @property
    def url(self) -> str:
        return self.base_url + "/v1"

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.state.requests if r["method"] == "POST"]

    def received(self) -> int:
        return len(self.posts())

    def fail_next(self, *faults: dict[str, Any]) -> None:
        self.state.faults.extend(Fault.from_dict(f) for f in faults)


@pytest.fixture(scope="module")
def ups() -> Iterator[dict[str, Up]]:
    """Three fakes: 'a' and 'b' play hosted APIs, 'l' a self-hosted server."""
    apps = {name: create_fake_upstream(FakeConfig()) for name in ("a", "b", "l")}
    with serving(apps["a"]) as a, serving(apps["b"]) as b, serving(apps["l"]) as l_:
        yield {"a": Up(a, apps["a"].state.fake), "b": Up(b, apps["b"].state.fake), "l": Up(l_, apps["l"].state.fake)}


@pytest.fixture(autouse=True)
def _clean(ups: dict[str, Up]) -> None:
    for up in ups.values():
        up.state.requests.clear()
        up.state.faults.clear()


def backends(ups: dict[str, Up]) -> dict[str, Any]:
    def fake(name: str, location: str) -> dict[str, Any]:
        return {"type": "openai_compat", "base_url": ups[name].url, "location": location, "timeout": {"read": 5}}

    refused = {"type": "openai_compat", "base_url": f"http://127.0.0.1:{free_port()}/v1", "location": "hosted"}
    return {"a": fake("a", "hosted"), "b": fake("b", "hosted"), "l": fake("l", "local"), "refused": refused}


def group(*names: str, **extra: Any) -> dict[str, Any]:
    return {"deployments": [{"backend": n, "upstream_model": "gpt-4o-mini"} for n in names], **extra}


def settings(ups: dict[str, Up], models: dict[str, Any], **routing: Any) -> dict[str, Any]:
    routing = {"retry": FAST_RETRY, "reason_header": "full", **routing}
    return {"backends": backends(ups), "models": models, "routing": routing}


@asynccontextmanager
async def gateway(raw: dict[str, Any], app: FastAPI | None = None) -> AsyncIterator[tuple[openai.AsyncOpenAI, FastAPI]]:
    app = app or create_app(parse_settings(raw, "test"))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=30) as http:
            yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0), app


def router_of(app: FastAPI) -> Router:
    router: Router = app.state.gateway.router
    return router


async def chat(client: openai.AsyncOpenAI, model: str = "chat", **kw: Any) -> tuple[str, dict[str, str]]:
    """Non-streaming: (answer text, response headers)."""
    raw = await client.chat.completions.with_raw_response.create(model=model, messages=HELLO, **kw)  # type: ignore[arg-type]
    reply = raw.parse()
    return reply.choices[0].message.content or "", dict(raw.headers)


async def chat_stream(client: openai.AsyncOpenAI, model: str = "chat", **kw: Any) -> tuple[str, dict[str, str]]:
    raw = await client.chat.completions.with_raw_response.create(
        model=model,
        messages=HELLO,
        stream=True,
        **kw,  # type: ignore[arg-type]
    )
    text = "".join([c.choices[0].delta.content or "" async for c in raw.parse() if c.choices])
    return text, dict(raw.headers)
