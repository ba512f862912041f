# Over 400 lines: the fake's whole wire contract in one place, in process and over a socket.
"""The fake OpenAI-compatible upstream, driven by the official openai client.

In process (``httpx.ASGITransport``, which buffers streams) for shapes; over a real socket
(uvicorn in a thread) for timing, streaming and disconnects.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import math
import statistics
import struct
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from crossroads.testing.fake_upstream import FakeConfig, Fault, FaultSpecError, create_fake_upstream
from crossroads.testing.server import serving

MODEL = "gpt-4o-mini"
HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there friend"}]
ANSWER = "This is a fake answer to: hello there friend"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}
OTHER_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}


def in_process(app: Any, base: str = "http://fake") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)


@pytest.fixture
def app() -> Any:
    return create_fake_upstream()


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app) as client:
        yield client


@pytest.fixture
def oai(http: httpx.AsyncClient) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url="http://fake/v1", api_key="k", http_client=http, max_retries=0)


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[str, Any]]:
    app = create_fake_upstream()
    with serving(app, log_config=None) as base_url:
        yield base_url, app


@pytest.fixture
def live(live_server: tuple[str, Any]) -> Iterator[openai.OpenAI]:
    """A sync client against the real socket; the server's record and fault queue start empty."""
    base_url, app = live_server
    app.state.fake.requests.clear()
    app.state.fake.faults.clear()
    with openai.OpenAI(base_url=base_url + "/v1", api_key="k", max_retries=0) as client:
        yield client


# ---- chat completions -------------------------------------------------------------------------


async def test_chat_completion_shape_and_usage(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(model=MODEL, messages=HELLO)
    assert isinstance(result, ChatCompletion)
    assert result.id.startswith("chatcmpl-") and result.object == "chat.completion" and result.model == MODEL
    choice = result.choices[0]
    assert (choice.index, choice.finish_reason, choice.logprobs) == (0, "stop", None)
    assert choice.message.role == "assistant" and choice.message.refusal is None
    assert choice.message.content == ANSWER
    assert result.usage is not None
    assert result.usage.prompt_tokens == 5  # "Be brief." + "hello there friend"
    assert result.usage.completion_tokens == len(ANSWER.split())
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert result.usage.prompt_tokens_details and result.usage.prompt_tokens_details.cached_tokens == 0
    assert result.usage.completion_tokens_details and result.usage.completion_tokens_details.reasoning_tokens == 0
    assert result.system_fingerprint


async def test_raw_chat_body_has_every_openai_field(http: httpx.AsyncClient) -> None:
    body = (await http.post("/v1/chat/completions", json={"model": MODEL, "messages": HELLO})).json()
    assert set(body) == {"id", "object", "created", "model", "choices", "usage", "service_tier", "system_fingerprint"}
    assert set(body["choices"][0]) == {"index", "message", "logprobs", "finish_reason"}
    assert body["choices"][0]["message"]["refusal"] is None


@pytest.mark.parametrize("limit_field", ["max_tokens", "max_completion_tokens"])
async def test_token_limit_truncates_with_length(oai: openai.AsyncOpenAI, limit_field: str) -> None:
    result = await oai.chat.completions.create(model=MODEL, messages=HELLO, **{limit_field: 3})
    assert result.choices[0].message.content == "This is a"
    assert result.choices[0].finish_reason == "length"
    assert result.usage.completion_tokens == 3


async def test_stop_string_truncates_with_stop(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(model=MODEL, messages=HELLO, stop=[" fake"])
    assert result.choices[0].message.content == "This is a"
    assert result.choices[0].finish_reason == "stop"


async def test_n_choices_count_in_usage(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(model=MODEL, messages=HELLO, n=3)
    assert [c.index for c in result.choices] == [0, 1, 2]
    assert result.usage.completion_tokens == 3 * len(ANSWER.split())


async def test_stream_with_usage(oai: openai.AsyncOpenAI) -> None:
    stream = await oai.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert len({(c.id, c.created) for c in chunks}) == 1
    first, finish, last = chunks[0], chunks[-2], chunks[-1]
    assert (first.choices[0].delta.role, first.choices[0].delta.content) == ("assistant", "")
    assert "".join(c.choices[0].delta.content or "" for c in chunks[:-1]) == ANSWER
    assert len(chunks) == len(ANSWER.split()) + 3  # role, one per token, finish, usage
    assert finish.choices[0].finish_reason == "stop" and finish.choices[0].delta.content is None
    assert last.choices == [] and last.usage is not None
    assert last.usage.total_tokens == 5 + len(ANSWER.split())
    assert all(c.usage is None for c in chunks[:-1])


async def test_raw_stream_framing(http: httpx.AsyncClient) -> None:
    body = {"model": MODEL, "messages": HELLO, "stream": True}
    response = await http.post("/v1/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    payloads = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert all("usage" not in p for p in payloads)  # only present when include_usage asked for it
    assert payloads[-1]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}


async def test_json_object_response_format(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        response_format={"type": "json_object"},
    )
    assert json.loads(result.choices[0].message.content or "") == {"answer": ANSWER}


# ---- tools ------------------------------------------------------------------------------------


async def test_tools_call_first_function_with_schema_arguments(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        tools=[WEATHER_TOOL, OTHER_TOOL],
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.id.startswith("call_") and call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "fake", "days": 1}


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [({"type": "function", "function": {"name": "get_time"}}, "get_time"), ("required", "get_weather")],
)
async def test_tool_choice_picks_the_function(oai: openai.AsyncOpenAI, tool_choice: Any, expected: str) -> None:
    result = await oai.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        tools=[WEATHER_TOOL, OTHER_TOOL],
        tool_choice=tool_choice,
    )
    assert result.choices[0].message.tool_calls[0].function.name == expected


async def test_tool_choice_none_answers_in_text(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        tools=[WEATHER_TOOL],
        tool_choice="none",
    )
    assert result.choices[0].message.content == ANSWER and result.choices[0].message.tool_calls is None


async def test_streamed_tool_call_deltas(oai: openai.AsyncOpenAI) -> None:
    stream = await oai.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        tools=[WEATHER_TOOL],
        stream=True,
    )
    chunks = [chunk async for chunk in stream]
    first = chunks[0].choices[0].delta.tool_calls[0]
    assert first.id and first.type == "function" and first.function.name == "get_weather"
    pieces = [c.choices[0].delta.tool_calls[0].function.arguments for c in chunks[1:-1]]
    assert json.loads("".join(pieces)) == {"city": "fake", "days": 1}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


