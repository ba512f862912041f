"""Fidelity of ``crossroads bench``: is the load generator fast enough, accurate, and in agreement with another tool?

    python benchmarks/bench_fidelity.py [--quick] [--out FILE] [--skip-llamacpp]

  1. capacity   against ``crossroads fake-upstream`` (a separate process) with no injected delay, closed loop at
                concurrency 64, streaming and not: requests/s achieved, and the generator's own CPU per request.
                Target: ≥ 2,000 requests/s.
  2. accuracy   against the fake with injected timing (TTFT 50 ms, 20 ms per token, 32 tokens) at concurrency
                1, 8, 32: reported TTFT and TPOT against the injected values. Target: within 5%.
  3. agreement  first against the fake (injected timing: a server whose true figures are known), then
                against llama.cpp's own server (SmolLM2, ``python -m llama_cpp.server``, which by default
                interrupts a running request when another arrives: started with ``--interrupt_requests False``
                so that concurrent requests queue, as a real deployment's do): the same request bodies
                (64 tokens in, exactly 32 out via min_tokens) driven by crossroads bench and by locust (an
                independent load tool: its own HTTP client, gevent scheduling and statistics; the locustfile
                reports TTFT and end-to-end times as locust request events), each for the same number of
                requests at concurrency 1 and 4, in alternating rounds (a busy machine drifts); each figure is the
                median over rounds. Throughput and mean TTFT must agree within 10%.

Prints a table and writes JSON (default: benchmarks/results/bench_fidelity.json). Needs ``pip install locust``.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from crossroads.backends.bundled import smollm2_path
from crossroads.lab.bench.prompts import synthetic
from crossroads.lab.bench.result import SLO, LevelResult
from crossroads.lab.bench.runner import BenchSpec, bodies, run_bench
from crossroads.lab.bench.stamp import environment
from crossroads.lab.bench.target import from_url
from crossroads.testing.server import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tests.support
from tests.support.processes import running

RESULTS = Path(__file__).parent / "results"
INJECTED = {"ttft_ms": 50, "token_delay_ms": 20, "tokens": 32}
CAPACITY_TARGET, ACCURACY_PCT, AGREEMENT_PCT = 2000.0, 5.0, 10.0

console = Console()
if not console.is_terminal:
    console.width = 160


@dataclass(frozen=True)
class Plan:
    capacity_requests: int
    accuracy_requests: int
    agreement_requests: int
    agreement_rounds: int


FULL, QUICK = Plan(20_000, 40, 60, 5), Plan(4_000, 12, 18, 3)


def spec(url: str, model: str, **kwargs: Any) -> BenchSpec:
    headers = kwargs.pop("headers", {})
    options: dict[str, Any] = {
        "levels": [1],
        "warmup": 2,
        "slo": SLO(),
        "input_tokens": 64,
        "output_tokens": 32,
    } | kwargs
    prompts = synthetic(256, options["input_tokens"], options["output_tokens"])
    return BenchSpec(target=from_url(url, model, None, headers), prompts=prompts, **options)


def pct(measured: float | None, expected: float) -> float | None:
    return None if measured is None else (measured - expected) / expected * 100


# ---- 1. capacity --------------------------------------------------------------------------------


async def capacity(url: str, requests: int) -> list[dict[str, Any]]:
    rows = []
    for stream in (False, True):
        bench = spec(url, "gpt-4o-mini", levels=[64], requests=requests, warmup=500, stream=stream)
        cpu = time.process_time()
        result, _ = await run_bench(bench)
        cpu = time.process_time() - cpu
        level = result.levels[0]
        rows.append(
            {
                "stream": stream,
                "requests": level.requests,
                "failed": level.failed,
                "requests_per_s": level.request_rate,
                "generator_cpu_us_per_request": cpu / (requests + 500) * 1e6,
                "generator_capacity_per_cpu_s": (requests + 500) / cpu,
                "meets_target": level.request_rate >= CAPACITY_TARGET,
            }
        )
    return rows


# ---- 2. accuracy --------------------------------------------------------------------------------


async def accuracy(url: str, requests: int) -> list[dict[str, Any]]:
    """Injected timing, and the same with no injected TTFT: the floor that transport and the fake add."""
    floor_fault = INJECTED | {"ttft_ms": 0}
    runs = []
    for fault in (INJECTED, floor_fault):
        headers = {"x-fake-fault": json.dumps(fault)}
        bench = spec(url, "gpt-4o-mini", levels=[1, 8, 32], requests=requests, headers=headers)
        runs.append((await run_bench(bench))[0].levels)
    return [_accuracy_row(level, floor) for level, floor in zip(*runs, strict=True)]


def _accuracy_row(level: LevelResult, floor: LevelResult) -> dict[str, Any]:
    errors = {
        "ttft_mean_err_pct": pct(level.ttft_ms.mean, INJECTED["ttft_ms"]),
        "ttft_p50_err_pct": pct(level.ttft_ms.p50, INJECTED["ttft_ms"]),
        "tpot_mean_err_pct": pct(level.tpot_ms.mean, INJECTED["token_delay_ms"]),
        "tpot_p50_err_pct": pct(level.tpot_ms.p50, INJECTED["token_delay_ms"]),
    }
    ok = all(v is not None and abs(v) <= ACCURACY_PCT for k, v in errors.items() if "p50" in k)
    return {
        "concurrency": level.level,
        "requests": level.requests,
        "ttft_mean_ms": level.ttft_ms.mean,
        "ttft_floor_p50_ms": floor.ttft_ms.p50,
        "tpot_mean_ms": level.tpot_ms.mean,
        "itl_p50_ms": level.itl_ms.p50,
        **errors,
        "meets_target": ok,
    }


# ---- 3. agreement with locust on llama.cpp's server -----------------------------------------------

LOCUSTFILE = """
import itertools, json, os, time
import gevent
from locust import HttpUser, task

