"""Shared fixtures: an app over scripted backends driven by the official openai client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import Settings, parse_settings
from crossroads.gateway import Gateway
from tests.support.scripted import ScriptedBackend


def scripted_settings() -> Settings:
    return parse_settings(
        {
            "backends": {"local": {"type": "embedded"}, "remote": {"type": "openai_compat", "base_url": "http://x/v1"}},
            "models": {
                "small": {"backend": "local", "aliases": ["tiny"]},
                "big": {"backend": "remote", "upstream_model": "gpt-4o"},
            },
        },
        "test",
    )


@pytest.fixture
def scripted() -> dict[str, ScriptedBackend]:
    return {"local": ScriptedBackend("local"), "remote": ScriptedBackend("remote", location="hosted")}


@pytest.fixture
async def client(scripted: dict[str, ScriptedBackend]) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official async client talking to the app in process."""
    app = create_app(gateway=Gateway(scripted_settings(), backends=dict(scripted)))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)