# ---- completions, embeddings, models ----------------------------------------------------------


async def test_legacy_completions(oai: openai.AsyncOpenAI) -> None:
    result = await oai.completions.create(model=MODEL, prompt="once upon a time", max_tokens=4)
    assert isinstance(result, Completion) and result.object == "text_completion"
    assert result.choices[0].text == "This is a fake" and result.choices[0].finish_reason == "length"
    assert result.usage and (result.usage.prompt_tokens, result.usage.completion_tokens) == (4, 4)
    default = await oai.completions.create(model=MODEL, prompt=" ".join(["w"] * 30))
    assert default.usage and default.usage.completion_tokens == 16  # OpenAI's default max_tokens


async def test_legacy_completions_stream(oai: openai.AsyncOpenAI) -> None:
    stream = await oai.completions.create(model=MODEL, prompt="hi", stream=True, stream_options={"include_usage": True})
    chunks = [chunk async for chunk in stream]
    assert all(isinstance(c, Completion) for c in chunks)
    assert "".join(c.choices[0].text for c in chunks[:-1]) == "This is a fake answer to: hi"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage and chunks[-1].usage.total_tokens == 1 + 7


async def test_embeddings_are_deterministic_unit_vectors(oai: openai.AsyncOpenAI) -> None:
    result = await oai.embeddings.create(model="text-embedding-3-small", input=["a b", "c"], encoding_format="float")
    again = await oai.embeddings.create(model="text-embedding-3-small", input="a b", encoding_format="float")
    assert isinstance(result, CreateEmbeddingResponse)
    vectors = [d.embedding for d in result.data]
    assert [len(v) for v in vectors] == [8, 8] and vectors[0] != vectors[1]
    assert all(math.isclose(math.hypot(*v), 1.0, rel_tol=1e-5) for v in vectors)
    assert again.data[0].embedding == vectors[0]
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (3, 3)


async def test_embeddings_base64_and_dimensions(oai: openai.AsyncOpenAI) -> None:
    floats = await oai.embeddings.create(model="m", input="hi", dimensions=16, encoding_format="float")
    encoded = await oai.embeddings.create(model="m", input="hi", dimensions=16, encoding_format="base64")
    raw = base64.b64decode(encoded.data[0].embedding)
    assert list(struct.unpack("<16f", raw)) == floats.data[0].embedding


async def test_embeddings_of_token_arrays(oai: openai.AsyncOpenAI) -> None:
    result = await oai.embeddings.create(model="m", input=[[1, 2, 3], [4, 5]], encoding_format="float")
    assert len(result.data) == 2 and result.usage.prompt_tokens == 5


