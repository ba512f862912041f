"""The openai_compat backend against the bundled fake upstream: wire fidelity and every fault."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.testing.fake_upstream import FakeConfig, FakeState, create_fake_upstream
from crossroads.testing.server import free_port, serving

HELLO = [{"role": "user", "content": "Hello there"}]
KEY = "sk-test-upstream"


@dataclass
class Upstream:
    base_url: str
    state: FakeState

    @property
    def url(self) -> str:
        return self.base_url + "/v1"


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    app = create_fake_upstream(FakeConfig(api_key=KEY))
    with serving(app) as base_url:
        yield Upstream(base_url, app.state.fake)


@pytest.fixture(autouse=True)
def _clean(upstream: Upstream) -> None:
    upstream.state.requests.clear()
    upstream.state.faults.clear()


def settings_for(upstream: Upstream, **backend: Any) -> dict[str, Any]:
    openai_backend = {"type": "openai_compat", "base_url": upstream.url, "api_key_env": "FAKE_KEY"}
    azure = {**openai_backend, "flavor": "azure", "base_url": upstream.base_url, "api_version": "2024-10-21"}
    refused = {"type": "openai_compat", "base_url": f"http://127.0.0.1:{free_port()}/v1"}
    return {
        "backends": {"up": {**openai_backend, **backend}, "azure": azure, "refused": refused},
        "models": {
            "gpt": {"backend": "up", "upstream_model": "gpt-4o-mini"},
            "az": {"backend": "azure", "upstream_model": "my-deployment"},
            "gone": {"backend": "refused"},
        },
    }


async def make_client(raw: dict[str, Any]) -> AsyncIterator[openai.AsyncOpenAI]:
    app = create_app(parse_settings(raw, "test"))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=30) as http:
            yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)


@pytest.fixture
async def client(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[openai.AsyncOpenAI]:
    monkeypatch.setenv("FAKE_KEY", KEY)
    async for c in make_client(settings_for(upstream)):
        yield c


async def test_chat_passes_body_and_key(client: openai.AsyncOpenAI, upstream: Upstream) -> None:
    reply = await client.chat.completions.create(
        model="gpt", messages=HELLO, max_tokens=3, extra_body={"top_k": 7, "vendor": {"x": 1}}
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    sent = upstream.state.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    assert sent["json"]["model"] == "gpt-4o-mini"
    assert sent["json"]["top_k"] == 7 and sent["json"]["vendor"] == {"x": 1}


async def test_stream_with_usage(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage.completion_tokens == len(text.split())


async def test_tools_pass_through(client: openai.AsyncOpenAI) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    reply = await client.chat.completions.create(model="gpt", messages=HELLO, tools=[tool])  # type: ignore[list-item]
    calls = reply.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "lookup"  # type: ignore[union-attr]


async def test_completions_and_embeddings(client: openai.AsyncOpenAI, upstream: Upstream) -> None:
    done = await client.completions.create(model="gpt", prompt="Say hi", max_tokens=2)
    assert done.choices[0].finish_reason == "length"
    emb = await client.embeddings.create(model="gpt", input=["a", "b"], encoding_format="float")
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 8
    assert upstream.state.requests[-1]["path"] == "/v1/embeddings"


async def test_azure_flavor(client: openai.AsyncOpenAI, upstream: Upstream) -> None:
    reply = await client.chat.completions.create(model="az", messages=HELLO)
    assert reply.choices[0].message.content
    sent = upstream.state.requests[-1]
    assert sent["path"] == "/openai/deployments/my-deployment/chat/completions"
    assert sent["query"] == {"api-version": "2024-10-21"}
    assert sent["headers"]["api-key"] == KEY
    assert "authorization" not in sent["headers"]


def fault(**spec: Any) -> dict[str, Any]:
    return {"fake_fault": spec}


@pytest.mark.parametrize(
    ("spec", "error", "status"),
    [
        ({"status": 400, "message": "bad thing"}, openai.BadRequestError, 400),
        ({"status": 404}, openai.NotFoundError, 404),
        ({"status": 429, "retry_after": 2}, openai.RateLimitError, 429),
        ({"status": 500}, openai.APIStatusError, 502),
        ({"status": 503}, openai.APIStatusError, 502),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
async def test_upstream_status(
    client: openai.AsyncOpenAI, spec: dict[str, Any], error: type[Exception], status: int, stream: bool
) -> None:
    with pytest.raises(error) as info:
        await client.chat.completions.create(model="gpt", messages=HELLO, stream=stream, extra_body=fault(**spec))
    assert isinstance(info.value, openai.APIStatusError)
    assert info.value.status_code == status
    if status == 429:
        assert info.value.response.headers["retry-after"] == "2"
    if status == 400:
        assert info.value.body["message"] == "bad thing"  # type: ignore[index]
    if status == 502:
        assert f"returned HTTP {spec['status']}" in info.value.message


@pytest.mark.parametrize("stream", [False, True])
async def test_upstream_timeout_is_504(upstream: Upstream, monkeypatch: pytest.MonkeyPatch, stream: bool) -> None:
    monkeypatch.setenv("FAKE_KEY", KEY)
    raw = settings_for(upstream, timeout={"read": 0.2, "total": 5})
    async for client in make_client(raw):
        with pytest.raises(openai.APIStatusError) as info:
            await client.chat.completions.create(
                model="gpt", messages=HELLO, stream=stream, extra_body=fault(latency_ms=1500)
            )
        assert info.value.status_code == 504


@pytest.mark.parametrize("stream", [False, True])
async def test_connection_refused_is_502(client: openai.AsyncOpenAI, stream: bool) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="gone", messages=HELLO, stream=stream)
    assert info.value.status_code == 502
    assert "Backend 'refused' failed" in info.value.message


async def test_disconnect_without_response_is_502(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="gpt", messages=HELLO, extra_body=fault(disconnect_after=0))
    assert info.value.status_code == 502


@pytest.mark.parametrize(
    ("spec", "says"), [({"disconnect_after": 3}, "Backend 'up'"), ({"malformed_after": 3}, "malformed")]
)
async def test_mid_stream_failure_ends_with_error_event(
    client: openai.AsyncOpenAI, spec: dict[str, Any], says: str
) -> None:
    stream = await client.chat.completions.create(model="gpt", messages=HELLO, stream=True, extra_body=fault(**spec))
    received = []
    with pytest.raises(openai.APIError) as info:
        async for chunk in stream:
            received.append(chunk)
    assert len(received) >= 1
    assert says in info.value.message


async def test_missing_key_is_503_that_teaches(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAKE_KEY", raising=False)
    async for client in make_client(settings_for(upstream)):
        with pytest.raises(openai.APIStatusError) as info:
            await client.chat.completions.create(model="gpt", messages=HELLO)
        assert info.value.status_code == 503
        assert "set FAKE_KEY" in info.value.message


async def test_a_rejected_upstream_key_is_502_with_the_detail_in_the_log_only(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-wrong")
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", "cr-master-test")
    async for client in make_client(settings_for(upstream)):
        with pytest.raises(openai.APIStatusError) as info:
            await client.chat.completions.create(model="gpt", messages=HELLO)
        assert info.value.status_code == 502 and info.value.code == "upstream_auth_failed"
        assert "Upstream credentials rejected" in info.value.message
        assert "Incorrect API key" not in info.value.message and "platform.openai.com" not in info.value.message
        assert "Incorrect API key provided" in caplog.text  # the operator sees what the upstream said
        http: httpx.AsyncClient = client._client
        ready = (await http.get("/ready", headers={"authorization": "Bearer cr-master-test"})).json()
        assert "rejected the key" in ready["backends"]["up"]["reason"]
        assert "cannot reach" in ready["backends"]["refused"]["reason"]
