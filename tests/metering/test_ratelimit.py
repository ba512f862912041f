"""Rate limits: requests and tokens per minute, in process and shared through Redis, with Retry-After."""

from __future__ import annotations

import asyncio

import openai
import pytest
from sqlalchemy import Engine

from crossroads.metering.keys import create_key
from crossroads.metering.ratelimit import LocalLimiter, RedisLimiter
from crossroads.store import make_engine, upgrade
from tests.metering.conftest import REDIS_URL, client_for, metered_settings, running, usage_backends

HELLO = [{"role": "user", "content": "Hello"}]


async def test_requests_per_minute_in_process(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, plaintext = create_key(sqlite_engine, "team-a", rpm=2)
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        client = client_for(app, key=plaintext)
        for _ in range(2):
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    retry_after = int(caught.value.response.headers["retry-after"])
    assert 1 <= retry_after <= 30  # one request comes back every 30 s at 2 per minute
    assert caught.value.code == "rate_limit_exceeded" and "2 requests per minute" in caught.value.message


async def test_tokens_per_minute_count_the_real_usage(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, plaintext = create_key(sqlite_engine, "team-a", tpm=1000)
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, gateway):
        client = client_for(app, key=plaintext)
        await client.chat.completions.create(model="gpt-4o", messages=HELLO, max_tokens=10)  # uses 2,000
        await _written(gateway, 1)
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(model="gpt-4o", messages=HELLO, max_tokens=10)
    assert "1000 tokens per minute" in caught.value.message
    assert int(caught.value.response.headers["retry-after"]) >= 60  # 1,000 tokens overdrawn: > a minute


async def test_redis_limits_are_shared_by_replicas(pg_url: str, redis_prefix: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    _, plaintext = create_key(engine, "team-a", rpm=2)
    settings = metered_settings(pg_url, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    async with running(settings, usage_backends()) as (app_a, _), running(settings, usage_backends()) as (app_b, _):
        await client_for(app_a, key=plaintext).chat.completions.create(model="gpt-4o", messages=HELLO)
        await client_for(app_b, key=plaintext).chat.completions.create(model="gpt-4o", messages=HELLO)
        with pytest.raises(openai.RateLimitError):
            await client_for(app_a, key=plaintext).chat.completions.create(model="gpt-4o", messages=HELLO)
    engine.dispose()


@pytest.mark.parametrize("kind", ["local", "redis"])
async def test_buckets_refill_and_a_large_request_waits_for_a_full_bucket(kind: str, redis_prefix: str) -> None:
    limiter = LocalLimiter() if kind == "local" else RedisLimiter(REDIS_URL, redis_prefix)
    assert (await limiter.acquire("k", None, 100, 5000)).allowed  # more than a minute's worth: takes it all
    refused = await limiter.acquire("k", None, 100, 50)
    assert not refused.allowed and refused.limit == "tokens" and 29 < refused.retry_after <= 30
    await limiter.adjust("k", 100, 100)  # the request used nothing after all
    assert (await limiter.acquire("k", None, 100, 50)).allowed
    await limiter.aclose()


async def _written(gateway: object, count: int) -> None:
    stage = gateway.stages[0]  # type: ignore[attr-defined]
    for _ in range(200):
        if stage.writer.written >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the ledger writer did not write in time")
