"""Does a large prompt stall the gateway? The longest /health answer while a key with a token limit
sends an 8 MB prompt, with the prompt counted on the event loop (baseline: the offload threshold set
beyond any prompt) and in a worker thread (as shipped), in the same run.

    python benchmarks/token_offload.py [--mb 8] [--out FILE]

In process (httpx over ASGI), metering on SQLite, a scripted backend that answers at once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from harness import RESULTS, environment, write_json

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.gateway import Gateway
from crossroads.metering import admission
from crossroads.metering.keys import create_key
from crossroads.store import make_engine, upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tests.support
from tests.support.scripted import ScriptedBackend


async def longest_health_wait(folder: Path, megabytes: float) -> dict[str, float]:
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _, key = create_key(engine, "bench", tpm=1_000_000_000)
    engine.dispose()
    raw = {
        "backends": {"s": {"type": "openai_compat", "base_url": "http://unused/v1"}},
        "models": {"m": {"backend": "s"}},
        "metering": {"enabled": True, "database_url": url},
    }
    gateway = Gateway(parse_settings(raw, "bench"), backends={"s": ScriptedBackend("s", location="hosted")})
    app = create_app(gateway=gateway)
    body = {"model": "m", "messages": [{"role": "user", "content": "lorem ipsum " * int(megabytes * 2**20 / 12)}]}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=120) as http:
            auth = {"authorization": f"Bearer {key}"}
            big = asyncio.create_task(http.post("/v1/chat/completions", json=body, headers=auth))
            waits: list[float] = []  # time between one /health answer and the next (5 ms apart when idle)
            began = last = time.perf_counter()
            while not big.done():
                await asyncio.sleep(0.005)
                await http.get("/health")
                now = time.perf_counter()
                waits.append(now - last)
                last = now
            status = (await big).status_code
    return {"status": status, "request_s": time.perf_counter() - began, "health_max_ms": max(waits) * 1000}


async def main(megabytes: float) -> dict[str, Any]:
    shipped = admission.OFFLOAD_CHARS
    results: dict[str, Any] = {}
    for label, threshold in (("on the event loop (baseline)", 10**12), ("in a worker thread", shipped)):
        admission.OFFLOAD_CHARS = threshold
        with tempfile.TemporaryDirectory() as tmp:
            results[label] = await longest_health_wait(Path(tmp), megabytes)
    admission.OFFLOAD_CHARS = shipped
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=8.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "token_offload.json")
    args = parser.parse_args()
    results = asyncio.run(main(args.mb))
    for label, r in results.items():
        line = f"{label:30} request {r['request_s']:.2f} s (HTTP {r['status']})"
        print(f"{line}, longest gap between /health answers {r['health_max_ms']:.0f} ms")
    base, shipped = (r["health_max_ms"] for r in results.values())
    print(f"longest gap: {base / shipped:.1f}x shorter with the prompt counted in a worker thread")
    write_json(args.out, {"environment": environment(), "megabytes": args.mb, "results": results})
