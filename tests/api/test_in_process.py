"""Every endpoint through the official openai client, in process, over scripted backends."""

from __future__ import annotations

import httpx
import openai
import pytest

from crossroads.errors import BadGateway, GatewayTimeout, UpstreamStatusError
from tests.support.scripted import ScriptedBackend

HELLO = [{"role": "user", "content": "Hello"}]


async def test_chat_completion(client: openai.AsyncOpenAI, scripted: dict[str, ScriptedBackend]) -> None:
    reply = await client.chat.completions.create(model="small", messages=HELLO)
    assert reply.choices[0].message.content == "Hello from the script."
    assert reply.usage is not None and reply.usage.completion_tokens == 4
    assert scripted["local"].calls[0][1]["messages"] == HELLO


async def test_alias_and_upstream_name(client: openai.AsyncOpenAI, scripted: dict[str, ScriptedBackend]) -> None:
    await client.chat.completions.create(model="tiny", messages=HELLO)
    await client.chat.completions.create(model="big", messages=HELLO)
    assert scripted["local"].calls[0][1]["model"] == "small"
    assert scripted["remote"].calls[0][1]["model"] == "gpt-4o"


async def test_unknown_fields_reach_the_backend(
    client: openai.AsyncOpenAI, scripted: dict[str, ScriptedBackend]
) -> None:
    await client.chat.completions.create(model="big", messages=HELLO, extra_body={"guided_regex": "a+", "top_k": 5})
    sent = scripted["remote"].calls[0][1]
    assert sent["guided_regex"] == "a+" and sent["top_k"] == 5


async def test_stream(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model="small", messages=HELLO, stream=True)
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "Hello from the script."
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_completions_and_embeddings(client: openai.AsyncOpenAI) -> None:
    completion = await client.completions.create(model="small", prompt="Say hi")
    assert completion.choices[0].text == "Hello from the script."
    emb = await client.embeddings.create(model="small", input=["a", "bb"])
    assert [d.index for d in emb.data] == [0, 1]


async def test_models(client: openai.AsyncOpenAI) -> None:
    listed = await client.models.list()
    assert [m.id for m in listed.data] == ["small", "big"]
    assert all(m.created > 0 for m in listed.data)
    one = await client.models.retrieve("tiny")
    assert one.id == "small"
    with pytest.raises(openai.NotFoundError) as info:
        await client.models.retrieve("nope")
    assert info.value.code == "model_not_found"


async def test_unknown_model_is_404(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await client.chat.completions.create(model="gpt-5", messages=HELLO)
    assert info.value.code == "model_not_found"
    assert info.value.param == "model"
    assert "small" in info.value.message


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"messages": HELLO, "temperature": 7}, "temperature"),
        ({"messages": HELLO, "n": 0}, "n"),
        ({"messages": HELLO, "max_tokens": "ten"}, "max_tokens"),
        ({"messages": HELLO, "stream": "yes"}, "stream"),
        ({"messages": HELLO, "response_format": {"type": "xml"}}, "response_format.type"),
    ],
)
async def test_bad_fields_name_the_param(client: openai.AsyncOpenAI, kwargs: dict[str, object], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="small", **kwargs)  # type: ignore[call-overload]
    assert info.value.status_code == 400
    assert info.value.param == param


async def test_missing_messages(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.post("/chat/completions", body={"model": "small"}, cast_to=httpx.Response)
    assert info.value.param == "messages"
    assert info.value.code == "missing_required_parameter"


async def raw(client: openai.AsyncOpenAI, content: bytes, path: str = "/v1/chat/completions") -> httpx.Response:
    http: httpx.AsyncClient = client._client
    return await http.post(path, content=content, headers={"content-type": "application/json"})


async def test_invalid_json_is_400(client: openai.AsyncOpenAI) -> None:
    resp = await raw(client, b'{"model": "small", "messages": [')
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "invalid_request_error"
    resp = await raw(client, b"[1, 2]")
    assert resp.status_code == 400


async def test_body_over_limit_is_413(client: openai.AsyncOpenAI) -> None:
    resp = await raw(client, b'{"model": "small", "messages": [], "pad": "' + b"x" * (11 * 1024 * 1024) + b'"}')
    assert resp.status_code == 413
    assert "max_body_bytes" in resp.json()["error"]["message"]


async def test_unknown_route_is_openai_404(client: openai.AsyncOpenAI) -> None:
    resp = await raw(client, b"{}", path="/v1/nothing")
    assert resp.status_code == 404
    assert set(resp.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UpstreamStatusError("slow down", status=429, code="rate_limit_exceeded", headers={"Retry-After": "3"}), 429),
        (BadGateway("Backend 'remote' returned HTTP 500: boom"), 502),
        (GatewayTimeout("too slow"), 504),
    ],
)
async def test_backend_errors_map_to_status(
    client: openai.AsyncOpenAI, scripted: dict[str, ScriptedBackend], error: Exception, status: int
) -> None:
    scripted["remote"].answers = [error]  # type: ignore[list-item]
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="big", messages=HELLO)
    assert info.value.status_code == status
    if status == 429:
        assert info.value.response.headers["retry-after"] == "3"


async def test_error_before_first_chunk_is_a_status(
    client: openai.AsyncOpenAI, scripted: dict[str, ScriptedBackend]
) -> None:
    scripted["remote"].answers = [BadGateway("down")]
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="big", messages=HELLO, stream=True)
    assert info.value.status_code == 502


async def test_health_and_ready(
    client: openai.AsyncOpenAI, scripted: dict[str, ScriptedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    http: httpx.AsyncClient = client._client
    assert (await http.get("/health")).json() == {"status": "ok"}
    assert (await http.get("/ready")).status_code == 200
    scripted["remote"].not_ready = "cannot reach http://x/v1"
    anonymous = await http.get("/ready")
    assert anonymous.status_code == 503 and anonymous.json() == {"status": "not_ready"}  # no upstream detail
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", "cr-master-test")
    resp = await http.get("/ready", headers={"authorization": "Bearer cr-master-test"})
    assert resp.status_code == 503
    assert resp.json()["backends"]["remote"] == {"ready": False, "reason": "cannot reach http://x/v1"}
    assert resp.json()["backends"]["local"]["ready"] is True


async def test_openapi_document_lists_endpoints(client: openai.AsyncOpenAI) -> None:
    http: httpx.AsyncClient = client._client
    spec = (await http.get("/openapi.json")).json()
    assert {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models"} <= set(spec["paths"])


async def test_response_names_the_backend(client: openai.AsyncOpenAI) -> None:
    raw_reply = await client.chat.completions.with_raw_response.create(model="big", messages=HELLO)
    assert raw_reply.headers["x-crossroads-backend"] == "remote"
    stream = await client.chat.completions.with_raw_response.create(model="small", messages=HELLO, stream=True)
    assert stream.headers["x-crossroads-backend"] == "local"


def test_every_api_route_skips_fastapi_parameter_handling() -> None:
    """The hot path reads the raw request itself; FastAPI's per-request dependency work would be waste."""
    from fastapi.routing import APIRoute

    from crossroads.api import create_app
    from crossroads.api.deps import RawRoute

    app = create_app()
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert routes and all(isinstance(r, RawRoute) for r in routes), [r.path for r in routes]
