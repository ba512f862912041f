"""The official anthropic client against the embedded SmolLM2 through /v1/messages: answers, Anthropic's stream
events, a tool call and its result turn, token counting — translated to chat for the engine and back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import httpx2
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import parse_settings

pytest.importorskip("llama_cpp")

HI = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"enum": ["Paris", "Rome"]}, "celsius": {"type": "boolean"}},
        "required": ["city", "celsius"],
    },
}


@pytest.fixture
async def client() -> AsyncIterator[anthropic.AsyncAnthropic]:
    raw = {"backends": {"local": {"type": "embedded", "n_threads": 2}}, "models": {"smollm2": {"backend": "local"}}}
    app = create_app(parse_settings(raw, "test"))
    async with LifespanManager(app, startup_timeout=120) as manager:
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=manager.app), base_url="http://gw", timeout=120)
        yield anthropic.AsyncAnthropic(base_url="http://gw", api_key="k", http_client=http, max_retries=0)


async def test_create(client: anthropic.AsyncAnthropic) -> None:
    reply = await client.messages.create(model="smollm2", max_tokens=12, system="Answer briefly.", messages=HI)
    assert reply.id.startswith("msg_") and reply.model == "smollm2" and reply.role == "assistant"
    assert reply.content[0].type == "text" and reply.content[0].text
    assert reply.stop_reason in ("end_turn", "max_tokens")
    assert reply.usage.input_tokens > 10 and 0 < reply.usage.output_tokens <= 12


async def test_stream(client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(model="smollm2", max_tokens=12, messages=HI) as stream:
        events = [event async for event in stream]
        final = await stream.get_final_message()
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    deltas = "".join(e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta")
    assert final.content[0].type == "text" and final.content[0].text == deltas and deltas
    assert final.stop_reason in ("end_turn", "max_tokens") and final.usage.output_tokens > 0


async def test_tool_use_then_tool_result(client: anthropic.AsyncAnthropic) -> None:
    ask = [{"role": "user", "content": "What is the weather in Paris?"}]
    used = await client.messages.create(
        model="smollm2",
        max_tokens=60,
        messages=ask,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice={"type": "tool", "name": "get_weather"},
    )
    assert used.stop_reason == "tool_use"
    call = next(b for b in used.content if b.type == "tool_use")
    assert call.name == "get_weather" and call.input["city"] in ("Paris", "Rome")  # type: ignore[index]
    assert isinstance(call.input["celsius"], bool)  # type: ignore[index]
    turn = [
        *ask,
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in used.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18 C and sunny"}]},
    ]
    after = await client.messages.create(
        model="smollm2",
        max_tokens=16,
        messages=turn,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice={"type": "none"},
    )
    assert after.content and after.content[0].type == "text" and after.stop_reason in ("end_turn", "max_tokens")


async def test_streamed_tool_use(client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(
        model="smollm2",
        max_tokens=60,
        messages=[{"role": "user", "content": "Weather in Rome?"}],
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice={"type": "any"},
    ) as stream:
        kinds = [e.delta.type async for e in stream if e.type == "content_block_delta"]
        final = await stream.get_final_message()
    assert "input_json_delta" in kinds and final.stop_reason == "tool_use"
    assert final.content[-1].type == "tool_use" and final.content[-1].input["city"] in ("Paris", "Rome")  # type: ignore[index]


async def test_count_tokens(client: anthropic.AsyncAnthropic) -> None:
    counted = await client.messages.count_tokens(model="smollm2", messages=HI)
    assert counted.input_tokens > 5
