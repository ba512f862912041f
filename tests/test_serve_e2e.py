"""`crossroads serve` as a real process on a real socket, driven by the official (sync) openai client."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import serving
from tests.support.processes import crossroads_serve
from tests.support.tiny_gguf import write_tiny_gguf

pytestmark = pytest.mark.slow
HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("serve")
    gguf = write_tiny_gguf(tmp / "tiny.gguf")
    with serving(create_fake_upstream(FakeConfig())) as upstream:
        config = tmp / "crossroads.yaml"
        config.write_text(
            "backends:\n"
            f"  tiny: {{type: embedded, model_path: '{gguf}', n_ctx: 256, slots: 1, n_threads: 1}}\n"
            f"  hosted: {{type: openai_compat, base_url: '{upstream}/v1'}}\n"
            "  minilm: {type: sentence_transformers}\n"
            "models:\n"
            "  tiny: {backend: tiny}\n"
            "  gpt-4o-mini: {backend: hosted}\n"
            "  minilm: {backend: minilm}\n"
        )
        with crossroads_serve(config) as base:
            yield base


@pytest.fixture
def client(gateway: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway + "/v1", api_key="unused", max_retries=0, timeout=60)


def test_every_endpoint_over_a_socket(client: openai.OpenAI, gateway: str) -> None:
    assert {m.id for m in client.models.list().data} == {"tiny", "gpt-4o-mini", "minilm"}
    local = client.chat.completions.create(model="tiny", messages=HELLO, max_tokens=5)
    assert local.usage is not None and local.usage.completion_tokens <= 5
    hosted = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert hosted.choices[0].message.content
    text = client.completions.create(model="tiny", prompt="Once upon", max_tokens=4)
    assert text.usage is not None and text.usage.completion_tokens <= 4
    emb = client.embeddings.create(model="minilm", input=["a cat", "a dog"])
    assert len(emb.data[0].embedding) == 384
    assert httpx.get(gateway + "/ready").json()["status"] == "ready"


@pytest.mark.parametrize("model", ["tiny", "gpt-4o-mini"])
def test_streams_over_a_socket(client: openai.OpenAI, model: str) -> None:
    stream = client.chat.completions.create(
        model=model, messages=HELLO, max_tokens=8, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert any(c.choices and c.choices[0].finish_reason for c in chunks)


def test_errors_over_a_socket(client: openai.OpenAI, gateway: str) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-5", messages=HELLO)
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="tiny", input="x")
    resp = httpx.post(
        gateway + "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400 and resp.json()["error"]["type"] == "invalid_request_error"


def test_mid_stream_upstream_drop_ends_the_stream(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stream=True, extra_body={"fake_fault": {"disconnect_after": 2}}
    )
    with pytest.raises(openai.APIError):
        list(stream)


def test_health_answers_while_the_model_generates(gateway: str, client: openai.OpenAI) -> None:
    """A long local generation on one connection; /health keeps answering quickly on another."""
    body = {"model": "tiny", "messages": HELLO, "max_tokens": 200, "stream": True, "ignore_eos": True}
    with httpx.stream("POST", gateway + "/v1/chat/completions", json=body, timeout=60) as resp:
        lines = resp.iter_lines()
        next(lines)
        started = time.monotonic()
        health = httpx.get(gateway + "/health", timeout=5)
        assert health.status_code == 200
        assert time.monotonic() - started < 2.0