BODIES = itertools.cycle(json.load(open(os.environ["BENCH_BODIES"])))
REQUESTS = int(os.environ["BENCH_REQUESTS"])
DONE = [0]


class Chat(HttpUser):
    @task
    def chat(self):
        fire = self.environment.events.request.fire
        start, first, tokens = time.perf_counter(), None, 0
        headers = {"content-type": "application/json"}
        r = self.client.post("/v1/chat/completions", data=next(BODIES), headers=headers, stream=True, name="http")
        for line in r.iter_lines(chunk_size=None):
            if not line.startswith(b"data:") or line.strip() == b"data: [DONE]":
                continue
            choices = json.loads(line[5:]).get("choices") or [{}]
            if (choices[0].get("delta") or {}).get("content"):
                tokens += 1
                if first is None:
                    first = time.perf_counter()
                    fire(request_type="SSE", name="ttft", response_time=(first - start) * 1000, response_length=0)
        r.close()
        now = time.perf_counter()
        fire(request_type="SSE", name="e2e", response_time=(now - start) * 1000, response_length=tokens)
        DONE[0] += 1
        if DONE[0] == REQUESTS:  # stop after as many requests as crossroads bench sent
            gevent.spawn(self.environment.runner.quit)
"""


def locust(url: str, body_file: Path, users: int, requests: int, work: Path) -> dict[str, float]:
    """Run locust until ``requests`` have completed; its final statistics come from ``--json`` (its CSV file
    is written before the last events are counted). Requests/s is locust's own: completed requests over the
    time from the start of the test (its first entry) to the last completion."""
    (work / "locustfile.py").write_text(LOCUSTFILE)
    args = [sys.executable, "-m", "locust", "-f", str(work / "locustfile.py"), "--headless", "-u", str(users)]
    args += ["-r", str(users), "-t", f"{requests * 30}s", "--host", url, "--json", "--only-summary"]
    args += ["--loglevel", "WARNING", "--stop-timeout", "0"]
    env = {**os.environ, "BENCH_BODIES": str(body_file), "BENCH_REQUESTS": str(requests)}
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    try:
        entries = {e["name"]: e for e in json.loads(done.stdout)}
    except json.JSONDecodeError:
        entries = {}
    if "e2e" not in entries:
        raise RuntimeError(f"locust completed no request (exit {done.returncode}): {done.stderr[-3000:]}")
    e2e, ttft = entries["e2e"], entries["ttft"]
    n = e2e["num_requests"]
    rate = n / (e2e["last_request_timestamp"] - min(e["start_time"] for e in entries.values()))
    return {
        "requests": n,
        "failures": sum(e["num_failures"] for e in entries.values()),
        "requests_per_s": rate,
        "ttft_mean_ms": ttft["total_response_time"] / ttft["num_requests"],
        "output_tokens_per_s": rate * e2e["total_content_length"] / n,
    }


async def agreement(url: str, requests: int, rounds: int, work: Path, model: str = "smollm2") -> list[dict[str, Any]]:
    """Alternate the two tools in ``rounds`` blocks per level, so drift of a busy machine hits both alike."""
    rows = []
    extra = {"fake_fault": INJECTED} if model == "gpt-4o-mini" else {}  # the fake: timing injected in the body
    for users in (1, 4):
        per_round = requests // rounds
        bench = spec(url, model, levels=[users], requests=per_round, ignore_eos=True, extra_body=extra)
        body_file = work / "bodies.json"
        body_file.write_text(json.dumps([b.decode() for b in bodies(bench)]))
        ours, theirs = [], []
        for _ in range(rounds):
            level = (await run_bench(bench))[0].levels[0]
            ours.append(
                {
                    "requests": level.succeeded,
                    "requests_per_s": level.request_rate,
                    "output_tokens_per_s": level.output_tokens_per_s,
                    "ttft_mean_ms": level.ttft_ms.mean,
                }
            )
            theirs.append(locust(url.removesuffix("/v1"), body_file, users, per_round, work))
        rows.append(_agreement_row(users, _median(ours), _median(theirs), ours, theirs))
    return rows


def _median(rounds: list[dict[str, Any]]) -> dict[str, float]:
    """Each figure's median over the rounds: one round hit by another process's burst does not decide."""
    keys = ("requests_per_s", "output_tokens_per_s", "ttft_mean_ms")
    return {"requests": sum(r["requests"] for r in rounds)} | {k: statistics.median(r[k] for r in rounds) for k in keys}


def _agreement_row(users: int, ours: dict[str, float], theirs: dict[str, float], *rounds: Any) -> dict[str, Any]:
    diffs = {
        "requests_per_s_diff_pct": pct(ours["requests_per_s"], theirs["requests_per_s"]),
        "output_tokens_per_s_diff_pct": pct(ours["output_tokens_per_s"], theirs["output_tokens_per_s"]),
        "ttft_mean_diff_pct": pct(ours["ttft_mean_ms"], theirs["ttft_mean_ms"]),
    }
    ok = all(v is not None and abs(v) <= AGREEMENT_PCT for v in diffs.values())
    return {
        "concurrency": users,
        "crossroads": ours,
        "locust": theirs,
        **diffs,
        "meets_target": ok,
        "rounds": {"crossroads": rounds[0], "locust": rounds[1]},
    }


# ---- main ---------------------------------------------------------------------------------------


@contextmanager
def llama_server() -> Iterator[str]:
    """llama.cpp's server queuing concurrent requests (by default a new request interrupts the running one)."""
    port = free_port()
    args = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()), "--model_alias", "smollm2"]
    args += ["--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--interrupt_requests", "False"]
    with running(args, "/v1/models", port) as base:
        yield base + "/v1"


