"""The official openai client against the embedded SmolLM2 through /v1/responses: an answer, the typed event
stream, a forced function call and its result turn, JSON output — translated to chat for the engine and back,
every payload checked against OpenAI's published schemas."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import parse_settings
from tests.formats.spec import check_event, check_response

pytest.importorskip("llama_cpp")

QUESTION = "What is the capital of France?"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"enum": ["Paris", "Rome"]}, "celsius": {"type": "boolean"}},
        "required": ["city", "celsius"],
    },
}


@pytest.fixture
async def client() -> AsyncIterator[openai.AsyncOpenAI]:
    raw = {"backends": {"local": {"type": "embedded", "n_threads": 2}}, "models": {"smollm2": {"backend": "local"}}}
    app = create_app(parse_settings(raw, "test"))
    async with LifespanManager(app, startup_timeout=120) as manager:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gw", timeout=120)
        yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)


async def test_create(client: openai.AsyncOpenAI) -> None:
    reply = await client.responses.create(
        model="smollm2", input=QUESTION, instructions="Answer briefly.", max_output_tokens=12
    )
    check_response(reply.model_dump(mode="json", exclude_unset=True))
    assert reply.id.startswith("resp_") and reply.output_text and reply.status in ("completed", "incomplete")
    assert reply.usage is not None and reply.usage.input_tokens > 10 and 0 < reply.usage.output_tokens <= 12
    if reply.status == "incomplete":
        assert reply.incomplete_details is not None and reply.incomplete_details.reason == "max_output_tokens"


async def test_stream(client: openai.AsyncOpenAI) -> None:
    async with client.responses.stream(model="smollm2", input=QUESTION, max_output_tokens=12) as stream:
        events = [event async for event in stream]
    final = events[-1].response  # type: ignore[union-attr]  # the client's get_final_response wants completed
    for event in events:
        # the client swaps the completed event's response for its own ParsedResponse, which pydantic warns about
        # when dumping; the fields checked against the spec are the ones the gateway sent
        check_event(event.model_dump(mode="json", exclude_unset=True, warnings=False))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] in (
        "response.completed",
        "response.incomplete",
    )
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas and final.output_text == deltas and final.usage is not None and final.usage.output_tokens > 0


async def test_function_call_then_its_output(client: openai.AsyncOpenAI) -> None:
    asked = [{"role": "user", "content": "What is the weather in Paris?"}]
    used = await client.responses.create(
        model="smollm2",
        input=asked,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice={"type": "function", "name": "get_weather"},
        max_output_tokens=60,
    )
    check_response(used.model_dump(mode="json", exclude_unset=True))
    call = next(item for item in used.output if item.type == "function_call")
    arguments = json.loads(call.arguments)
    assert call.name == "get_weather" and arguments["city"] in ("Paris", "Rome")
    assert isinstance(arguments["celsius"], bool)
    after = await client.responses.create(
        model="smollm2",
        input=[
            *asked,
            {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": "18 C and sunny"},
        ],  # type: ignore[list-item]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice="none",
        max_output_tokens=16,
    )
    assert after.output_text and all(item.type == "message" for item in after.output)


async def test_json_output(client: openai.AsyncOpenAI) -> None:
    # a bounded string: the schema's grammar must close the object well inside the output cap (an unbounded
    # string lets a 135M model write on until the cap cuts the JSON short)
    capital = {"type": "string", "maxLength": 24}
    schema = {
        "type": "object",
        "properties": {"capital": capital},
        "required": ["capital"],
        "additionalProperties": False,
    }
    reply = await client.responses.create(
        model="smollm2",
        input=QUESTION,
        text={"format": {"type": "json_schema", "name": "answer", "schema": schema}},  # type: ignore[typeddict-item]
        max_output_tokens=80,
    )
    assert reply.status == "completed", reply.incomplete_details
    assert isinstance(json.loads(reply.output_text)["capital"], str)
