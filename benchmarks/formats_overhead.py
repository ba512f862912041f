"""What translating a wire format costs: the same request as Chat Completions, as an Anthropic Messages request
and as an OpenAI Responses request, through the whole gateway in process, in one run (requests alternate, so all
see the same machine).

    python benchmarks/formats_overhead.py [--quick] [--out FILE]

Two upstreams in turn: a scripted backend that answers at once (what differs between the formats is only their
translation and route), and the fake OpenAI upstream over a socket in its own process (a real HTTP hop, as in
production; in a thread of this process it would take turns with the gateway for the interpreter lock). Target:
≤ 0.3 ms p50 added per request over the same request as chat. The translation functions alone are timed too (µs).
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
from harness import RESULTS, environment, percentile, server, timed, write_json
from rich.console import Console
from rich.table import Table

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.formats import anthropic
from crossroads.formats.anthropic_format import FORMAT
from crossroads.formats.responses import FORMAT as RESPONSES
from crossroads.gateway import Gateway
from crossroads.testing.server import free_port

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
RESPONSES_BODY: dict[str, Any] = {  # and as a Responses request
    "model": "m",
    "max_output_tokens": 64,
    "instructions": "You are a helpful assistant. Answer briefly.",
    "input": [
        {"role": "user", "content": "What is the weather in Paris today?"},
        {"type": "function_call", "call_id": "toolu_1", "name": "weather", "arguments": '{"city": "Paris"}'},
        {"type": "function_call_output", "call_id": "toolu_1", "output": "18 C, sunny"},
    ],
    "tools": [
        {"type": "function", "name": "weather", "description": "Weather now", "parameters": TOOL["input_schema"]}
    ],
    "temperature": 0.2,
}


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
        "responses": post("/v1/responses", RESPONSES_BODY),
        "chat stream": post("/v1/chat/completions", {**CHAT_BODY, "stream": True}),
        "messages stream": post("/v1/messages", {**MESSAGES_BODY, "stream": True}),
        "responses stream": post("/v1/responses", {**RESPONSES_BODY, "stream": True}),
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
        "responses request to chat (µs)": timed(lambda: RESPONSES.to_chat(RESPONSES_BODY), n),
        "responses answer from chat (µs)": timed(lambda: RESPONSES.from_chat(answer, RESPONSES_BODY), n),
    }


async def measure(upstream: str | None, n: int) -> dict[str, list[float]]:
    """Samples through a gateway over the scripted backend (``upstream`` None) or the fake upstream at that URL."""
    backend = {"type": "embedded"} if upstream is None else {"type": "openai_compat", "base_url": f"{upstream}/v1"}
    settings = parse_settings({"backends": {"s": backend}, "models": {"m": {"backend": "s"}}}, "bench")
    gateway = Gateway(settings, backends={"s": ScriptedBackend("s")}) if upstream is None else Gateway(settings)
    async with LifespanManager(create_app(gateway=gateway)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            return await requests(http, n)


async def main(n: int, out: Path) -> None:
    samples = {f"{k} (scripted)": v for k, v in (await measure(None, n)).items()}
    port = free_port()
    with server(["fake-upstream", "--port", str(port)], port, "/v1/models") as upstream:  # its own process
        samples |= {f"{k} (fake upstream)": v for k, v in (await measure(upstream.url, max(100, n // 4))).items()}
    rows = {k: {"p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99), "n": len(v)} for k, v in samples.items()}
    micro = {k: {"p50_us": percentile(v, 50), "n": len(v)} for k, v in translation(n * 5).items()}
    added = {
        f"{fmt}{stream} ({where})": rows[f"{fmt}{stream} ({where})"]["p50_ms"]
        - rows[f"chat{stream} ({where})"]["p50_ms"]
        for fmt in ("messages", "responses")
        for stream in ("", " stream")
        for where in ("scripted", "fake upstream")
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
