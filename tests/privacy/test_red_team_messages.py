"""Trying to get a protected value out through Anthropic's Messages API: every field of the format, to an
Anthropic upstream (the anthropic backend) and to an OpenAI-compatible one (translated), asserting on what the
recording fake upstream received — and the values restored in answers, streams and tool inputs."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import anthropic
import httpx2
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.testing.fake_upstream import FakeState
from tests.privacy.conftest import EchoBackend, gateway_with
from tests.privacy.test_red_team import EMAIL, POLICY, SSN, VALUES, leaked

Body = dict[str, Any]
PNG = base64.b64encode(bytes(range(256)) * 2).decode()


def msg(content: Any, **extra: Any) -> Body:
    return {"max_tokens": 20, "messages": [{"role": "user", "content": content}], **extra}


def _turn(use: Body, result: Body) -> Body:
    return {
        "max_tokens": 20,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", **use}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", **result}]},
        ],
    }


def _tool(**schema: Any) -> Body:
    return {"name": "lookup", "description": "look up", "input_schema": {"type": "object", **schema}}


# ---- where a value can hide in a Messages request (each applied to every value) -------------------------------
FIELDS: dict[str, Callable[[str], Body]] = {
    "system string": lambda v: msg("hi", system=f"The customer is {v}."),
    "system text block": lambda v: msg("hi", system=[{"type": "text", "text": f"customer {v}"}]),
    "system block extra field": lambda v: msg("hi", system=[{"type": "text", "text": "x", "note": f"is {v}"}]),
    "user string": lambda v: msg(f"my detail is {v}, thanks"),
    "text block": lambda v: msg([{"type": "text", "text": f"my detail is {v}"}]),
    "text block with cache_control": lambda v: msg(
        [{"type": "text", "text": f"is {v}", "cache_control": {"type": "ephemeral"}}]
    ),
    "assistant text": lambda v: {
        "max_tokens": 20,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": f"noted: {v}"},
            {"role": "user", "content": "ok"},
        ],
    },
    "tool_use input": lambda v: _turn({"input": {"to": {"deep": [f"is {v}"]}}}, {"content": "done"}),
    "tool_use input key": lambda v: _turn({"input": {f"is {v}": 1}}, {"content": "done"}),
    "tool_result string": lambda v: _turn({"input": {}}, {"content": f"found {v}"}),
    "tool_result blocks": lambda v: _turn({"input": {}}, {"content": [{"type": "text", "text": f"found {v}"}]}),
    "tool_result error": lambda v: _turn({"input": {}}, {"is_error": True, "content": f"no account {v}"}),
    "tool description": lambda v: msg("hi", tools=[{**_tool(), "description": f"for {v}"}]),
    "tool schema": lambda v: msg("hi", tools=[_tool(properties={"to": {"type": "string", "default": f"is {v}"}})]),
    "metadata user_id": lambda v: msg("hi", metadata={"user_id": f"user {v}"}),
    "unknown top-level field": lambda v: msg("hi", notes={"customer": [f"is {v}"]}),
    "unknown block type": lambda v: msg(
        [{"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": f"file {v}"}}]
    ),
    "stop sequence": lambda v: msg("hi", stop_sequences=[f"is {v}"]),
    "image url": lambda v: msg([{"type": "image", "source": {"type": "url", "url": f"https://x.test/a?who={v}"}}]),
}
ATTEMPTS = [
    (f"{where} / {name}", value, make(value)) for where, make in FIELDS.items() for name, value in VALUES.items()
]


@pytest.fixture
async def gw(fake_upstream: tuple[str, FakeState]) -> AsyncIterator[tuple[anthropic.AsyncAnthropic, EchoBackend]]:
    url = fake_upstream[0]
    raw = {
        "backends": {
            "up": {"type": "openai_compat", "base_url": url},
            "claude": {"type": "anthropic", "base_url": url.removesuffix("/v1"), "api_key_env": None},
            "echo": {"type": "embedded"},
        },
        "models": {
            "gpt": {"backend": "up", "upstream_model": "gpt-4o-mini"},
            "claude": {"backend": "claude", "upstream_model": "claude-sonnet-4-5"},
            "echo": {"backend": "echo"},
        },
        "privacy": {"default": POLICY},
    }
    settings = parse_settings(raw, "red-team")
    echo = EchoBackend(location="hosted")
    app = create_app(gateway=gateway_with(settings, {"echo": echo}))
    async with LifespanManager(app, startup_timeout=60) as manager:
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=manager.app), base_url="http://gw", timeout=30)
        yield anthropic.AsyncAnthropic(base_url="http://gw", api_key="k", http_client=http, max_retries=0), echo


async def _send(client: anthropic.AsyncAnthropic, body: Body) -> tuple[int, Any]:
    try:
        reply = await client.messages.create(**body)
    except anthropic.APIStatusError as exc:
        return exc.status_code, exc.body
    return 200, reply


@pytest.mark.parametrize("model", ["claude", "gpt"])
@pytest.mark.parametrize("where", list(FIELDS))
async def test_no_messages_field_carries_a_value_out(
    gw: tuple[anthropic.AsyncAnthropic, EchoBackend], fake: tuple[str, FakeState], model: str, where: str
) -> None:
    """Each value kind in turn (pseudonymized, redacted, kept local, blocked) in this field, to this upstream."""
    for value in VALUES.values():
        fake[1].requests.clear()
        body = {"model": model, **FIELDS[where](value)}
        if "notes" in body:  # an unknown field goes as the client library's extra body
            body["extra_body"] = {"notes": body.pop("notes")}
        status, answer = await _send(gw[0], body)
        assert status in {200, 400, 403}, answer
        if status != 200:
            assert answer["type"] == "error" and value not in answer["error"]["message"]
        assert leaked(value, [r["json"] for r in fake[1].requests]) == [], value


def test_the_suite_covers_every_field_and_value() -> None:
    assert len(FIELDS) * len(VALUES) * 2 >= 200


@pytest.mark.parametrize("model", ["claude", "gpt"])
async def test_base64_images_are_unreadable_so_kept_local(
    gw: tuple[anthropic.AsyncAnthropic, EchoBackend], fake: tuple[str, FakeState], model: str
) -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    status, answer = await _send(gw[0], {"model": model, **msg([{"type": "text", "text": "what is it"}, image])})
    assert status == 403 and answer["error"]["type"] == "permission_error"
    assert "UNSCANNABLE" in answer["error"]["message"] and fake[1].requests == type(fake[1].requests)()


async def test_a_kept_local_value_never_reaches_claude(
    gw: tuple[anthropic.AsyncAnthropic, EchoBackend], fake: tuple[str, FakeState]
) -> None:
    status, answer = await _send(gw[0], {"model": "claude", **msg(f"My SSN is {SSN}")})
    assert status == 403 and answer["error"]["type"] == "permission_error" and not fake[1].requests


async def test_values_are_restored_in_text_and_tool_input(gw: tuple[anthropic.AsyncAnthropic, EchoBackend]) -> None:
    client, echo = gw
    said = await client.messages.create(model="echo", **msg(f"write to {EMAIL}"))  # type: ignore[arg-type]
    assert said.content[0].text == f"write to {EMAIL}"  # type: ignore[union-attr]
    used = await client.messages.create(model="echo", tools=[_tool()], **msg(f"write to {EMAIL}"))  # type: ignore[arg-type, list-item]
    tool_use = next(b for b in used.content if b.type == "tool_use")
    assert tool_use.input == {"text": f"write to {EMAIL}"}
    assert EMAIL not in str(echo.calls) and "<EMAIL_ADDRESS_" in str(echo.calls)


@pytest.mark.parametrize("tools", [False, True])
async def test_values_are_restored_in_text_and_input_json_deltas(
    gw: tuple[anthropic.AsyncAnthropic, EchoBackend], tools: bool
) -> None:
    client, echo = gw
    extra: Body = {"tools": [_tool()]} if tools else {}
    async with client.messages.stream(model="echo", **msg(f"mail {EMAIL} today"), **extra) as stream:
        deltas = [e async for e in stream if e.type == "content_block_delta"]
        final = await stream.get_final_message()
    pieces = "".join(getattr(d.delta, "partial_json", None) or getattr(d.delta, "text", "") for d in deltas)
    assert EMAIL in pieces and "<EMAIL" not in pieces
    block: Any = final.content[0]
    assert (block.input == {"text": f"mail {EMAIL} today"}) if tools else (block.text == f"mail {EMAIL} today")
    assert EMAIL not in str(echo.calls)


async def test_a_plain_text_document_is_read_not_kept_local(
    gw: tuple[anthropic.AsyncAnthropic, EchoBackend], fake: tuple[str, FakeState]
) -> None:
    source = {"type": "text", "media_type": "text/plain", "data": f"Contract for {EMAIL}, signed."}
    body = msg([{"type": "document", "source": source}, {"type": "text", "text": "Summarise it."}])
    status, answer = await _send(gw[0], {"model": "claude", **body})
    assert status == 200, answer
    sent = fake[1].requests[-1]["json"]["messages"][0]["content"][0]["source"]["data"]
    assert EMAIL not in sent and "<EMAIL_ADDRESS_" in sent and sent.startswith("Contract for ")
