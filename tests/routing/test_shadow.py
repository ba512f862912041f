"""Shadow traffic: sampled, asynchronous, no added client latency; both answers stored for the lab."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from random import Random
from typing import Any

import pytest

from crossroads.backends import Endpoint
from crossroads.config import parse_settings
from crossroads.metering.pricing import Pricer
from crossroads.pipeline import Call
from crossroads.routing.router import Router
from crossroads.routing.streams import drain
from tests.routing.conftest import Up, chat, chat_stream, gateway, settings
from tests.support.scripted import ScriptedBackend


class MemorySink:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)


def scripted_router(sample: float, sink: MemorySink, delay: float = 0.0, **routing: Any) -> Router:
    raw = {
        "backends": {n: {"type": "openai_compat", "base_url": "http://unused/v1"} for n in ("p", "s")},
        "models": {"chat": {"backend": "p", "shadow": [{"backend": "s", "upstream_model": "cand", "sample": sample}]}},
        "routing": routing,
    }
    backends = {"p": ScriptedBackend("p", location="hosted"), "s": ScriptedBackend("s", location="hosted", delay=delay)}
    settings = parse_settings(raw, "test")
    return Router(settings.routes(), backends, Pricer.from_settings(settings).price, sink, rng=Random(3))


def call() -> Call:
    return Call(Endpoint.CHAT, {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}, "chat")


async def test_sampling_rate() -> None:
    sink = MemorySink()
    r = scripted_router(0.3, sink)
    for _ in range(1000):
        await r.send(call())
        await asyncio.sleep(0)  # let the mirror run (the scripted backend answers without waiting)
    await r.shadower.aclose()
    assert 250 <= len(sink.records) <= 350


async def test_mirrors_beyond_the_limit_are_skipped() -> None:
    sink = MemorySink()
    r = scripted_router(1.0, sink, delay=0.2, shadow_max_in_flight=2)
    for _ in range(5):
        await r.send(call())
    assert len(r.shadower.tasks) == 2
    await r.shadower.aclose()
    assert len(sink.records) == 2


async def test_stream_is_mirrored_after_it_ends() -> None:
    sink = MemorySink()
    r = scripted_router(1.0, sink)
    c = call()
    c.stream = True
    chunks = await drain(await r.stream(c))
    await r.shadower.aclose()
    (record,) = sink.records
    assert record["primary"]["answer"] == "Hello from the script." and len(chunks) == 5
    assert record["shadow"]["upstream_model"] == "cand" and record["shadow"]["answer"] == "Hello from the script."


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
async def test_slow_shadow_adds_no_client_latency(ups: dict[str, Up], tmp_path: Path, stream: bool) -> None:
    ups["b"].fail_next({"latency_ms": 1500})
    log = tmp_path / "shadow.jsonl"
    shadow = [{"backend": "b", "upstream_model": "gpt-4o", "sample": 1.0}]
    models = {"chat": {"backend": "a", "upstream_model": "gpt-4o-mini", "shadow": shadow}}
    raw = settings(ups, models, shadow_log=str(log), retry={"attempt_timeout": 5})
    async with gateway(raw) as (client, _):
        began = time.perf_counter()
        text, headers = await (chat_stream(client) if stream else chat(client))
        elapsed = time.perf_counter() - began
        assert elapsed < 0.5 and text and headers["x-crossroads-backend"] == "a"
        for _ in range(150):
            if log.exists():
                break
            await asyncio.sleep(0.02)
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["model"] == "chat" and record["sensitive"] is False
    assert record["primary"]["backend"] == "a" and record["primary"]["answer"] == text
    assert record["shadow"]["backend"] == "b" and record["shadow"]["latency_s"] >= 1.5
    assert record["shadow"]["answer"] and record["shadow"]["usage"]["completion_tokens"] > 0
    assert float(record["shadow"]["cost"]) > 0  # gpt-4o from the price catalog, as an exact decimal string
    assert record["request"]["messages"][0]["content"] == "Hello there"
    assert "stream" not in ups["b"].posts()[0]["json"]  # the mirror is always a plain request
