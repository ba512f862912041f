"""Red team on the Responses API: a protected value in any field of a Responses request (instructions, input
text, earlier turns, function calls and their outputs, tool definitions, JSON schemas, metadata, unknown fields,
data URLs) never reaches an upstream — translated to Chat Completions or passed on natively — and values come
back restored in text, function-call arguments and their stream deltas."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.testing.fake_upstream import FakeState
from tests.privacy.conftest import EchoBackend, gateway_with
from tests.privacy.test_red_team import EMAIL, POLICY, SSN, VALUES, leaked

Body = dict[str, Any]
PNG = base64.b64encode(bytes(range(256)) * 2).decode()


def ask(given: Any, **extra: Any) -> Body:
    return {"input": given, "max_output_tokens": 20, **extra}


def _fn(**extra: Any) -> Body:
    return {"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {}}, **extra}


def _turn(arguments: str, output: Any) -> Body:
    return ask([
        {"role": "user", "content": "hi"},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": arguments},
        {"type": "function_call_output", "call_id": "call_1", "output": output},
    ])  # fmt: skip


def _schema(v: str) -> Body:
    schema = {"type": "object", "properties": {"to": {"type": "string", "description": f"like {v}"}}}
    return {"format": {"type": "json_schema", "name": "reply", "schema": schema}}


# ---- where a value can hide in a Responses request (each applied to every value) ------------------------------
FIELDS: dict[str, Callable[[str], Body]] = {
    "input string": lambda v: ask(f"my detail is {v}, thanks"),
    "instructions": lambda v: ask("hi", instructions=f"The customer is {v}."),
    "input_text part": lambda v: ask([{"role": "user", "content": [{"type": "input_text", "text": f"is {v}"}]}]),
    "developer message": lambda v: ask(
        [{"role": "developer", "content": f"customer {v}"}, {"role": "user", "content": "hi"}]
    ),
    "earlier assistant turn": lambda v: ask(
        [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "output_text", "text": f"noted: {v}"}]},
            {"role": "user", "content": "ok"},
        ]
    ),
    "function_call arguments": lambda v: _turn(f'{{"to": {{"deep": ["is {v}"]}}}}', "done"),
    "function_call_output": lambda v: _turn("{}", f"found {v}"),
    "function_call_output parts": lambda v: _turn("{}", [{"type": "input_text", "text": f"found {v}"}]),
    "tool description": lambda v: ask("hi", tools=[_fn(description=f"for {v}")]),
    "tool parameters": lambda v: ask(
        "hi", tools=[_fn(parameters={"type": "object", "properties": {"to": {"type": "string", "default": f"is {v}"}}})]
    ),
    "text.format schema": lambda v: ask("hi", text=_schema(v)),
    "metadata value": lambda v: ask("hi", metadata={"customer": f"is {v}"}),
    "metadata key": lambda v: ask("hi", metadata={f"is {v}": "x"}),
    "unknown top-level field": lambda v: ask("hi", notes={"customer": [f"is {v}"]}),
    "unknown item field": lambda v: ask([{"role": "user", "content": "hi", "note": f"is {v}"}]),
    "image url": lambda v: ask(
        [{"role": "user", "content": [{"type": "input_image", "image_url": f"https://x.test/a?who={v}"}]}]
    ),
    "text data url": lambda v: ask(
        [
            {
                "role": "user",
                "content": [
                    {
                        "type": "input_file",
                        "filename": "a.txt",
                        "file_data": "data:text/plain;base64," + base64.b64encode(f"file {v}".encode()).decode(),
                    }
                ],
            }
        ]
    ),
    "user field": lambda v: ask("hi", user=f"user {v}"),
}
ATTEMPTS = [(where, name) for where in FIELDS for name in VALUES]


@pytest.fixture
async def gw(fake_upstream: tuple[str, FakeState]) -> AsyncIterator[tuple[openai.AsyncOpenAI, EchoBackend]]:
    url = fake_upstream[0]
    raw = {
        "backends": {
            "chat": {"type": "openai_compat", "base_url": url},
            "native": {"type": "openai_compat", "base_url": url, "responses": "native"},
            "echo": {"type": "embedded"},
        },
        "models": {
            "gpt": {"backend": "chat", "upstream_model": "gpt-4o-mini"},
            "gpt-native": {"backend": "native", "upstream_model": "gpt-4o-mini"},
            "echo": {"backend": "echo"},
        },
        "privacy": {"default": POLICY},
    }
    settings = parse_settings(raw, "red-team")
    echo = EchoBackend(location="hosted")
    app = create_app(gateway=gateway_with(settings, {"echo": echo}))
    async with LifespanManager(app, startup_timeout=60) as manager:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gw", timeout=30)
        yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0), echo


async def _send(client: openai.AsyncOpenAI, body: Body) -> tuple[int, Any]:
    known = {k: body.pop(k) for k in ("notes",) if k in body}
    try:
        reply = await client.responses.create(**body, extra_body=known or None)
    except openai.APIStatusError as exc:
        return exc.status_code, exc.body
    return 200, reply


@pytest.mark.parametrize("model", ["gpt", "gpt-native"])
@pytest.mark.parametrize("where", list(FIELDS))
async def test_no_responses_field_carries_a_value_out(
    gw: tuple[openai.AsyncOpenAI, EchoBackend], fake: tuple[str, FakeState], model: str, where: str
) -> None:
    """Each value kind in turn (pseudonymized, redacted, kept local, blocked) in this field, to this upstream."""
    for value in VALUES.values():
        fake[1].requests.clear()
        status, answer = await _send(gw[0], {"model": model, **FIELDS[where](value)})
        assert status in {200, 400, 403}, answer
        if status != 200:
            assert value not in str(answer)
        received = [r["json"] for r in fake[1].requests]
        assert leaked(value, received) == [], value
        if status == 200:
            assert received and received[-1] is not None  # served: the upstream got the request, value replaced


def test_the_suite_covers_every_field_and_value() -> None:
    assert len(ATTEMPTS) * 2 >= 200


@pytest.mark.parametrize("model", ["gpt", "gpt-native"])
async def test_base64_images_are_unreadable_so_kept_local(
    gw: tuple[openai.AsyncOpenAI, EchoBackend], fake: tuple[str, FakeState], model: str
) -> None:
    image = {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}
    body = ask([{"role": "user", "content": [{"type": "input_text", "text": "what is it"}, image]}])
    status, answer = await _send(gw[0], {"model": model, **body})
    assert status == 403 and answer["type"] == "permission_error" and "UNSCANNABLE" in answer["message"]
    assert not fake[1].requests


async def test_a_kept_local_value_never_reaches_a_hosted_upstream(
    gw: tuple[openai.AsyncOpenAI, EchoBackend], fake: tuple[str, FakeState]
) -> None:
    status, answer = await _send(gw[0], {"model": "gpt-native", **ask(f"My SSN is {SSN}")})
    assert status == 403 and answer["code"] == "privacy_kept_local" and not fake[1].requests


async def test_values_are_restored_in_text_and_function_arguments(gw: tuple[openai.AsyncOpenAI, EchoBackend]) -> None:
    client, echo = gw
    said = await client.responses.create(model="echo", input=f"write to {EMAIL}")
    assert said.output_text == f"write to {EMAIL}"
    used = await client.responses.create(model="echo", input=f"write to {EMAIL}", tools=[_fn()])  # type: ignore[list-item]
    call = next(item for item in used.output if item.type == "function_call")
    assert call.arguments == f'{{"text": "write to {EMAIL}"}}'
    assert EMAIL not in str(echo.calls) and "<EMAIL_ADDRESS_" in str(echo.calls)


@pytest.mark.parametrize("tools", [False, True])
async def test_values_are_restored_in_stream_deltas(gw: tuple[openai.AsyncOpenAI, EchoBackend], tools: bool) -> None:
    client, echo = gw
    extra: Body = {"tools": [_fn()]} if tools else {}
    async with client.responses.stream(model="echo", input=f"mail {EMAIL} today", **extra) as stream:
        events = [e async for e in stream]
        final = await stream.get_final_response()
    deltas = "".join(e.delta for e in events if e.type.endswith(".delta"))  # type: ignore[union-attr]
    assert EMAIL in deltas and "<EMAIL" not in deltas
    assert [e.sequence_number for e in events] == list(range(len(events)))
    if tools:
        call = next(item for item in final.output if item.type == "function_call")
        assert call.arguments == f'{{"text": "mail {EMAIL} today"}}'
    else:
        assert final.output_text == f"mail {EMAIL} today"
    assert EMAIL not in str(echo.calls)
