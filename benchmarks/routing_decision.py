"""Routing decision time: rule matching + strategy selection per request, and the router's whole

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tests.support
from tests.support.scripted import ScriptedBackend  # noqa: E402
overhead around a backend call, measured in the same run as a direct call to the same backend.

    python benchmarks/routing_decision.py [--quick] [--out FILE]

In process, no network: the backend is a scripted one that answers at once, so what is measured is
the router's own work (rules, candidate order, breaker check, attempt record, route headers).
Target: decision ≤ 50 µs p50 (issue #5).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from harness import RESULTS, environment, percentile, timed, write_json
from rich.console import Console
from rich.table import Table

from crossroads.backends import Endpoint
from crossroads.config import parse_settings
from crossroads.gateway import build_router
from crossroads.metering.pricing import Pricer
from crossroads.pipeline import Call
from crossroads.routing import plan
from crossroads.routing.router import Router
from crossroads.routing.rules import compile_rules, first_match

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tests.support
from tests.support.scripted import ScriptedBackend

TARGET_P50_US = 50.0
NAMES = ("a", "b", "c")
RULES = [
    {"name": "private", "when": {"privacy": ["local_only"]}, "use": "local"},
    {"name": "vip", "when": {"key": ["vip"]}, "use": "weighted"},
    {"name": "long", "when": {"min_prompt_chars": 20000}, "use": "weighted"},
    {"name": "premium", "when": {"tier": ["premium"]}, "use": "weighted"},
    {"name": "eu", "when": {"metadata": {"region": "eu"}}, "use": "local"},
    {"name": "default", "when": {"model": ["auto"]}, "use": "least"},
]
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of France?"}]


def settings() -> Any:
    deployments = [{"backend": n, "upstream_model": "gpt-4o-mini", "weight": i + 1} for i, n in enumerate(NAMES)]
    return parse_settings(
        {
            "backends": {n: {"type": "openai_compat", "base_url": "http://unused/v1"} for n in NAMES},
            "models": {
                "plain": {"backend": "a"},
                "weighted": {"deployments": deployments, "strategy": "weighted"},
                "least": {"deployments": deployments, "strategy": "least_inflight", "fallbacks": ["plain"]},
                "cost": {"deployments": deployments, "strategy": "lowest_cost"},
                "auto": {"backend": "a"},
                "local": {"backend": "a"},
            },
            "routing": {"rules": RULES},
        },
        "bench",
    )


async def timed_async(fn: Callable[[], Awaitable[object]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        began = time.perf_counter_ns()
        await fn()
        samples.append((time.perf_counter_ns() - began) / 1000)
    return samples


def decisions(router: Router, s: Any, n: int) -> dict[str, list[float]]:
    rules = compile_rules(s.routing.rules, s.resolve)

    def decide(model: str) -> Callable[[], object]:
        def run() -> object:
            call = Call(Endpoint.CHAT, {"model": model, "messages": MESSAGES}, model)
            rule = first_match(rules, call) if model == "auto" else None
            group = router.groups[rule.use if rule else model]
            return plan.candidates(call, group, router.groups, router.rng)

        return run

    return {f"decision: {m}": timed(decide(m), n) for m in ("plain", "weighted", "cost", "auto")}


async def calls(router: Router, backend: ScriptedBackend, n: int) -> dict[str, list[float]]:
    body = {"model": "gpt-4o-mini", "messages": MESSAGES}

    async def direct() -> object:
        return await backend.send(Endpoint.CHAT, body)

    def through(model: str) -> Callable[[], Awaitable[object]]:
        return lambda: router.send(Call(Endpoint.CHAT, {"model": model, "messages": MESSAGES}, model))

    result = {"call: direct to backend": await timed_async(direct, n)}
    for model in ("plain", "weighted"):
        result[f"call: router ({model})"] = await timed_async(through(model), n)
    return result


def report(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    rows = {k: {"p50_us": percentile(v, 50), "p99_us": percentile(v, 99), "n": len(v)} for k, v in samples.items()}
    table = Table("measure", "p50 µs", "p99 µs", "n", title="routing decision and router overhead")
    for name, row in rows.items():
        table.add_row(name, f"{row['p50_us']:.1f}", f"{row['p99_us']:.1f}", str(row["n"]))
    Console(width=120).print(table)
    return rows


async def main(n: int, out: Path) -> None:
    s = settings()
    backends = {name: ScriptedBackend(name, location="hosted") for name in NAMES}
    router = build_router(s, backends, Pricer.from_settings(s))
    for _ in range(2000):  # warm up
        await router.send(Call(Endpoint.CHAT, {"model": "weighted", "messages": MESSAGES}, "weighted"))
    samples = decisions(router, s, n) | await calls(router, backends["a"], n)
    rows = report(samples)
    worst = max(r["p50_us"] for k, r in rows.items() if k.startswith("decision"))
    verdict = "met" if worst <= TARGET_P50_US else "MISSED"
    print(f"decision p50 worst case {worst:.1f} µs — target ≤ {TARGET_P50_US:.0f} µs: {verdict}")
    write_json(out, {"environment": environment(), "n": n, "results": rows, "target_p50_us": TARGET_P50_US})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--out", type=Path, default=RESULTS / "routing_decision.json")
    args = parser.parse_args()
    asyncio.run(main(5_000 if args.quick else 50_000, args.out))
