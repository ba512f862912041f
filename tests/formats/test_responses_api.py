"""POST /v1/responses through translation to Chat Completions, driven by the official ``openai`` client against
the fake OpenAI upstream; every payload checked against OpenAI's published schemas."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.formats.conftest import fake_settings, gateway_client, received
from tests.formats.spec import check_event, check_response

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


async def test_a_text_answer_is_a_valid_response(fresh: str) -> None:
    async with gateway_client(fake_settings(fresh)) as (client, http):
        raw = await http.post(
            "/v1/responses",
            json={"model": "chat", "input": "Say hello", "instructions": "Be brief.", "metadata": {"team": "a"}},
        )
        answer = await client.responses.create(model="chat", input="Say hello")
    assert raw.status_code == 200
    parsed = check_response(raw.json())
    assert parsed.status == "completed" and parsed.output_text.startswith("This is a fake answer")
    assert parsed.instructions == "Be brief." and parsed.metadata == {"team": "a"}
    assert parsed.usage is not None and parsed.usage.output_tokens == len(parsed.output_text.split())
    assert answer.output_text and answer.id.startswith("resp_")
    sent = received(fresh)[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["json"]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello"},
    ]
    assert sent["json"]["model"] == "gpt-4o-mini" and sent["json"]["metadata"] == {"team": "a"}


async def test_a_function_call_and_its_result_round_trip(fresh: str) -> None:
    async with gateway_client(fake_settings(fresh)) as (client, _):
        first = await client.responses.create(
            model="chat", input="Weather in Paris?", tools=[WEATHER], tool_choice="required"
        )
        check_response(first.model_dump(mode="json", exclude_unset=True))
        calls = [item for item in first.output if item.type == "function_call"]
        assert len(calls) == 1 and calls[0].name == "get_weather"
        assert json.loads(calls[0].arguments) == {"city": "fake"}
        second = await client.responses.create(
            model="chat",
            input=[
                {"role": "user", "content": "Weather in Paris?"},
                {"type": "function_call", "call_id": calls[0].call_id, "name": "get_weather",
                 "arguments": calls[0].arguments},
                {"type": "function_call_output", "call_id": calls[0].call_id, "output": "18 C and sunny"},
            ],
            tools=[WEATHER],
            tool_choice="none",
        )  # fmt: skip
    assert second.output_text.startswith("This is a fake answer")
    first_sent, second_sent = (r["json"] for r in received(fresh))
    assert first_sent["tools"] == [{"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}}]
    assert first_sent["tool_choice"] == "required"
    assert second_sent["messages"][1:] == [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": calls[0].call_id, "type": "function",
             "function": {"name": "get_weather", "arguments": calls[0].arguments}}]},
        {"role": "tool", "tool_call_id": calls[0].call_id, "content": "18 C and sunny"},
    ]  # fmt: skip


async def test_a_stream_is_the_typed_event_sequence(fresh: str) -> None:
    async with gateway_client(fake_settings(fresh)) as (client, http):
        async with http.stream("POST", "/v1/responses", json={"model": "chat", "input": "Hi", "stream": True}) as r:
            lines = [line async for line in r.aiter_lines()]
        async with client.responses.stream(model="chat", input="Hi") as stream:
            deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
            final = await stream.get_final_response()
    names = [line[7:] for line in lines if line.startswith("event: ")]
    events = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert [e["type"] for e in events] == names and "[DONE]" not in lines
    for event in events:
        check_event(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    kinds = [n for n in names if n != "response.output_text.delta"]
    assert kinds == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
    ]  # fmt: skip
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["usage"]["output_tokens"] > 0
    assert "".join(deltas) == final.output_text and final.output_text.startswith("This is a fake answer")


async def test_a_streamed_function_call(fresh: str) -> None:
    async with (
        gateway_client(fake_settings(fresh)) as (client, _),
        client.responses.stream(
            model="chat", input="Weather?", tools=[WEATHER], tool_choice={"type": "function", "name": "get_weather"}
        ) as stream,
    ):
        events = [e async for e in stream]
        final = await stream.get_final_response()
    kinds = [e.type for e in events]
    assert "response.function_call_arguments.delta" in kinds and "response.function_call_arguments.done" in kinds
    for event in events:
        check_event(event.model_dump(mode="json", exclude_unset=True))
    call = final.output[0]
    assert call.type == "function_call" and json.loads(call.arguments) == {"city": "fake"}
    assert received(fresh)[0]["json"]["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


async def test_json_output_and_the_output_cap(fresh: str) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    text = {"format": {"type": "json_schema", "name": "reply", "schema": schema, "strict": True}}
    async with gateway_client(fake_settings(fresh)) as (client, _):
        answer = await client.responses.create(model="chat", input="JSON please", text=text)  # type: ignore[arg-type]
        short = await client.responses.create(model="chat", input="A long story please", max_output_tokens=2)
    assert json.loads(answer.output_text) == {"answer": "fake"}
    sent = [r["json"] for r in received(fresh)]
    assert sent[0]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "reply", "schema": schema, "strict": True},
    }
    assert sent[1]["max_tokens"] == 2
    assert short.status == "incomplete" and short.incomplete_details is not None
    assert short.incomplete_details.reason == "max_output_tokens"
    check_response(short.model_dump(mode="json", exclude_unset=True))


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"input": "x", "tools": [{"type": "web_search"}]}, "tools[0]", "unsupported_tool"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0]", "unsupported_input_item"),
        ({"input": [{"type": "function_call", "call_id": "c"}]}, "input[0].name", "missing_required_parameter"),
        ({"input": [{"role": "user", "content": [{"type": "input_image"}]}]}, "input[0].content[0]", None),
        ({}, "input", "missing_required_parameter"),
        ({"input": [{"type": "reasoning", "summary": []}]}, "input", None),
        ({"input": "x", "max_output_tokens": 0}, "max_output_tokens", None),
    ],
)
async def test_bad_requests_are_400_in_openai_error_shape(
    fresh: str, body: dict[str, Any], param: str, code: str | None
) -> None:
    async with gateway_client(fake_settings(fresh)) as (_, http):
        answer = await http.post("/v1/responses", json={"model": "chat", **body})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]
    if code is not None:
        assert error["code"] == code
    assert received(fresh) == []


async def test_the_client_raises_the_openai_error(fresh: str) -> None:
    async with gateway_client(fake_settings(fresh)) as (client, _):
        with pytest.raises(openai.BadRequestError, match="hosted tool"):
            await client.responses.create(model="chat", input="x", tools=[{"type": "web_search"}])
        with pytest.raises(openai.NotFoundError):
            await client.responses.create(model="nope", input="x")