async def fake_parts(plan: Plan) -> dict[str, Any]:
    port = free_port()
    args = [sys.executable, "-m", "crossroads", "fake-upstream", "--port", str(port)]
    with running(args, "/v1/models", port) as base, tempfile.TemporaryDirectory() as tmp:
        return {
            "agreement_on_fake": await agreement(base + "/v1", 24, 2, Path(tmp), model="gpt-4o-mini"),
            "capacity": await capacity(base + "/v1", plan.capacity_requests),
            "accuracy": await accuracy(base + "/v1", plan.accuracy_requests),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, shorter runs")
    parser.add_argument("--skip-llamacpp", action="store_true", help="only the fake-upstream parts")
    parser.add_argument("--skip-fake", action="store_true", help="only the agreement with locust on llama.cpp")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_fidelity.json")
    opts = parser.parse_args()
    plan = QUICK if opts.quick else FULL
    report: dict[str, Any] = {"environment": environment().model_dump(), "plan": plan.__dict__}
    if not opts.skip_fake:
        report |= asyncio.run(fake_parts(plan))
    if not opts.skip_llamacpp:
        with tempfile.TemporaryDirectory() as tmp, llama_server() as url:
            report["agreement"] = asyncio.run(agreement(url, plan.agreement_requests, plan.agreement_rounds, Path(tmp)))
    print_report(report)
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"written: {opts.out}")