async def test_models(oai: openai.AsyncOpenAI) -> None:
    listed = await oai.models.list()
    assert [m.id for m in listed.data] == ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"]
    assert (await oai.models.retrieve("gpt-4o")).object == "model"
    with pytest.raises(openai.NotFoundError) as caught:
        await oai.models.retrieve("no-such-model")
    assert caught.value.code == "model_not_found"


# ---- request errors and auth ------------------------------------------------------------------


async def test_invalid_json_is_an_openai_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "could not parse the JSON body" in response.json()["error"]["message"]


@pytest.mark.parametrize(("body", "param"), [({"model": MODEL}, "messages"), ({"messages": HELLO}, "model")])
async def test_missing_parameter_is_named(oai: openai.AsyncOpenAI, body: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await oai.post("/chat/completions", body=body, cast_to=ChatCompletion)
    assert caught.value.param == param and caught.value.code == "missing_required_parameter"


async def test_api_key_required_when_configured() -> None:
    app = create_fake_upstream(FakeConfig(api_key="sk-right"))
    async with in_process(app) as http:
        wrong = openai.AsyncOpenAI(base_url="http://fake/v1", api_key="sk-wrong", http_client=http, max_retries=0)
        with pytest.raises(openai.AuthenticationError) as caught:
            await wrong.models.list()
        assert caught.value.code == "invalid_api_key"
        right = openai.AsyncOpenAI(base_url="http://fake/v1", api_key="sk-right", http_client=http)
        assert (await right.chat.completions.create(model=MODEL, messages=HELLO)).choices
        azure_style = await http.get("/v1/models", headers={"api-key": "sk-right"})
        assert azure_style.status_code == 200


async def test_strict_models_reject_unknown_model() -> None:
    async with in_process(create_fake_upstream(FakeConfig(strict_models=True))) as http:
        client = openai.AsyncOpenAI(base_url="http://fake/v1", api_key="k", http_client=http, max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            await client.chat.completions.create(model="gpt-9", messages=HELLO)
        assert caught.value.code == "model_not_found"


# ---- Azure ------------------------------------------------------------------------------------


async def test_azure_deployment_paths(app: Any, http: httpx.AsyncClient) -> None:
    azure = openai.AsyncAzureOpenAI(
        azure_endpoint="http://fake", api_key="az-key", api_version="2024-10-21", http_client=http, max_retries=0
    )
    result = await azure.chat.completions.create(model="my-deployment", messages=HELLO)
    assert result.model == "my-deployment" and result.choices[0].message.content == ANSWER
    vectors = await azure.embeddings.create(model="emb-deployment", input="x", encoding_format="float")
    assert len(vectors.data[0].embedding) == 8
    sent = app.state.fake.requests[0]
    assert sent["path"] == "/openai/deployments/my-deployment/chat/completions"
    assert sent["query"] == {"api-version": "2024-10-21"} and sent["headers"]["api-key"] == "az-key"


async def test_azure_without_api_version_is_404(http: httpx.AsyncClient) -> None:
    response = await http.post("/openai/deployments/d/chat/completions", json={"messages": HELLO})
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


# ---- request record ---------------------------------------------------------------------------


async def test_record_keeps_what_was_sent(oai: openai.AsyncOpenAI, http: httpx.AsyncClient) -> None:
    await oai.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        extra_body={"vendor_knob": {"x": 1}},
        extra_headers={"x-trace": "t1"},
    )
    recorded = (await http.get("/_fake/requests")).json()
    assert len(recorded) == 1
    entry = recorded[0]
    assert (entry["method"], entry["path"], entry["query"]) == ("POST", "/v1/chat/completions", {})
    assert entry["json"]["vendor_knob"] == {"x": 1} and entry["json"]["messages"] == HELLO
    assert entry["headers"]["authorization"] == "Bearer k" and entry["headers"]["x-trace"] == "t1"
    assert (await http.delete("/_fake/requests")).json() == {"cleared": 1}
    assert (await http.get("/_fake/requests")).json() == []


async def test_record_is_bounded() -> None:
    app = create_fake_upstream(FakeConfig(record_limit=3))
    async with in_process(app) as http:
        for i in range(5):
            await http.get(f"/v1/models?page={i}")
        assert [r["query"]["page"] for r in (await http.get("/_fake/requests")).json()] == ["2", "3", "4"]


# ---- faults: spec and sources -----------------------------------------------------------------


def test_fault_spec_parsing() -> None:
    fault = Fault.from_dict({"status": 429, "retry_after": 2, "latency_ms": 5})
    assert fault == Fault(status=429, retry_after=2, latency_ms=5)
    assert fault.to_dict() == {"status": 429, "retry_after": 2, "latency_ms": 5}
    for spec, field in [({"latency": 1}, "latency"), ({"status": 200}, "status"), ({"tokens": -1}, "tokens")]:
        with pytest.raises(FaultSpecError) as caught:
            Fault.from_dict(spec)
        assert caught.value.field == field and field in str(caught.value)


async def test_status_fault_with_retry_after(oai: openai.AsyncOpenAI) -> None:
    fault = {"status": 429, "retry_after": 7, "message": "slow down"}
    with pytest.raises(openai.RateLimitError) as caught:
        await oai.chat.completions.create(model=MODEL, messages=HELLO, extra_body={"fake_fault": fault})
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.message.endswith("slow down") and caught.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.InternalServerError):
        await oai.embeddings.create(model="m", input="x", extra_headers={"x-fake-fault": '{"status": 503}'})


