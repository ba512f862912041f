"""The openai_compat backend against a real peer: llama.cpp's own OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import parse_settings
from tests.support.processes import llama_cpp_server

pytestmark = pytest.mark.slow
QUESTION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]


@pytest.fixture(scope="module")
def llama_url() -> Iterator[str]:
    with llama_cpp_server() as url:
        yield url


@pytest.fixture
async def client(llama_url: str) -> AsyncIterator[openai.AsyncOpenAI]:
    settings = parse_settings(
        {
            "backends": {
                "llamacpp": {
                    "type": "openai_compat",
                    "base_url": llama_url,
                    "location": "local",
                    "timeout": {"read": 300, "total": 600},  # grammar-constrained decoding is slow on a busy CPU
                }
            },
            "models": {"smol": {"backend": "llamacpp", "upstream_model": "smollm2"}},
        },
        "test",
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)


async def test_chat_through_gateway(client: openai.AsyncOpenAI) -> None:
    reply = await client.chat.completions.create(model="smol", messages=QUESTION, max_tokens=24, temperature=0)
    assert "Paris" in (reply.choices[0].message.content or "")
    assert reply.usage is not None and reply.usage.completion_tokens > 0


async def test_stream_through_gateway(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="smol", messages=QUESTION, max_tokens=24, temperature=0, stream=True
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Paris" in text
    assert len(chunks) > 3


async def test_json_mode_passes_through(client: openai.AsyncOpenAI) -> None:
    reply = await client.chat.completions.create(
        model="smol",
        messages=[{"role": "user", "content": "Give a JSON object with a key city for the capital of France."}],
        response_format={"type": "json_object"},
        max_tokens=40,
        temperature=0,
    )
    assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)


async def test_ready_and_unknown_model(client: openai.AsyncOpenAI) -> None:
    http: httpx.AsyncClient = client._client
    status = ""
    for _ in range(60):  # the server answers its probe only between generations
        status = (await http.get("/ready")).json()["status"]
        if status == "ready":
            break
        await asyncio.sleep(1)
    assert status == "ready"
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(model="smollm2", messages=QUESTION)


async def test_the_gateway_fills_in_what_llama_cpp_leaves_out(llama_url: str, client: openai.AsyncOpenAI) -> None:
    """llama.cpp's server answers without the required ``refusal``; through the gateway it is there (null)."""
    body = {"model": "smollm2", "messages": QUESTION, "max_tokens": 8, "temperature": 0}
    async with httpx.AsyncClient(timeout=300) as http:
        direct = (await http.post(f"{llama_url}/chat/completions", json=body)).json()
    assert "refusal" not in direct["choices"][0]["message"]  # the departure is real
    raw = await client.chat.completions.with_raw_response.create(
        model="smol", messages=QUESTION, max_tokens=8, temperature=0
    )
    answer = json.loads(raw.content)
    assert answer["choices"][0]["message"]["refusal"] is None
    assert {"id", "object", "created", "model", "usage"} <= set(answer)


async def test_a_usage_chunk_for_a_client_that_asked_although_llama_cpp_ignores_it(
    llama_url: str, client: openai.AsyncOpenAI
) -> None:
    from crossroads.metering import tokens

    body = {"model": "smollm2", "messages": QUESTION, "max_tokens": 8, "temperature": 0, "stream": True}
    body["stream_options"] = {"include_usage": True}
    async with httpx.AsyncClient(timeout=300) as http:
        direct = (await http.post(f"{llama_url}/chat/completions", json=body)).text
    assert '"prompt_tokens"' not in direct  # llama.cpp sends no usage chunk
    stream = await client.chat.completions.create(
        model="smol",
        messages=QUESTION,
        max_tokens=8,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == tokens.count_text("smollm2", text) > 0
    assert last.usage.prompt_tokens == tokens.count_prompt("smollm2", {"messages": QUESTION})
    assert all(c.usage is None for c in chunks[:-1])