def fmt(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}" if isinstance(value, float) else str(value)


def print_report(report: dict[str, Any]) -> None:
    if "capacity" in report:
        print_fake_parts(report)
    if "agreement_on_fake" in report:
        print_agreement(report["agreement_on_fake"], "3a. agreement with locust on the fake (TTFT 50 ms, 20 ms/token)")
    if "agreement" in report:
        print_agreement(report["agreement"], "3b. agreement with locust on llama.cpp's server")


def print_fake_parts(report: dict[str, Any]) -> None:
    table = Table(title=f"1. capacity (target ≥ {CAPACITY_TARGET:,.0f} req/s)", title_justify="left")
    for col in ("stream", "requests", "failed", "req/s", "generator CPU µs/req", "req per generator CPU-s", "ok"):
        table.add_column(col, justify="right")
    for r in report["capacity"]:
        table.add_row(
            str(r["stream"]),
            str(r["requests"]),
            str(r["failed"]),
            fmt(r["requests_per_s"]),
            fmt(r["generator_cpu_us_per_request"]),
            fmt(r["generator_capacity_per_cpu_s"], 0),
            str(r["meets_target"]),
        )
    console.print(table)
    table = Table(
        title=f"2. accuracy vs injected TTFT 50 ms, TPOT 20 ms (target ±{ACCURACY_PCT:g}%)", title_justify="left"
    )
    for col in (
        "concurrency",
        "TTFT mean ms",
        "TTFT floor p50 ms",
        "TTFT mean err %",
        "TTFT p50 err %",
        "TPOT mean ms",
        "TPOT p50 err %",
        "ok",
    ):
        table.add_column(col, justify="right")
    for r in report["accuracy"]:
        table.add_row(
            fmt(r["concurrency"], 0),
            fmt(r["ttft_mean_ms"], 2),
            fmt(r["ttft_floor_p50_ms"], 2),
            fmt(r["ttft_mean_err_pct"], 2),
            fmt(r["ttft_p50_err_pct"], 2),
            fmt(r["tpot_mean_ms"], 2),
            fmt(r["tpot_p50_err_pct"], 2),
            str(r["meets_target"]),
        )
    console.print(table)


def print_agreement(rows: list[dict[str, Any]], title: str) -> None:
    table = Table(title=f"{title} (target ±{AGREEMENT_PCT:g}%)", title_justify="left")
    for col in (
        "concurrency",
        "req/s ours",
        "req/s locust",
        "diff %",
        "tok/s ours",
        "tok/s locust",
        "diff %",
        "TTFT ours ms",
        "TTFT locust ms",
        "diff %",
        "ok",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        a, b = r["crossroads"], r["locust"]
        table.add_row(
            str(r["concurrency"]),
            fmt(a["requests_per_s"], 2),
            fmt(b["requests_per_s"], 2),
            fmt(r["requests_per_s_diff_pct"]),
            fmt(a["output_tokens_per_s"]),
            fmt(b["output_tokens_per_s"]),
            fmt(r["output_tokens_per_s_diff_pct"]),
            fmt(a["ttft_mean_ms"]),
            fmt(b["ttft_mean_ms"]),
            fmt(r["ttft_mean_diff_pct"]),
            str(r["meets_target"]),
        )
    console.print(table)


if __name__ == "__main__":
    main()
