"""Strategy distributions over many requests, on scripted in-process backends."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from random import Random
from typing import Any

from crossroads.backends import Endpoint
from crossroads.config import parse_settings
from crossroads.gateway import build_router
from crossroads.metering.pricing import Pricer
from crossroads.pipeline import Call
from crossroads.routing.router import Router
from tests.support.scripted import ScriptedBackend

NAMES = ("x", "y", "z")


def router(
    strategy: str, deployments: list[dict[str, Any]], **backend_kw: Any
) -> tuple[Router, dict[str, ScriptedBackend]]:
    raw = {
        "backends": {n: {"type": "openai_compat", "base_url": "http://unused/v1"} for n in NAMES},
        "models": {"chat": {"strategy": strategy, "deployments": deployments}},
    }
    backends = {n: ScriptedBackend(n, location="hosted", **backend_kw) for n in NAMES}
    settings = parse_settings(raw, "test")
    return build_router(settings, backends, Pricer.from_settings(settings), rng=Random(7)), backends


def call() -> Call:
    return Call(Endpoint.CHAT, {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}, "chat")


async def served(r: Router, n: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _ in range(n):
        c = call()
        await r.send(c)
        counts[c.facts.backend] += 1
    return counts


async def test_priority_always_takes_the_lowest_number() -> None:
    r, _ = router("priority", [{"backend": "x", "priority": 2}, {"backend": "y", "priority": 1}])
    assert await served(r, 50) == {"y": 50}


async def test_weighted_follows_the_weights() -> None:
    r, _ = router("weighted", [{"backend": "x", "weight": 3}, {"backend": "y", "weight": 1}])
    counts = await served(r, 4000)
    assert 0.72 <= counts["x"] / 4000 <= 0.78


async def test_weighted_puts_the_rest_behind_as_fallbacks() -> None:
    r, _ = router("weighted", [{"backend": "x", "weight": 1}, {"backend": "y", "weight": 1}, {"backend": "z"}])
    orders = Counter(tuple(d.backend.name for d in r.groups["chat"].order(r.rng)) for _ in range(600))
    assert set(orders) == {("x", "y", "z"), ("y", "x", "z"), ("z", "x", "y")}


async def test_least_inflight_spreads_concurrent_requests() -> None:
    r, _ = router("least_inflight", [{"backend": "x"}, {"backend": "y"}], delay=0.05)
    calls = [call() for _ in range(10)]
    await asyncio.gather(*(r.send(c) for c in calls))
    assert Counter(c.facts.backend for c in calls) == {"x": 5, "y": 5}


async def test_lowest_latency_prefers_the_fast_deployment() -> None:
    r, backends = router("lowest_latency", [{"backend": "x"}, {"backend": "y"}])
    backends["x"].delay = 0.02
    counts = await served(r, 20)
    assert counts["y"] >= 18  # x is tried once (unmeasured), then y wins on its moving average


async def test_lowest_cost_uses_configured_prices() -> None:
    deployments = [
        {"backend": "x", "price": {"input": "2.5", "output": "10"}},
        {"backend": "y", "price": {"input": "0.15", "output": "0.6"}},
        {"backend": "z"},  # no price known: last
    ]
    r, _ = router("lowest_cost", deployments)
    assert [d.backend.name for d in r.groups["chat"].order(r.rng)] == ["y", "x", "z"]
    c = call()
    await r.send(c)
    attempt = c.facts.attempts[0]
    assert c.facts.backend == "y" and attempt["usage"]["prompt_tokens"] == attempt["usage"]["completion_tokens"] == 4
    assert attempt["cost"] == Decimal("0.000003")  # 4 x 0.15 + 4 x 0.60 per 1M tokens


async def test_lowest_cost_reads_the_price_catalog() -> None:
    deployments = [{"backend": "x", "upstream_model": "gpt-4o"}, {"backend": "y", "upstream_model": "gpt-4o-mini"}]
    r, _ = router("lowest_cost", deployments)
    assert [d.upstream for d in r.groups["chat"].order(r.rng)] == ["gpt-4o-mini", "gpt-4o"]
