"""What budgets add to the request path: the price lookup and the output cap, per request.

    python benchmarks/money_hot_path.py [--quick] [--out FILE]

In process, no database: each measure is the work a budgeted request does on the request path, timed
per call, next to a baseline run in the same loop (counting the prompt's tokens, which every budgeted
request already did before this work existed):

  baseline: prompt tokens      tokens.count_prompt of a two-message chat (what admission did already)
  price lookup                 Pricer.price for a deployment (cached after the first request)
  reservation bound            Reach.bound: the dearest of a group + fallback, priced for the prompt and limit
  cap                          the limit asked, the answers it multiplies by (n, best_of, prompts) and
                               capped() setting max_tokens upstream (the prompt count is the baseline's)

Target: price lookup and cap ≤ 0.05 ms p50 each.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import RESULTS, environment, percentile, timed, write_json
from rich.console import Console
from rich.table import Table

from crossroads.config import parse_settings
from crossroads.metering import tokens
from crossroads.metering.admission import LIMIT_FIELDS, Admission, capped, choices
from crossroads.metering.pricing import Pricer
from crossroads.metering.reach import reaches

TARGET_P50_US = 50.0
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of France?"}]


def settings() -> Any:
    fake = {"type": "openai_compat", "base_url": "http://unused/v1"}
    deployments = [
        {"backend": "openai", "upstream_model": "gpt-4o-mini"},
        {"backend": "vllm", "upstream_model": "llama-3.1-8b", "price": {"input": "0.05", "output": "0.10"}},
    ]
    return parse_settings(
        {
            "backends": {"openai": fake, "vllm": fake},
            "models": {"chat": {"deployments": deployments, "fallbacks": ["big"]}, "big": {"backend": "openai"}},
            "routing": {"rules": [{"when": {"tier": ["premium"]}, "use": "big"}]},
            "metering": {"enabled": True},
        },
        "bench",
    )


def measures(n: int) -> dict[str, list[float]]:
    s = settings()
    pricer = Pricer.from_settings(s)
    reach = reaches(s.routes(), pricer)
    admission = Admission(None, None, reach, s.metering.completion_estimate)  # type: ignore[arg-type]
    body = {"model": "chat", "messages": MESSAGES}
    prompt = tokens.count_prompt("chat", body)

    def cap() -> object:
        asked = next((body[f] for f in LIMIT_FIELDS if body.get(f)), None)
        return capped(body, None if asked else admission.completion_estimate), choices(body)

    cases: dict[str, Callable[[], object]] = {
        "baseline: prompt tokens": lambda: tokens.count_prompt("chat", body),
        "price lookup": lambda: pricer.price("openai", ["gpt-4o-mini", "chat"]),
        "reservation bound": lambda: reach["chat"].bound(prompt, 1024),
        "cap": cap,
    }
    for fn in cases.values():  # warm caches (the tokenizer, the price cache)
        timed(fn, 200)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(10):  # alternate blocks so drift hits every measure alike
        for name, fn in cases.items():
            samples[name] += timed(fn, n // 10)
    return samples


def report(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    base = percentile(samples["baseline: prompt tokens"], 50)
    rows = {}
    for name, values in samples.items():
        p50 = percentile(values, 50)
        rows[name] = {"p50_us": p50, "p99_us": percentile(values, 99), "vs_baseline": p50 / base, "n": len(values)}
    table = Table("measure", "p50 µs", "p99 µs", "× baseline", "n", title="money on the request path")
    for name, row in rows.items():
        table.add_row(name, f"{row['p50_us']:.2f}", f"{row['p99_us']:.2f}", f"{row['vs_baseline']:.2f}", str(row["n"]))
    Console(width=120).print(table)
    return rows


def main(n: int, out: Path) -> None:
    rows = report(measures(n))
    worst = max(rows["price lookup"]["p50_us"], rows["cap"]["p50_us"], rows["reservation bound"]["p50_us"])
    verdict = "met" if worst <= TARGET_P50_US else "MISSED"
    print(f"price lookup, bound and cap p50 worst case {worst:.2f} µs — target ≤ {TARGET_P50_US:.0f} µs: {verdict}")
    write_json(out, {"environment": environment(), "n": n, "results": rows, "target_p50_us": TARGET_P50_US})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--out", type=Path, default=RESULTS / "money_hot_path.json")
    args = parser.parse_args()
    main(5_000 if args.quick else 50_000, args.out)
