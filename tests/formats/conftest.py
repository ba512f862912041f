"""A gateway over the fake OpenAI upstream (a real socket), driven in process by the official client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.backends import build_backend
from crossroads.config import Settings, parse_settings
from crossroads.gateway import Gateway
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import serving


def fake_settings(upstream: str, speaks: str = "translate", **extra: Any) -> Settings:
    """One model 'chat' on the fake upstream, Responses requests translated to chat or (``native``) passed on."""
    backend = {"type": "openai_compat", "base_url": f"{upstream}/v1", "responses": speaks}
    raw = {
        "backends": {"fake": backend},
        "models": {"chat": {"backend": "fake", "upstream_model": "gpt-4o-mini"}},
        **extra,
    }
    return parse_settings(raw, "test")


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serving(create_fake_upstream(FakeConfig())) as url:
        yield url


@pytest.fixture
def fresh(upstream: str) -> str:
    """The upstream, its record of requests emptied."""
    httpx.delete(f"{upstream}/_fake/requests")
    httpx.delete(f"{upstream}/_fake/faults")
    return upstream


def received(upstream: str) -> list[dict[str, Any]]:
    """What the fake upstream received (method, path, headers, json of each request), oldest first."""
    requests: list[dict[str, Any]] = httpx.get(f"{upstream}/_fake/requests").json()
    return requests


@asynccontextmanager
async def gateway_client(
    settings: Settings, backends: dict[str, Any] | None = None
) -> AsyncIterator[tuple[openai.AsyncOpenAI, httpx.AsyncClient]]:
    """The official client and a plain HTTP client on a gateway in process (``backends`` replace built ones)."""
    built = {name: build_backend(name, cfg) for name, cfg in settings.backends.items() if name not in (backends or {})}
    app = create_app(gateway=Gateway(settings, backends={**built, **(backends or {})}))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0), http
