"""The gateway's own refusals on /v1/messages, in Anthropic's error shape: keys (``x-api-key``), budgets, scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anthropic
import pytest
from sqlalchemy import Engine

from crossroads.metering.keys import create_key
from tests.api.test_messages import HI, anthropic_client
from tests.metering.backends import UsageBackend
from tests.metering.conftest import metered_settings, running


def backends() -> dict[str, Any]:
    return {"openai": UsageBackend("openai"), "local": UsageBackend("local", location="local")}


async def test_x_api_key_is_the_gateway_key(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, plaintext = create_key(sqlite_engine, "team-a")
    async with running(metered_settings(sqlite_url), backends()) as (app, _):
        with pytest.raises(anthropic.AuthenticationError) as denied:
            await anthropic_client(app, key="sk-cr-wrong").messages.create(model="gpt-4o", max_tokens=5, messages=HI)
        reply = await anthropic_client(app, key=plaintext).messages.create(model="gpt-4o", max_tokens=5, messages=HI)
    body: Any = denied.value.body
    assert body["type"] == "error" and body["error"]["type"] == "authentication_error"
    assert reply.usage.input_tokens == 1500 and reply.usage.output_tokens == 500


async def test_budget_and_scope_refusals(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, plaintext = create_key(sqlite_engine, "team-a", budget=Decimal("0.000001"), period="total")
    async with running(metered_settings(sqlite_url), backends()) as (app, _):
        client = anthropic_client(app, key=plaintext)
        with pytest.raises(anthropic.RateLimitError) as broke:
            await client.messages.create(model="gpt-4o", max_tokens=4000, messages=HI)
        with pytest.raises(anthropic.PermissionDeniedError) as unpriced:
            await client.messages.create(model="smollm2", max_tokens=5, messages=HI)
    budget: Any = broke.value.body
    assert budget["type"] == "error" and budget["error"]["type"] == "rate_limit_error"
    assert "budget" in budget["error"]["message"]
    scope: Any = unpriced.value.body
    assert scope["error"]["type"] == "permission_error"


async def test_models_refusals_in_anthropics_shape(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, plaintext = create_key(sqlite_engine, "team-a", models=["gpt-4o"])
    async with running(metered_settings(sqlite_url), backends()) as (app, _):
        with pytest.raises(anthropic.AuthenticationError) as denied:
            await anthropic_client(app, key="sk-cr-wrong").models.list()
        with pytest.raises(anthropic.NotFoundError) as hidden:
            await anthropic_client(app, key=plaintext).models.retrieve("smollm2")
        listed = await anthropic_client(app, key=plaintext).models.list()
    assert [m.id for m in listed.data] == ["gpt-4o"]
    unknown: Any = denied.value.body
    assert unknown["type"] == "error" and unknown["error"]["type"] == "authentication_error"
    other: Any = hidden.value.body
    assert other["error"]["type"] == "not_found_error"