async def test_fault_sources_in_order(app: Any, oai: openai.AsyncOpenAI, http: httpx.AsyncClient) -> None:
    app.state.fake.config.default = Fault(content="from default")
    queued = await http.post("/_fake/faults", json=[{"content": "queued one"}, {"content": "queued two"}])
    assert queued.json() == {"queued": 2}

    async def answer(**extra: Any) -> str | None:
        result = await oai.chat.completions.create(model=MODEL, messages=HELLO, **extra)
        return result.choices[0].message.content

    header = {"x-fake-fault": '{"content": "from header"}'}
    body = {"fake_fault": {"content": "from body"}}
    assert await answer(extra_headers=header, extra_body=body) == "from header"
    assert await answer(extra_body=body) == "from body"
    assert (await http.get("/_fake/faults")).json() == [{"content": "queued one"}, {"content": "queued two"}]
    assert [await answer(), await answer(), await answer()] == ["queued one", "queued two", "from default"]
    await http.post("/_fake/faults", json={"content": "dropped"})
    assert (await http.delete("/_fake/faults")).json() == {"cleared": 1}
    assert await answer() == "from default"


@pytest.mark.parametrize(
    ("where", "spec"),
    [("header", '{"latency_ms": "slow"}'), ("body", {"latency_ms": "slow"}), ("queue", [{"latency_ms": "slow"}])],
)
async def test_invalid_fault_names_the_field(http: httpx.AsyncClient, where: str, spec: Any) -> None:
    chat = {"model": MODEL, "messages": HELLO}
    if where == "header":
        response = await http.post("/v1/chat/completions", json=chat, headers={"x-fake-fault": spec})
    elif where == "body":
        response = await http.post("/v1/chat/completions", json=chat | {"fake_fault": spec})
    else:
        response = await http.post("/_fake/faults", json=spec)
    assert response.status_code == 400 and "latency_ms" in response.json()["error"]["message"]


async def test_tokens_and_content_faults(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(model=MODEL, messages=HELLO, extra_body={"fake_fault": {"tokens": 5}})
    assert result.choices[0].message.content == "tok0 tok1 tok2 tok3 tok4" and result.usage.completion_tokens == 5
    exact = "Line one.\nLine  two."
    result = await oai.chat.completions.create(
        model=MODEL, messages=HELLO, extra_body={"fake_fault": {"content": exact}}
    )
    assert result.choices[0].message.content == exact and result.usage.completion_tokens == 4


async def test_disconnect_in_process_is_an_error(oai: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.APIConnectionError):
        await oai.chat.completions.create(
            model=MODEL, messages=HELLO, extra_body={"fake_fault": {"disconnect_after": 0}}
        )


# ---- faults over a real socket: timing, disconnects, malformed streams -------------------------


def _elapsed(start: float) -> float:
    return time.perf_counter() - start


def test_latency_fault_delays_the_response(live: openai.OpenAI) -> None:
    start = time.perf_counter()
    live.chat.completions.create(model=MODEL, messages=HELLO, extra_body={"fake_fault": {"latency_ms": 150}})
    assert 0.15 <= _elapsed(start) < 2.0  # the lower bound is the promise; the upper catches a stuck wait


def test_non_stream_waits_ttft_plus_tokens_times_delay(live: openai.OpenAI) -> None:
    fault = {"ttft_ms": 50, "token_delay_ms": 10, "tokens": 10}
    start = time.perf_counter()
    live.chat.completions.create(model=MODEL, messages=HELLO, extra_body={"fake_fault": fault})
    assert 0.15 <= _elapsed(start) < 2.0


def test_stream_ttft_and_token_gaps(live: openai.OpenAI) -> None:
    live.models.list()  # warm the connection
    fault = {"latency_ms": 30, "ttft_ms": 100, "token_delay_ms": 25, "tokens": 9}
    start = time.perf_counter()
    stream = live.chat.completions.create(model=MODEL, messages=HELLO, stream=True, extra_body={"fake_fault": fault})
    arrivals = [_elapsed(start) for chunk in stream if chunk.choices and chunk.choices[0].delta.content]
    assert len(arrivals) == 9
    assert 0.13 <= arrivals[0] < 2.0  # latency + ttft
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert 0.024 <= statistics.mean(gaps) < 0.25


def test_stream_disconnect_is_a_client_error(live: openai.OpenAI, caplog: pytest.LogCaptureFixture) -> None:
    received = []
    fault = {"disconnect_after": 3}
    with caplog.at_level(logging.WARNING), pytest.raises(openai.APIConnectionError) as caught:
        for chunk in live.chat.completions.create(
            model=MODEL, messages=HELLO, stream=True, extra_body={"fake_fault": fault}
        ):
            received.append(chunk)
    assert len(received) == 3
    assert "incomplete chunked read" in str(caught.value.__cause__)  # not a clean end of the body
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]  # a clean drop, no server error
    assert live.chat.completions.create(model=MODEL, messages=HELLO).choices


