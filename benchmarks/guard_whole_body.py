"""What reading the whole request body costs the guard, before and after, in one run.

A 2 KB chat request (system and user messages with personal data, a tool with a JSON schema, metadata) goes
through the gateway pipeline to a scripted local backend: no guard, the guard without names, the guard with
names, taking turns in blocks inside one process, which reports what the guard adds over no guard (p50, p99).
The script runs that process alternately on this checkout ("after") and on a git worktree of an earlier
revision ("before": by default the last one whose guard read only the known text fields), a few rounds each,
and prints both. Target: after ≤ before + 0.3 ms p50 without names.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import RESULTS, environment, percentile, write_json
from rich.console import Console

from crossroads.backends import Endpoint
from crossroads.config import parse_settings
from crossroads.gateway import Gateway

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tests.support
from tests.support.scripted import ScriptedBackend

BEFORE = "f71e1a3"  # the last revision whose guard read only the known text fields
STRUCTURED = {"*": "pseudonymize", "PERSON": "allow", "LOCATION": "allow", "ORGANIZATION": "allow"}
NAMES = {"*": "pseudonymize"}


def request() -> dict[str, Any]:
    ticket = (
        "Customer Maria Keller (maria.keller@example.com, +49 30 901820) reports that her card 4111 1111 1111 1111 "
        "was charged twice for order 88231 on 2026-11-03. She asks for a refund to IBAN DE89 3704 0044 0532 0130 00 "
        "and mentions her colleague John Smith at Globex can confirm. Server log: 10.2.3.4 GET /orders/88231 200. "
    )
    schema = {
        "type": "object",
        "properties": {
            "customer_email": {"type": "string", "description": "the customer's address"},
            "amount": {"type": "number", "description": "refund in euros"},
            "reason": {"type": "string", "enum": ["duplicate", "fraud", "other"]},
        },
        "required": ["customer_email", "amount"],
    }
    return {
        "model": "m",
        "messages": [
            {"role": "system", "content": "You are a support assistant. Answer briefly and never invent data."},
            {"role": "user", "content": (ticket * 5)[:1500]},
        ],
        "tools": [{"type": "function", "function": {"name": "refund", "description": "Refund", "parameters": schema}}],
        "metadata": {"ticket": "T-88231", "team": "payments"},
        "temperature": 0.2,
    }


def gateway(policy: dict[str, str] | None) -> Gateway:
    raw: dict[str, Any] = {"backends": {"local": {"type": "embedded"}}, "models": {"m": {"backend": "local"}}}
    if policy is not None:
        raw["privacy"] = {"default": policy, "ner": {"cache_size": 0}}
    return Gateway(parse_settings(raw, "bench"), backends={"local": ScriptedBackend("local")})


async def measure(blocks: int, per_block: int) -> dict[str, Any]:
    body = request()
    variants = {"off": gateway(None), "structured": gateway(STRUCTURED), "names": gateway(NAMES)}
    for gw in variants.values():
        await gw.start()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(blocks):
        for name, gw in variants.items():
            for _ in range(per_block):
                began = time.perf_counter()
                await gw.send(Endpoint.CHAT, body)
                samples[name].append(time.perf_counter() - began)
    for gw in variants.values():
        await gw.aclose()
    base = {q: percentile(samples["off"], q) for q in (50, 99)}
    added = {
        name: {f"p{q}_ms": (percentile(v, q) - base[q]) * 1000 for q in (50, 99)}
        for name, v in samples.items()
        if name != "off"
    }
    return {"request_chars": len(json.dumps(body)), "added": added, "requests_per_variant": blocks * per_block}


def run_inner(src: Path, blocks: int, per_block: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{Path(__file__).parent}"}
    args = [sys.executable, __file__, "--inner", "--blocks", str(blocks), "--per-block", str(per_block)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True, cwd=Path(__file__).parent)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def median_added(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    return {
        variant: {q: statistics.median(r["added"][variant][q] for r in runs) for q in ("p50_ms", "p99_ms")}
        for variant in ("structured", "names")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--per-block", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help="git revision measured as 'before'")
    parser.add_argument("--out", type=Path, default=RESULTS / "guard_whole_body.json")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(asyncio.run(measure(args.blocks, args.per_block))))
        return
    root = Path(__file__).resolve().parent.parent
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "before"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(before), args.before],
                       check=True, capture_output=True)  # fmt: skip
        try:
            for _ in range(args.rounds):
                for name, src in (("before", before / "src"), ("after", root / "src")):
                    runs[name].append(run_inner(src, args.blocks, args.per_block))
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(before)], check=False)
    result = {name: median_added(r) for name, r in runs.items()}
    console = Console(width=120)
    console.print(f"guard cost on a {runs['after'][0]['request_chars']}-character chat request, added over no guard "
                  f"(median of {args.rounds} alternating runs, {runs['after'][0]['requests_per_variant']} requests "
                  "per variant each):")  # fmt: skip
    for variant in ("structured", "names"):
        b, a = result["before"][variant], result["after"][variant]
        console.print(f"  {variant:10} before p50 +{b['p50_ms']:.3f} ms p99 +{b['p99_ms']:.3f} ms | after p50 "
                      f"+{a['p50_ms']:.3f} ms p99 +{a['p99_ms']:.3f} ms | after - before p50 "
                      f"{a['p50_ms'] - b['p50_ms']:+.3f} ms")  # fmt: skip
    extra = result["after"]["structured"]["p50_ms"] - result["before"]["structured"]["p50_ms"]
    console.print(f"whole-body reading adds {extra:+.3f} ms p50 without names (target ≤ 0.3 ms)")
    write_json(args.out, {"environment": environment(), "before_revision": args.before, **result, "runs": runs})
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
