"""What an OpenAI-compatible upstream leaves out of the spec, the gateway fills in: the fake upstream
answering as llama.cpp's server does (no ``refusal``, no ``usage``, ``include_usage`` ignored)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.backends import Endpoint
from crossroads.backends.spec import CountedUsage, fill_answer
from crossroads.config import parse_settings
from crossroads.metering import tokens
from crossroads.testing.fake_upstream import Fault

HELLO = [{"role": "user", "content": "Hello there"}]
ANSWER = "one two three four"


@pytest.fixture
async def client(up: Any) -> AsyncIterator[openai.AsyncOpenAI]:
    url, state = up
    state.faults.extend(Fault.from_dict({"content": ANSWER, "spec_departures": True}) for _ in range(2))
    backend = {"type": "openai_compat", "base_url": f"{url}/v1"}
    settings = parse_settings({"backends": {"fake": backend}, "models": {"chat": {"backend": "fake"}}}, "test")
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)


async def test_refusal_and_usage_are_filled_in(client: openai.AsyncOpenAI) -> None:
    raw = await client.chat.completions.with_raw_response.create(model="chat", messages=HELLO)  # type: ignore[arg-type]
    answer = json.loads(raw.content)
    assert answer["choices"][0]["message"]["refusal"] is None
    prompt = tokens.count_prompt("chat", {"messages": HELLO})
    completion = tokens.count_text("chat", ANSWER)
    assert answer["usage"] == {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


async def test_a_usage_chunk_when_the_client_asked(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="chat",
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},  # type: ignore[arg-type]
    )
    chunks = [c async for c in stream]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == tokens.count_text("chat", ANSWER)
    assert all(c.usage is None for c in chunks[:-1])


async def test_no_usage_chunk_when_the_client_did_not_ask(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model="chat", messages=HELLO, stream=True)  # type: ignore[arg-type]
    chunks = [c async for c in stream]
    assert all(c.choices for c in chunks) and "".join(c.choices[0].delta.content or "" for c in chunks) == ANSWER


def test_an_upstream_usage_is_kept_as_it_is() -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    answer = {"choices": [{"message": {"role": "assistant", "content": "x", "refusal": None}}], "usage": usage}
    filled = fill_answer(Endpoint.CHAT, {"model": "m", "messages": HELLO}, answer)
    assert filled["usage"] is usage and not isinstance(filled["usage"], CountedUsage)
    assert filled["object"] == "chat.completion" and isinstance(filled["created"], int)
