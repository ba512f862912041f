"""Retries: exponential backoff with jitter, Retry-After honoured, per-attempt and total time limits."""

from __future__ import annotations

import time
from random import Random

import openai
import pytest

from crossroads.errors import BadGateway, GatewayTimeout, RateLimited, ServiceUnavailable, UpstreamStatusError
from crossroads.routing.config import RetryConfig
from crossroads.routing.retry import backoff, retry_after, retryable
from tests.routing.conftest import Up, chat, gateway, group, settings


def test_backoff_doubles_loses_jitter_and_respects_the_cap() -> None:
    config = RetryConfig(backoff=0.1, max_backoff=0.5, jitter=0.5)
    rng = Random(1)
    waits = [[backoff(config, r, rng) for _ in range(200)] for r in (1, 2, 3, 4)]
    for round_, (low, high) in enumerate([(0.05, 0.1), (0.1, 0.2), (0.2, 0.4), (0.25, 0.5)]):
        assert low <= min(waits[round_]) and max(waits[round_]) <= high
        assert max(waits[round_]) - min(waits[round_]) > (high - low) / 2  # really jittered
    assert backoff(config, 1, rng, at_least=3.0) == 3.0


def test_what_is_retryable() -> None:
    assert retryable(BadGateway("x")) and retryable(GatewayTimeout("x")) and retryable(ServiceUnavailable("x"))
    assert retryable(UpstreamStatusError("x", status=429)) and retryable(UpstreamStatusError("x", status=408))
    assert not retryable(UpstreamStatusError("x", status=400)) and not retryable(UpstreamStatusError("x", status=401))
    assert not retryable(RateLimited("our own limit"))  # the gateway's limit, not an upstream's
    assert retry_after(UpstreamStatusError("x", status=429, headers={"Retry-After": "1.5"})) == 1.5
    assert retry_after(UpstreamStatusError("x", status=429, headers={"Retry-After": "Wed, 21 Oct 2015"})) is None


async def test_retries_the_same_deployment_with_backoff(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"status": 500}, {"status": 503})
    raw = settings(ups, {"chat": group("a")}, retry={"retries": 2, "backoff": 0.01})
    async with gateway(raw) as (client, _):
        text, headers = await chat(client)
    assert text and ups["a"].received() == 3
    assert headers["x-crossroads-route-reason"].count("after a:gpt-4o-mini") == 2


async def test_retry_after_is_honoured(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"status": 429, "retry_after": 0.4})
    raw = settings(ups, {"chat": group("a")}, retry={"retries": 1, "backoff": 0.01})
    async with gateway(raw) as (client, _):
        began = time.perf_counter()
        text, _ = await chat(client)
        elapsed = time.perf_counter() - began
    assert text and ups["a"].received() == 2
    assert 0.4 <= elapsed < 1.5


async def test_a_retry_after_too_long_is_not_waited_for(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"status": 429, "retry_after": 20})
    raw = settings(ups, {"chat": group("a")}, retry={"retries": 3, "max_retry_after": 1})
    async with gateway(raw) as (client, _):
        began = time.perf_counter()
        with pytest.raises(openai.RateLimitError) as info:
            await chat(client)
    assert time.perf_counter() - began < 1
    assert info.value.response.headers["retry-after"] == "20"
    assert ups["a"].received() == 1


async def test_attempt_timeout_moves_on(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"latency_ms": 2000})
    raw = settings(ups, {"chat": group("a", "b")}, retry={"attempt_timeout": 0.2})
    async with gateway(raw) as (client, _):
        began = time.perf_counter()
        _, headers = await chat(client)
    assert time.perf_counter() - began < 1.0
    assert headers["x-crossroads-backend"] == "b"


async def test_total_timeout_bounds_all_attempts(ups: dict[str, Up]) -> None:
    ups["a"].fail_next(*[{"latency_ms": 2000}] * 5)
    raw = settings(ups, {"chat": group("a")}, retry={"retries": 4, "attempt_timeout": 0.3, "total_timeout": 0.5})
    async with gateway(raw) as (client, _):
        began = time.perf_counter()
        with pytest.raises(openai.APIStatusError) as info:
            await chat(client)
    assert info.value.status_code == 504
    assert time.perf_counter() - began < 1.5  # 0.5 s of attempts, with room for a busy machine
    assert 1 <= ups["a"].received() <= 2  # 0.3 s, then what is left of the 0.5 s (if it reached the fake)
