"""POST /v1/messages and /v1/messages/count_tokens through the official anthropic client, in process:
answers, Anthropic's stream events, headers, and every refusal in Anthropic's error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from crossroads.api import create_app
from crossroads.gateway import Gateway
from tests.conftest import scripted_settings
from tests.support.scripted import ScriptedBackend

HI = [{"role": "user", "content": "Hello"}]
VERSION = {"anthropic-version": "2023-06-01"}


def anthropic_client(app: FastAPI, key: str = "k") -> anthropic.AsyncAnthropic:
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://gw")
    return anthropic.AsyncAnthropic(base_url="http://gw", api_key=key, http_client=http, max_retries=0)


@pytest.fixture
async def app(scripted: dict[str, ScriptedBackend]) -> AsyncIterator[FastAPI]:
    app = create_app(gateway=Gateway(scripted_settings(), backends=dict(scripted)))
    async with LifespanManager(app) as manager:
        yield manager.app  # type: ignore[misc]


async def test_create_reaches_the_backend_as_chat(app: FastAPI, scripted: dict[str, ScriptedBackend]) -> None:
    client = anthropic_client(app)
    reply = await client.messages.create(
        model="big", max_tokens=50, system="Be brief.", messages=HI, extra_body={"top_k": 5}
    )
    assert reply.type == "message" and reply.role == "assistant" and reply.id.startswith("msg_")
    assert reply.content[0].type == "text" and reply.content[0].text == "Hello from the script."
    assert reply.stop_reason == "end_turn" and reply.model == "gpt-4o"
    assert reply.usage.output_tokens == 4
    _, sent = scripted["remote"].calls[0]
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, *HI]
    assert sent["max_tokens"] == 50 and sent["top_k"] == 5 and sent["model"] == "gpt-4o"


async def test_stream_sends_anthropics_named_events(app: FastAPI) -> None:
    client = anthropic_client(app)
    async with client.messages.stream(model="small", max_tokens=50, messages=HI) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_start" in kinds and "content_block_stop" in kinds and "message_delta" in kinds
    assert final.content[0].type == "text" and final.content[0].text == "Hello from the script."
    assert final.stop_reason == "end_turn"


async def test_raw_stream_is_server_sent_events_with_names(app: FastAPI) -> None:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://gw") as http:
        body = {"model": "small", "max_tokens": 9, "messages": HI, "stream": True}
        r = await http.post("/v1/messages", json=body, headers=VERSION)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    names = [line.removeprefix("event: ") for line in r.text.splitlines() if line.startswith("event: ")]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]


async def test_count_tokens(app: FastAPI) -> None:
    client = anthropic_client(app)
    short = await client.messages.count_tokens(model="small", messages=HI)
    longer = await client.messages.count_tokens(model="tiny", system="A long system prompt " * 20, messages=HI)
    assert 0 < short.input_tokens < longer.input_tokens
    with pytest.raises(anthropic.NotFoundError) as info:
        await client.messages.count_tokens(model="nope", messages=HI)
    assert info.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "small", "messages": HI}, "max_tokens"),
        ({"model": "small", "max_tokens": 0, "messages": HI}, "max_tokens"),
        ({"model": "small", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}, "role"),
        ({"model": "small", "max_tokens": 5, "messages": HI, "temperature": 1.5}, "temperature"),
        ({"model": "small", "max_tokens": 5, "messages": HI, "tool_choice": {"type": "tool"}}, "tool_choice"),
    ],
)
async def test_invalid_requests_are_400_in_anthropics_shape(app: FastAPI, body: dict[str, Any], param: str) -> None:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://gw") as http:
        r = await http.post("/v1/messages", json=body, headers=VERSION)
    assert r.status_code == 400
    error = r.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert param in error["error"]["message"]


async def test_unknown_model_is_404_not_found_error(app: FastAPI) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        await anthropic_client(app).messages.create(model="nope", max_tokens=5, messages=HI)
    body: Any = info.value.body
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error" and "nope" in body["error"]["message"]


async def test_backend_failure_is_an_api_error(scripted: dict[str, ScriptedBackend]) -> None:
    from crossroads.errors import ServiceUnavailable

    scripted["local"].answers = [ServiceUnavailable("The model is loading.")]
    app = create_app(gateway=Gateway(scripted_settings(), backends=dict(scripted)))
    async with LifespanManager(app) as manager:
        with pytest.raises(anthropic.APIStatusError) as info:
            await anthropic_client(manager.app).messages.create(model="small", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert info.value.status_code == 529 and info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


async def test_models_in_anthropics_shape(app: FastAPI) -> None:
    page = await anthropic_client(app).models.list()
    assert [m.id for m in page.data] == ["small", "big"] and all(m.type == "model" for m in page.data)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://gw") as http:
        listed = (await http.get("/v1/models", headers=VERSION, params={"limit": 1})).json()
        one = (await http.get("/v1/models/tiny", headers=VERSION)).json()
        plain = (await http.get("/v1/models")).json()
    assert listed["has_more"] is True and listed["first_id"] == listed["last_id"] == "small"
    assert one["type"] == "model" and one["id"] == "small" and one["created_at"].endswith("Z")
    assert plain["object"] == "list"  # without anthropic-version: OpenAI's shape
