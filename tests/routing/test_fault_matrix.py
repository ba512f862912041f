"""The fault matrix: each upstream fault × (non-streaming, streaming) → what the client got and what
each upstream received. Group 'chat' = deployments a (tried first) then b, both fake upstreams."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.routing.conftest import Up, chat, chat_stream, gateway, group, router_of, settings

# fault on a's next request -> what a's attempt failed with (as the route reason records it)
FALLS_BACK: dict[str, tuple[dict[str, Any], str]] = {
    "429 Retry-After": ({"status": 429, "retry_after": 1}, "429 rate_limit_exceeded"),
    "500": ({"status": 500}, "502 bad_gateway"),
    "503": ({"status": 503}, "502 bad_gateway"),
    "timeout": ({"latency_ms": 1500, "ttft_ms": 1500}, "504 upstream_timeout"),
    "drop before first byte": ({"disconnect_after": 0}, "502 bad_gateway"),
    "malformed before first chunk": ({"malformed_after": 0}, "502 bad_gateway"),
}


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
@pytest.mark.parametrize("fault", list(FALLS_BACK))
async def test_fault_on_first_deployment_falls_back(ups: dict[str, Up], fault: str, stream: bool) -> None:
    spec, failed_with = FALLS_BACK[fault]
    ups["a"].fail_next(spec)
    async with gateway(settings(ups, {"chat": group("a", "b")})) as (client, _):
        text, headers = await (chat_stream(client) if stream else chat(client))
    assert text  # the client got a whole answer
    assert headers["x-crossroads-backend"] == "b"
    assert f"after a:gpt-4o-mini {failed_with}" in headers["x-crossroads-route-reason"]
    assert (ups["a"].received(), ups["b"].received()) == (1, 1)
    assert ups["b"].posts()[0]["json"]["model"] == "gpt-4o-mini"


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
async def test_connection_refused_falls_back(ups: dict[str, Up], stream: bool) -> None:
    async with gateway(settings(ups, {"chat": group("refused", "b")})) as (client, _):
        text, headers = await (chat_stream(client) if stream else chat(client))
    assert text and headers["x-crossroads-backend"] == "b"
    assert "after refused:gpt-4o-mini 502 bad_gateway" in headers["x-crossroads-route-reason"]
    assert ups["b"].received() == 1


@pytest.mark.parametrize("spec", [{"disconnect_after": 0}, {"malformed_after": 20}], ids=["drop", "malformed"])
async def test_non_streaming_broken_answer_falls_back(ups: dict[str, Up], spec: dict[str, Any]) -> None:
    ups["a"].fail_next(spec)
    async with gateway(settings(ups, {"chat": group("a", "b")})) as (client, _):
        text, headers = await chat(client)
    assert text and headers["x-crossroads-backend"] == "b"
    assert (ups["a"].received(), ups["b"].received()) == (1, 1)


@pytest.mark.parametrize(
    ("spec", "says"), [({"disconnect_after": 2}, "Backend 'a'"), ({"malformed_after": 2}, "malformed")]
)
async def test_stream_failing_after_first_byte_ends_with_error_event(
    ups: dict[str, Up], spec: dict[str, Any], says: str
) -> None:
    ups["a"].fail_next(spec)
    async with gateway(settings(ups, {"chat": group("a", "b")})) as (client, _):
        stream = await client.chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        received = []
        with pytest.raises(openai.APIError) as info:
            async for chunk in stream:
                received.append(chunk)
    assert len(received) >= 1
    assert says in info.value.message
    assert (ups["a"].received(), ups["b"].received()) == (1, 0)  # no fallback once bytes went out


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
async def test_every_deployment_failing_returns_the_last_error(ups: dict[str, Up], stream: bool) -> None:
    ups["a"].fail_next({"status": 500})
    ups["b"].fail_next({"status": 503})
    async with gateway(settings(ups, {"chat": group("a", "b")})) as (client, _):
        with pytest.raises(openai.APIStatusError) as info:
            await (chat_stream(client) if stream else chat(client))
    assert info.value.status_code == 502
    assert "returned HTTP 503" in info.value.message
    assert info.value.response.headers["x-crossroads-route-reason"].endswith("after b:gpt-4o-mini 502 bad_gateway")
    assert (ups["a"].received(), ups["b"].received()) == (1, 1)


async def test_client_errors_are_not_retried(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"status": 400, "message": "bad thing"})
    async with gateway(settings(ups, {"chat": group("a", "b")})) as (client, _):
        with pytest.raises(openai.BadRequestError):
            await chat(client)
    assert (ups["a"].received(), ups["b"].received()) == (1, 0)


async def test_429_cools_the_deployment_down_for_retry_after(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"status": 429, "retry_after": 30})
    async with gateway(settings(ups, {"chat": group("a", "b")})) as (client, app):
        await chat(client)
        _, headers = await chat(client)
        state = router_of(app).breakers()["a:gpt-4o-mini"]
    assert headers["x-crossroads-backend"] == "b"
    assert (ups["a"].received(), ups["b"].received()) == (1, 2)
    assert state["state"] == "cooling" and "Retry-After 30s" in state["reason"]
    assert state["failures"] == 0  # a rate limit is not a failure


async def test_429s_never_count_toward_opening_the_breaker(ups: dict[str, Up]) -> None:
    """Two 429s without Retry-After and one malformed answer: one failure, the circuit stays closed."""
    ups["a"].fail_next({"status": 429}, {"status": 429}, {"malformed_after": 0})
    breaker = {"failures": 3, "window": 60, "cooldown": 60}
    async with gateway(settings(ups, {"chat": group("a", "b")}, breaker=breaker)) as (client, app):
        for _ in range(3):
            _, headers = await chat(client)
            assert headers["x-crossroads-backend"] == "b"
        state = router_of(app).breakers()["a:gpt-4o-mini"]
        _, headers = await chat(client)
    assert (state["state"], state["failures"]) == ("closed", 1)
    assert headers["x-crossroads-backend"] == "a"  # still trusted


async def test_a_rate_limited_single_deployment_answers_429_while_it_cools_down(ups: dict[str, Up]) -> None:
    """A plain model behaves as before a rate limit: the client keeps getting 429 with Retry-After,
    but the upstream is left alone until Retry-After has passed."""
    ups["a"].fail_next({"status": 429, "retry_after": 30})
    async with gateway(settings(ups, {"chat": {"backend": "a"}})) as (client, _):
        for _ in range(2):
            with pytest.raises(openai.RateLimitError) as info:
                await chat(client)
            assert 29 <= int(info.value.response.headers["retry-after"]) <= 30
    assert ups["a"].received() == 1


async def test_fallback_model_after_the_group(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"status": 503})
    models = {"chat": {"backend": "a", "upstream_model": "gpt-4o-mini", "fallbacks": ["backup"]}, "backup": group("b")}
    async with gateway(settings(ups, models)) as (client, _):
        _, headers = await chat(client)
    assert headers["x-crossroads-route-reason"] == (
        "model chat; fallback backup -> b:gpt-4o-mini; after a:gpt-4o-mini 502 bad_gateway"
    )
