"""The load generator against the real fake upstream over a socket: timing accuracy, patterns, error accounting."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.lab.bench.prompts import synthetic
from crossroads.lab.bench.result import SLO
from crossroads.lab.bench.runner import BenchSpec, run_bench
from crossroads.lab.bench.target import from_url
from crossroads.testing.server import serving

TTFT_MS, TOKEN_MS, TOKENS = 50.0, 20.0, 16


def spec(url: str, fault: dict[str, Any] | None = None, **kwargs: Any) -> BenchSpec:
    headers = {"x-fake-fault": json.dumps(fault)} if fault else {}
    options: dict[str, Any] = {"levels": [1], "requests": 6, "warmup": 1, "output_tokens": 32} | kwargs
    return BenchSpec(target=from_url(url, "gpt-4o-mini", None, headers), prompts=synthetic(8, 16, 32), **options)


async def test_streaming_ttft_and_tpot_match_the_injected_timing(fake: str) -> None:
    fault = {"ttft_ms": TTFT_MS, "token_delay_ms": TOKEN_MS, "tokens": TOKENS}
    result, samples = await run_bench(spec(fake, fault, levels=[1, 2], requests=6))
    for level in result.levels:
        assert level.succeeded == 6 and level.failed == 0
        assert level.ttft_ms.p50 == pytest.approx(TTFT_MS, rel=0.10)
        assert level.tpot_ms.p50 == pytest.approx(TOKEN_MS, rel=0.05)
        assert level.itl_ms.p50 == pytest.approx(TOKEN_MS, rel=0.10)
        assert level.e2e_ms.p50 == pytest.approx(TTFT_MS + (TOKENS - 1) * TOKEN_MS, rel=0.05)
        assert level.output_tokens == 6 * TOKENS == level.client_output_tokens
        assert level.token_mismatches == 0 and level.usage_missing == 0
    assert sorted(samples) == [1, 2] and len(samples[2]) == 6
    assert result.warnings == []


async def test_non_streaming_latency_is_the_whole_answer(fake: str) -> None:
    fault = {"ttft_ms": TTFT_MS, "token_delay_ms": 10, "tokens": 10}
    result, _ = await run_bench(spec(fake, fault, stream=False, requests=4))
    level = result.levels[0]
    assert level.ttft_ms.count == 0 and level.client_output_tokens is None
    assert level.e2e_ms.p50 == pytest.approx(TTFT_MS + 10 * 10, rel=0.10)
    assert level.output_tokens == 40


async def test_goodput_counts_requests_meeting_the_slo(fake: str) -> None:
    fault = {"ttft_ms": 60, "token_delay_ms": 5, "tokens": 4}
    strict = await run_bench(spec(fake, fault, slo=SLO(ttft_ms=30, tpot_ms=None), requests=4))
    loose = await run_bench(spec(fake, fault, slo=SLO(ttft_ms=200, tpot_ms=50), requests=4))
    assert strict[0].levels[0].goodput == 0.0
    assert loose[0].levels[0].goodput == 1.0


async def test_open_loop_constant_rate_spaces_requests_evenly(fake: str) -> None:
    result, _ = await run_bench(spec(fake, None, pattern="constant", levels=[40.0], requests=20, warmup=0))
    level = result.levels[0]
    assert level.succeeded == 20
    # 20 sends at 40/s span 0.475 s; the achieved rate is 20 / (0.475 s + one short request)
    assert level.request_rate == pytest.approx(40.0, rel=0.15)


async def test_errors_are_counted_by_type_and_the_run_goes_on(fake: str) -> None:
    root = fake.removesuffix("/v1")
    faults = [{"status": 429}] * 3 + [{"status": 500}] * 2 + [{"disconnect_after": 2}, {"malformed_after": 2}]
    faults += [{"latency_ms": 3000}]
    httpx.post(root + "/_fake/faults", json=faults).raise_for_status()
    result, _ = await run_bench(spec(fake, None, requests=12, warmup=0, timeout=0.5))
    level = result.levels[0]
    assert level.errors == {"http_429": 3, "http_500": 2, "connection": 1, "malformed": 1, "timeout": 1}
    assert level.failed == 8 and level.succeeded == 4
    assert level.goodput == pytest.approx(4 / 12)


def test_an_error_event_inside_a_stream_is_a_stream_error(fake: str) -> None:
    """The real gateway turns an upstream failure after the stream started into a final error event."""
    settings = parse_settings(
        {
            "backends": {"fake": {"type": "openai_compat", "base_url": fake, "location": "local"}},
            "models": {"mini": {"backend": "fake", "upstream_model": "gpt-4o-mini"}},
        },
        "test",
    )
    root = fake.removesuffix("/v1")
    httpx.post(root + "/_fake/faults", json=[{"disconnect_after": 3}, {"tokens": 4}]).raise_for_status()
    with serving(create_app(settings)) as gateway:
        bench = BenchSpec(target=from_url(gateway + "/v1", "mini", None, {}), prompts=synthetic(2, 8, 8), levels=[1],
                          requests=2, warmup=0)  # fmt: skip
        result, _ = asyncio.run(run_bench(bench))
    level = result.levels[0]
    assert level.errors == {"stream_error": 1}
    assert level.succeeded == 1 and level.output_tokens == 4
    assert result.target.location is None and result.target.url == gateway + "/v1"


async def test_completions_and_embeddings_endpoints(fake: str) -> None:
    completions, _ = await run_bench(spec(fake, {"tokens": 5}, endpoint="completions", requests=3))
    assert completions.levels[0].output_tokens == 15 and completions.levels[0].ttft_ms.count == 3
    embeddings, _ = await run_bench(spec(fake, None, endpoint="embeddings", requests=3))
    level = embeddings.levels[0]
    assert level.succeeded == 3 and level.output_tokens == 0 and level.prompt_tokens == 3 * 15
