"""What translating a wire format costs: the same request as Chat Completions and as an Anthropic Messages
request, through the whole gateway in process, in one run (requests alternate, so both see the same machine).

    python benchmarks/formats_overhead.py [--quick] [--out FILE]

The backend is a scripted one that answers at once and speaks only chat; what differs between the two is
the Messages route and format (the request translated at the backend's edge, the answer or stream back).
Target: ≤ 0.3 ms p50 added per request.
The translation functions alone are timed too (µs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from harness import RESULTS, environment, percentile, timed, write_json
from rich.console import Console
from rich.table import Table

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.formats import anthropic
from crossroads.formats.anthropic_format import FORMAT
from crossroads.gateway import Gateway

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tests.support
from tests.support.scripted import ScriptedBackend

TARGET_MS = 0.3
TOOL = {"name": "weather", "description": "Weather now", "input_schema": {"type": "object", "properties": {
    "city": {"type": "string"}}, "required": ["city"]}}  # fmt: skip
MESSAGES_BODY: dict[str, Any] = {
    "model": "m",
    "max_tokens": 64,
    "system": "You are a helpful assistant. Answer briefly.",
    "messages": [
        {"role": "user", "content": "What is the weather in Paris today?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 C, sunny"}]},
    ],
    "tools": [TOOL],
    "temperature": 0.2,
}
CHAT_BODY = anthropic.to_chat(MESSAGES_BODY)  # the same request as Chat Completions


async def _timed(fn: Callable[[], Awaitable[Any]]) -> float:
    began = time.perf_counter_ns()
    await fn()
    return (time.perf_counter_ns() - began) / 1e6


async def requests(http: httpx.AsyncClient, n: int) -> dict[str, list[float]]:
    """Alternating pairs: chat then messages, streaming and not."""

    def post(path: str, body: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
        async def run() -> None:
            response = await http.post(path, json=body)
            assert response.status_code == 200, response.text

        return run

    cases = {
        "chat": post("/v1/chat/completions", CHAT_BODY),
        "messages": post("/v1/messages", MESSAGES_BODY),
        "chat stream": post("/v1/chat/completions", {**CHAT_BODY, "stream": True}),
        "messages stream": post("/v1/messages", {**MESSAGES_BODY, "stream": True}),
    }
    for fn in cases.values():  # warm up
        for _ in range(200):
            await fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(n):
        for name, fn in cases.items():
            samples[name].append(await _timed(fn))
    return samples


def translation(n: int) -> dict[str, list[float]]:
    answer = {"id": "chatcmpl-1", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
              "message": {"role": "assistant", "content": "Sunny, 18 C."}}],
              "usage": {"prompt_tokens": 40, "completion_tokens": 5, "total_tokens": 45}}  # fmt: skip
    return {
        "request to chat (µs)": timed(lambda: FORMAT.to_chat(MESSAGES_BODY), n),
        "answer from chat (µs)": timed(lambda: FORMAT.from_chat(answer, MESSAGES_BODY), n),
    }


async def main(n: int, out: Path) -> None:
    settings = parse_settings({"backends": {"s": {"type": "embedded"}}, "models": {"m": {"backend": "s"}}}, "bench")
    app = create_app(gateway=Gateway(settings, backends={"s": ScriptedBackend("s")}))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            samples = await requests(http, n)
    rows = {k: {"p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99), "n": len(v)} for k, v in samples.items()}
    micro = {k: {"p50_us": percentile(v, 50), "n": len(v)} for k, v in translation(n * 5).items()}
    added = {
        "messages": rows["messages"]["p50_ms"] - rows["chat"]["p50_ms"],
        "messages stream": rows["messages stream"]["p50_ms"] - rows["chat stream"]["p50_ms"],
    }
    table = Table("request", "p50 ms", "p99 ms", "n", title="one request through the gateway, by wire format")
    for name, row in rows.items():
        table.add_row(name, f"{row['p50_ms']:.3f}", f"{row['p99_ms']:.3f}", str(row["n"]))
    for name, row in micro.items():
        table.add_row(name, f"{row['p50_us']:.1f} µs", "", str(row["n"]))
    Console(width=120).print(table)
    for name, ms in added.items():
        verdict = "met" if ms <= TARGET_MS else "MISSED"
        print(f"{name}: +{ms:.3f} ms p50 over the same request as chat — target ≤ {TARGET_MS} ms: {verdict}")
    write_json(
        out,
        {"environment": environment(), "n": n, "results": rows, "translation": micro, "added_p50_ms": added,
         "target_ms": TARGET_MS},
    )  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--out", type=Path, default=RESULTS / "formats_overhead.json")
    args = parser.parse_args()
    asyncio.run(main(300 if args.quick else 2000, args.out))
