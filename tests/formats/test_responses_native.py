"""POST /v1/responses passed on natively to an upstream that speaks the Responses API (``responses: native``):
the fake OpenAI upstream serves /v1/responses as OpenAI does, faults included; a group may fall back from it to
a backend the request is translated for."""

from __future__ import annotations

import json
from typing import Any

import httpx

from crossroads.config import parse_settings
from tests.formats.conftest import fake_settings, gateway_client, received
from tests.formats.spec import check_event, check_response

WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}


async def test_a_native_answer_is_the_upstreams_own(fresh: str) -> None:
    async with gateway_client(fake_settings(fresh, "native")) as (client, http):
        raw = await http.post("/v1/responses", json={"model": "chat", "input": "Say hi", "instructions": "Be brief."})
        searched = await client.responses.create(model="chat", input="news today", tools=[{"type": "web_search"}])
    assert raw.status_code == 200
    answer = check_response(raw.json())
    assert answer.output_text == "This is a fake answer to: Say hi" and answer.usage and answer.usage.input_tokens == 4
    sent = received(fresh)
    assert [r["path"] for r in sent] == ["/v1/responses", "/v1/responses"]
    assert sent[0]["json"] == {"model": "gpt-4o-mini", "input": "Say hi", "instructions": "Be brief.", "store": False}
    assert [item.type for item in searched.output] == ["web_search_call", "message"]  # a hosted tool, run upstream
    check_response(searched.model_dump(mode="json", exclude_unset=True))


async def test_a_native_stream_and_function_call(fresh: str) -> None:
    async with gateway_client(fake_settings(fresh, "native")) as (client, http):
        async with http.stream("POST", "/v1/responses", json={"model": "chat", "input": "Hi", "stream": True}) as r:
            lines = [line async for line in r.aiter_lines()]
        async with client.responses.stream(model="chat", input="Weather?", tools=[WEATHER]) as stream:  # type: ignore[list-item]
            final = await stream.get_final_response()
    events = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    for event in events:
        check_event(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "This is a fake answer to: Hi"
    call = final.output[0]
    assert call.type == "function_call" and call.name == "get_weather" and json.loads(call.arguments) == {}


async def test_a_native_upstream_failure_is_an_openai_error(fresh: str) -> None:
    httpx.post(f"{fresh}/_fake/faults", json=[{"status": 500}, {"disconnect_after": 3}])
    async with gateway_client(fake_settings(fresh, "native")) as (_, http):
        failed = await http.post("/v1/responses", json={"model": "chat", "input": "x"})
        async with http.stream("POST", "/v1/responses", json={"model": "chat", "input": "x", "stream": True}) as r:
            lines = [line async for line in r.aiter_lines()]
    assert failed.status_code == 502 and failed.json()["error"]["type"]
    assert r.status_code == 200 and lines[-3] == "event: error"
    assert json.loads(lines[-2][6:])["type"] == "error"


async def test_a_group_falls_back_from_native_to_translated(fresh: str) -> None:
    httpx.post(f"{fresh}/_fake/faults", json=[{"status": 503}])
    raw: dict[str, Any] = {
        "backends": {
            "native": {"type": "openai_compat", "base_url": f"{fresh}/v1", "responses": "native"},
            "chat": {"type": "openai_compat", "base_url": f"{fresh}/v1"},
        },
        "models": {"m": {"deployments": [{"backend": "native", "upstream_model": "gpt-4o"},
                                         {"backend": "chat", "upstream_model": "gpt-4o-mini"}]}},
    }  # fmt: skip
    async with gateway_client(parse_settings(raw, "test")) as (client, _):
        reply = await client.responses.with_raw_response.create(model="m", input="Hello")
    assert reply.parse().output_text == "This is a fake answer to: Hello"
    assert reply.headers["x-crossroads-backend"] == "chat"
    assert [r["path"] for r in received(fresh)] == ["/v1/responses", "/v1/chat/completions"]


async def test_previous_response_id_never_reaches_a_native_upstream(fresh: str, tmp_path: Any) -> None:
    settings = fake_settings(fresh, "native", responses={"storage": "database",
                                                         "database_url": f"sqlite:///{tmp_path / 'r.db'}"})  # fmt: skip
    async with gateway_client(settings) as (client, _):
        first = await client.responses.create(model="chat", input="One")
        second = await client.responses.create(model="chat", input="Two", previous_response_id=first.id)
    sent = [r["json"] for r in received(fresh)]
    assert "previous_response_id" not in sent[1] and sent[1]["store"] is False
    assert [i.get("role") for i in sent[1]["input"]] == ["user", "assistant", "user"]
    assert second.previous_response_id == first.id and second.store is True
