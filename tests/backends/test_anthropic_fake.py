"""The anthropic backend against the fake upstream's Anthropic routes, driven by the official anthropic and
openai clients: Messages requests reach the upstream as they were sent, chat requests are translated, faults
become the right errors, and a failing Anthropic deployment falls back to an OpenAI-compatible one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.api import create_app
from crossroads.catalog import load_catalog
from crossroads.config import parse_settings
from crossroads.metering.keys import create_key
from crossroads.store import make_engine, upgrade
from crossroads.store.models import LedgerRow
from crossroads.testing.fake_upstream import FakeConfig, FakeState, Fault, create_fake_upstream
from crossroads.testing.server import serving

KEY = "sk-ant-fake-upstream"
HI = [{"role": "user", "content": "Hello there"}]
WEATHER = {
    "name": "weather",
    "description": "Current weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, FakeState]]:
    app = create_fake_upstream(FakeConfig(api_key=KEY))
    with serving(app) as url:
        yield url, app.state.fake


@pytest.fixture
def state(fake: tuple[str, FakeState]) -> Iterator[FakeState]:
    yield fake[1]
    fake[1].requests.clear()
    fake[1].faults.clear()


def settings(url: str) -> dict[str, Any]:
    return {
        "backends": {
            "claude": {"type": "anthropic", "base_url": url, "api_key_env": "FAKE_KEY"},
            "openai": {"type": "openai_compat", "base_url": f"{url}/v1", "api_key_env": "FAKE_KEY"},
        },
        "models": {
            "claude": {"backend": "claude", "upstream_model": "claude-sonnet-4-5"},
            "gpt": {"backend": "openai", "upstream_model": "gpt-4o-mini"},
            "sturdy": {
                "deployments": [{"backend": "claude", "upstream_model": "claude-sonnet-4-5"}],
                "fallbacks": ["gpt"],
            },
        },
        "routing": {"retry": {"retries": 0}},
    }


@pytest.fixture
async def app(fake: tuple[str, FakeState], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    monkeypatch.setenv("FAKE_KEY", KEY)
    app = create_app(parse_settings(settings(fake[0]), "test"))
    async with LifespanManager(app) as manager:
        yield manager.app  # type: ignore[misc]


def claude(app: FastAPI) -> anthropic.AsyncAnthropic:
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://gw", timeout=30)
    return anthropic.AsyncAnthropic(base_url="http://gw", api_key="k", http_client=http, max_retries=0)


def gpt(app: FastAPI) -> openai.AsyncOpenAI:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw", timeout=30)
    return openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)


async def test_messages_reach_the_upstream_as_sent(app: FastAPI, state: FakeState) -> None:
    request: dict[str, Any] = {
        "max_tokens": 300,
        "system": [{"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo?"}]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "3 °C"}]},
        ],
        "tools": [WEATHER],
        "tool_choice": {"type": "none"},
        "stop_sequences": ["END"],
        "metadata": {"user_id": "u-1"},
    }
    reply = await claude(app).messages.create(model="claude", **request, extra_body={"temperature": 0.5})
    sent = state.requests[-1]
    assert sent["path"] == "/v1/messages"
    assert sent["headers"]["x-api-key"] == KEY and sent["headers"]["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent["headers"]
    assert sent["json"] == {"model": "claude-sonnet-4-5", **request, "temperature": 0.5}
    assert reply.id.startswith("msg_") and reply.stop_reason == "end_turn"
    assert reply.content[0].type == "text" and reply.content[0].text.startswith("This is a fake answer")
    assert reply.usage.input_tokens == 7  # Be terse. / Weather in Oslo? / 3 °C: words, the fake's rule


async def test_tool_use_and_stop_reasons(app: FastAPI, state: FakeState) -> None:
    client = claude(app)
    used = await client.messages.create(model="claude", max_tokens=50, messages=HI, tools=[WEATHER])  # type: ignore[list-item]
    assert used.stop_reason == "tool_use" and used.content[0].type == "tool_use"
    assert used.content[0].input == {"city": "fake"}
    turn = [
        *HI,
        {"role": "assistant", "content": [block.model_dump() for block in used.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": used.content[0].id, "content": "sunny"}]},
    ]
    after = await client.messages.create(model="claude", max_tokens=50, messages=turn, tool_choice={"type": "none"})  # type: ignore[arg-type]
    assert (
        after.stop_reason == "end_turn"
        and state.requests[-1]["json"]["messages"][2]["content"][0]["content"] == "sunny"
    )
    short = await client.messages.create(model="claude", max_tokens=2, messages=HI)
    stopped = await client.messages.create(model="claude", max_tokens=50, messages=HI, stop_sequences=["answer"])
    assert short.stop_reason == "max_tokens" and short.usage.output_tokens == 2
    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "answer")


@pytest.mark.parametrize("tools", [False, True])
async def test_stream_through_the_anthropic_backend(app: FastAPI, tools: bool) -> None:
    extra: dict[str, Any] = {"tools": [WEATHER]} if tools else {}
    async with claude(app).messages.stream(model="claude", max_tokens=50, messages=HI, **extra) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    if tools:
        assert final.stop_reason == "tool_use" and final.content[0].input == {"city": "fake"}  # type: ignore[union-attr]
    else:
        assert final.content[0].text == "This is a fake answer to: Hello there"  # type: ignore[union-attr]
    assert final.usage.input_tokens == 2 and final.usage.output_tokens > 0


async def test_chat_requests_are_translated(app: FastAPI, state: FakeState) -> None:
    client = gpt(app)
    reply = await client.chat.completions.create(model="claude", messages=[{"role": "system", "content": "Hi."}, *HI])
    sent = state.requests[-1]["json"]
    assert sent["system"] == "Hi." and sent["max_tokens"] == 4096 and sent["messages"] == HI
    assert reply.choices[0].message.content == "This is a fake answer to: Hello there"
    assert reply.choices[0].finish_reason == "stop" and reply.usage is not None and reply.usage.prompt_tokens == 3
    stream = await client.chat.completions.create(
        model="claude", messages=HI, stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "This is a fake answer to: Hello there" and chunks[-1].usage is not None


@pytest.mark.parametrize(
    ("spec", "status", "kind"),
    [
        ({"status": 400, "message": "bad thing"}, 400, "invalid_request_error"),
        ({"status": 429, "retry_after": 2}, 429, "rate_limit_error"),
        ({"status": 529}, 502, "api_error"),
    ],
)
async def test_upstream_errors(app: FastAPI, state: FakeState, spec: dict[str, Any], status: int, kind: str) -> None:
    with pytest.raises(anthropic.APIStatusError) as info:
        await claude(app).messages.create(model="claude", max_tokens=5, messages=HI, extra_body={"fake_fault": spec})
    body: Any = info.value.body
    assert info.value.status_code == status and body["error"]["type"] == kind
    if status == 400:
        assert body["error"]["message"] == "bad thing"


async def test_overloaded_anthropic_falls_back_to_an_openai_deployment(app: FastAPI, state: FakeState) -> None:
    state.faults.append(Fault(status=529))
    reply = await claude(app).messages.create(model="sturdy", max_tokens=20, messages=HI)
    assert [r["path"] for r in state.requests] == ["/v1/messages", "/v1/chat/completions"]
    assert state.requests[-1]["json"]["model"] == "gpt-4o-mini"
    assert reply.type == "message" and reply.content[0].text.startswith("This is a fake answer")  # type: ignore[union-attr]


async def test_stream_cut_by_the_upstream_ends_with_an_error_event(app: FastAPI) -> None:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://gw") as http:
        body = {"model": "claude", "max_tokens": 50, "messages": HI, "stream": True}
        r = await http.post("/v1/messages", json={**body, "fake_fault": {"disconnect_after": 5}})
    events = [line.removeprefix("event: ") for line in r.text.splitlines() if line.startswith("event: ")]
    assert events[0] == "message_start" and events[-1] == "error" and "message_stop" not in events


@pytest.mark.parametrize("stream", [False, True])
async def test_native_answers_are_metered_at_claude_prices(
    fake: tuple[str, FakeState], state: FakeState, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, stream: bool
) -> None:
    """The ledger reads a Messages answer's usage (a stream's prompt counts from message_start, its output from
    message_delta) and prices it from the catalog's Claude entry; cache reads at their own price."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _, key = create_key(engine, "team")
    monkeypatch.setenv("FAKE_KEY", KEY)
    raw = {**settings(fake[0]), "metering": {"enabled": True, "database_url": url, "ledger": {"flush_ms": 5}}}
    app = create_app(parse_settings(raw, "test"))
    ask = {"model": "claude", "max_tokens": 50, "messages": HI, "fake_fault": {"cached_tokens": 1}}
    async with LifespanManager(app) as manager:
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=manager.app), base_url="http://gw")
        r = await http.post("/v1/messages", json={**ask, "stream": stream}, headers={"x-api-key": key})
        assert r.status_code == 200
        row = await _ledger_row(engine)
    price = load_catalog().require("claude-sonnet-4-5")
    assert (row.endpoint, row.stream, row.usage_source) == ("messages", stream, "upstream")
    assert row.prompt_tokens == 3 and row.completion_tokens == 8  # 2 words + 1 read from the cache; 8 words out
    assert row.cost == price.cost(3, 8, cached_tokens=1)
    assert state.requests[-1]["path"] == "/v1/messages"


async def _ledger_row(engine: Any) -> LedgerRow:
    for _ in range(200):
        with Session(engine) as db:
            row = db.scalars(select(LedgerRow).where(LedgerRow.status == 200)).first()
        if row is not None:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError("no ledger row written")