def test_non_stream_disconnect_sends_no_response(live: openai.OpenAI, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(openai.APIConnectionError) as caught:
        live.chat.completions.create(model=MODEL, messages=HELLO, extra_body={"fake_fault": {"disconnect_after": 0}})
    assert "disconnected without sending a response" in str(caught.value.__cause__)
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]


def test_malformed_chunk_is_a_client_error(live: openai.OpenAI) -> None:
    received = []
    with pytest.raises(json.JSONDecodeError):
        stream = live.chat.completions.create(
            model=MODEL,
            messages=HELLO,
            stream=True,
            extra_body={"fake_fault": {"malformed_after": 2}},
        )
        received.extend(stream)
    assert len(received) == 2


def test_scripted_faults_over_http_then_recovery(live_server: tuple[str, Any], live: openai.OpenAI) -> None:
    base_url, _ = live_server
    httpx.post(base_url + "/_fake/faults", json=[{"status": 500}, {"status": 502}]).raise_for_status()
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            live.chat.completions.create(model=MODEL, messages=HELLO)
    assert live.chat.completions.create(model=MODEL, messages=HELLO).choices[0].message.content == ANSWER
    assert [r["path"] for r in httpx.get(base_url + "/_fake/requests").json()] == ["/v1/chat/completions"] * 3


def test_stream_disconnect_seen_by_plain_httpx(live_server: tuple[str, Any], live: openai.OpenAI) -> None:
    base_url, _ = live_server
    body = {"model": MODEL, "messages": HELLO, "stream": True, "fake_fault": {"disconnect_after": 2}}
    with httpx.Client(base_url=base_url) as http, http.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            response.read()


async def test_stream_with_n_choices(oai: openai.AsyncOpenAI) -> None:
    stream = await oai.chat.completions.create(model=MODEL, messages=HELLO, n=2, stream=True)
    texts = ["", ""]
    async for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
    assert texts == [ANSWER, ANSWER]


async def test_invalid_embedding_input_is_a_400(oai: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        await oai.embeddings.create(model="m", input=[], encoding_format="float")


async def test_unknown_path_and_method_answer_openai_json(http: httpx.AsyncClient) -> None:
    missing = await http.post("/v1/nothing-here", json={})
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "Invalid URL (POST /v1/nothing-here)"
    wrong = await http.get("/v1/chat/completions")
    assert wrong.status_code == 405 and wrong.json()["error"]["type"] == "invalid_request_error"


def test_disconnect_after_past_the_end_still_drops(live: openai.OpenAI) -> None:
    received = []
    fault = {"disconnect_after": 1000}
    with pytest.raises(openai.APIConnectionError):
        received.extend(
            live.chat.completions.create(model=MODEL, messages=HELLO, stream=True, extra_body={"fake_fault": fault})
        )
    assert received[-1].choices[0].finish_reason == "stop"  # every chunk arrived, then no [DONE] and no clean end


async def test_malformed_non_stream_body_is_cut(http: httpx.AsyncClient) -> None:
    body = {"model": MODEL, "messages": HELLO, "fake_fault": {"malformed_after": 20}}
    response = await http.post("/v1/chat/completions", json=body)
    assert response.status_code == 200 and len(response.content) == 20
    with pytest.raises(json.JSONDecodeError):
        response.json()
