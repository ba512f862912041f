"""Gateway overhead: latency through ``crossroads serve`` minus latency straight to the fake upstream.

    python benchmarks/gateway_overhead.py [--quick] [--out FILE] [--nice -10]

Three processes: the fake upstream (``crossroads fake-upstream``), the gateway (``crossroads serve`` with one
openai_compat backend pointing at the fake) and this load generator (aiohttp, one keep-alive session).
Identical requests go straight to the fake and through the gateway, in alternating blocks of the same run,
so drift of a noisy machine affects both sides. Added latency = gateway percentile − direct percentile.

  closed loop  concurrency 1, 16, 64; non-streaming (whole response) and streaming (time to first content chunk)
  open loop    Poisson arrivals at 200 req/s (the targets), then a rate sweep for the highest rate whose
               added p99 stays within 10 ms
  memory       the gateway's VmRSS after a warm-up, then after 100,000 more requests

Targets (2-core machine): added p50 ≤ 1 ms and added p99 ≤ 5 ms at 200 req/s; RSS growth < 5% after warm-up.
When other work shares the machine, the tables say how much ("other CPU %"); ``--nice -10`` gives the three
processes priority over it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from harness import RESULTS, Server, environment, machine_busy_seconds, percentile, server, write_json
from rich.console import Console
from rich.table import Table

from crossroads.testing.server import free_port

MODEL = "gpt-4o-mini"
TOKENS = 16
SIDES = ("direct", "gateway")
LEVELS = (1, 16, 64)
TARGET_RATE = 200.0
SWEEP_RATES = (100, 200, 400, 600, 800, 1000, 1200, 1600, 2000, 2400, 3200)
SWEEP_P99_MS = 10.0
TARGET_P50_MS, TARGET_P99_MS, TARGET_RSS_PCT = 1.0, 5.0, 5.0

console = Console()
if not console.is_terminal:
    console.width = 180


@dataclass(frozen=True)
class Plan:
    closed_requests: int  # per side, level and mode
    closed_rounds: int  # alternating blocks per side
    target_seconds: float  # per side and mode at TARGET_RATE
    sweep_seconds: float  # per side and rate
    block_seconds: float  # one open-loop block
    rss_warmup: int
    rss_requests: int


FULL = Plan(4000, 4, 30.0, 8.0, 2.0, 5_000, 100_000)
QUICK = Plan(400, 2, 4.0, 2.0, 1.0, 1_000, 10_000)


class RequestFailed(Exception):
    pass


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)  # seconds
    lags: list[float] = field(default_factory=list)  # open loop: how late each send started
    errors: int = 0
    seconds: float = 0.0  # wall time spent in blocks
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds spent by each server during the blocks

    def extend(self, other: Samples) -> None:
        self.latencies += other.latencies
        self.lags += other.lags
        self.errors += other.errors
        self.seconds += other.seconds
        for name, seconds in other.cpu.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + seconds

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def summary(self) -> dict[str, Any]:
        out = {"n": len(self.latencies), "errors": self.errors, "p50_ms": self.ms(50), "p99_ms": self.ms(99)}
        out["mean_ms"] = sum(self.latencies) / len(self.latencies) * 1000 if self.latencies else math.nan
        out["req_per_s"] = len(self.latencies) / self.seconds if self.seconds else math.nan
        for name, seconds in self.cpu.items():
            out[f"{name}_cpu_us_per_req"] = seconds / len(self.latencies) * 1e6 if self.latencies else math.nan
        if self.lags:
            out["send_lag_p99_ms"] = percentile(self.lags, 99) * 1000
        return out


# ---- one request ------------------------------------------------------------------------------------


class Client:
    """Times identical chat requests against a base URL; streaming returns the time to first content."""

    def __init__(self, session: aiohttp.ClientSession, servers: dict[str, Server]) -> None:
        self.session = session
        self.servers = servers  # "direct" is the fake upstream, "gateway" the gateway
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": "Say something short about latency."}],
            "max_tokens": TOKENS,
            "fake_fault": {"tokens": TOKENS},
        }
        self.payloads = {False: orjson.dumps(body), True: orjson.dumps({**body, "stream": True})}

    async def timed(self, side: str, stream: bool) -> float:
        url = self.servers[side].url + "/v1/chat/completions"
        start = time.perf_counter()
        async with self.session.post(
            url, data=self.payloads[stream], headers={"content-type": "application/json"}
        ) as r:
            if r.status != 200:
                raise RequestFailed(f"{side}: HTTP {r.status} {(await r.read())[:200]!r}")
            if not stream:
                if b'"choices"' not in await r.read():
                    raise RequestFailed(f"{side}: no choices in the response")
                return time.perf_counter() - start
            return await _first_content(side, r, start)


async def _first_content(side: str, resp: aiohttp.ClientResponse, start: float) -> float:
    first, last = math.nan, b""
    async for line in resp.content:
        if math.isnan(first) and line.startswith(b"data: {") and _delta_text(line[6:]):
            first = time.perf_counter() - start
        if line.strip():
            last = line.strip()
    if math.isnan(first) or last != b"data: [DONE]":
        raise RequestFailed(f"{side}: stream without content or [DONE] (last line {last[:80]!r})")
    return first


def _delta_text(data: bytes) -> str:
    choices = orjson.loads(data).get("choices") or [{}]
    return str(choices[0].get("delta", {}).get("content") or "")


Send = Callable[[], Awaitable[float]]
ERRORS = (aiohttp.ClientError, RequestFailed, TimeoutError)


async def _record(send: Send, samples: Samples) -> None:
    try:
        samples.latencies.append(await send())
    except ERRORS as exc:
        if samples.errors == 0:
            console.print(f"[red]request failed: {exc!r}")
        samples.errors += 1


# ---- load shapes ------------------------------------------------------------------------------------


async def closed_loop(send: Send, concurrency: int, n: int) -> Samples:
    """``concurrency`` workers, each sending its next request when the last one finished, ``n`` in all."""
    samples, left = Samples(), n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await _record(send, samples)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    samples.seconds = time.perf_counter() - start
    return samples


async def open_loop(send: Send, rate: float, seconds: float, rng: random.Random) -> Samples:
    """Poisson arrivals at ``rate``/s for ``seconds``, each request on its own task, whatever is in flight."""
    loop = asyncio.get_running_loop()
    samples, tasks = Samples(), set()
    start = due = loop.time()
    while (due := due + rng.expovariate(rate)) < start + seconds:
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        samples.lags.append(max(0.0, loop.time() - due))
        task = loop.create_task(_record(send, samples))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    samples.seconds = seconds
    return samples


@contextmanager
def gc_paused() -> Iterator[None]:
    """No collector pauses of the load generator inside a measured block; collect between blocks."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


Block = Callable[[str], Awaitable[Samples]]


async def compare(client: Client, block: Block, rounds: int, **labels: Any) -> dict[str, Any]:
    """Run ``block`` for each side, ``rounds`` times, swapping which side goes first every round."""
    totals = {side: Samples() for side in SIDES}
    busy, ours = machine_busy_seconds(), _our_cpu(client)
    for r in range(rounds):
        for side in SIDES if r % 2 == 0 else SIDES[::-1]:
            before = {name: srv.cpu_seconds() for name, srv in client.servers.items()}
            with gc_paused():
                samples = await block(side)
            samples.cpu = {_CPU_NAMES[n]: srv.cpu_seconds() - before[n] for n, srv in client.servers.items()}
            totals[side].extend(samples)
    wall = totals["direct"].seconds + totals["gateway"].seconds
    background = (machine_busy_seconds() - busy) - (_our_cpu(client) - ours)
    direct, gateway = totals["direct"].summary(), totals["gateway"].summary()
    added = {f"added_{q}_ms": gateway[f"{q}_ms"] - direct[f"{q}_ms"] for q in ("p50", "p99")}
    row = {**labels, "direct": direct, "gateway": gateway, **added}
    row["background_cpu_pct"] = max(0.0, background) / (wall * (os.cpu_count() or 1)) * 100
    return row


_CPU_NAMES = {"direct": "fake", "gateway": "gateway"}


def _our_cpu(client: Client) -> float:
    """CPU seconds used so far by the three processes of the benchmark."""
    return time.process_time() + sum(srv.cpu_seconds() for srv in client.servers.values())


# ---- phases -----------------------------------------------------------------------------------------


async def closed_phase(client: Client, plan: Plan) -> list[dict[str, Any]]:
    rows = []
    for stream in (False, True):
        for level in LEVELS:
            rows.append(await closed_level(client, level, stream, plan))
            _progress("closed loop", rows[-1])
    return rows


async def closed_level(client: Client, level: int, stream: bool, plan: Plan) -> dict[str, Any]:
    n = max(level, plan.closed_requests // plan.closed_rounds)
    for side in SIDES:  # warm-up: open the connections, fill caches
        await closed_loop(partial(client.timed, side, stream), level, max(4 * level, 100))

    async def block(side: str) -> Samples:
        return await closed_loop(partial(client.timed, side, stream), level, n)

    return await compare(client, block, plan.closed_rounds, stream=stream, concurrency=level)


async def open_phase(client: Client, rate: float, seconds: float, stream: bool, plan: Plan) -> dict[str, Any]:
    rng = random.Random(f"{rate}-{stream}")
    rounds = max(1, math.ceil(seconds / plan.block_seconds))
    for side in SIDES:
        await open_loop(partial(client.timed, side, stream), rate, min(1.0, plan.block_seconds), rng)

    async def block(side: str) -> Samples:
        return await open_loop(partial(client.timed, side, stream), rate, seconds / rounds, rng)

    row = await compare(client, block, rounds, stream=stream, rate=rate)
    _progress("open loop", row)
    return row


async def sweep_phase(client: Client, plan: Plan) -> tuple[list[dict[str, Any]], float | None]:
    """Non-streaming rates upwards until two in a row exceed the bound (or fail requests): one can be noise."""
    rows, best, misses = [], None, 0
    for rate in SWEEP_RATES:
        row = await open_phase(client, rate, plan.sweep_seconds, False, plan)
        errors = row["direct"]["errors"] + row["gateway"]["errors"]
        row["within_bound"] = row["added_p99_ms"] <= SWEEP_P99_MS and not errors
        rows.append(row)
        if row["within_bound"]:
            best, misses = rate, 0
        elif (misses := misses + 1) == 2:
            break
    return rows, best


async def memory_phase(client: Client, gateway: Server, plan: Plan) -> dict[str, Any]:
    """Gateway RSS after a warm-up, then after ``rss_requests`` more (one in four streaming), concurrency 16."""
    count = 0

    def mixed() -> Awaitable[float]:
        nonlocal count
        count += 1
        return client.timed("gateway", count % 4 == 0)

    await closed_loop(mixed, 16, plan.rss_warmup)
    before = gateway.rss_kib()
    trace, errors, steps = [before], 0, 10
    for _ in range(steps):
        errors += (await closed_loop(mixed, 16, plan.rss_requests // steps)).errors
        trace.append(gateway.rss_kib())
    after = trace[-1]
    growth = (after - before) / before * 100
    console.print(f"memory: {before} KiB -> {after} KiB ({growth:+.2f}%), errors {errors}")
    return {
        "warmup_requests": plan.rss_warmup,
        "requests": plan.rss_requests,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "growth_pct": growth,
        "trace_kib": trace,
        "errors": errors,
    }


def _progress(name: str, row: dict[str, Any]) -> None:
    level = f"c={row['concurrency']}" if "concurrency" in row else f"{row['rate']:g} req/s"
    mode = "stream TTFT" if row["stream"] else "non-stream"
    direct, gateway = row["direct"], row["gateway"]
    console.print(
        f"{name} {mode} {level}: p50 direct {direct['p50_ms']:.2f} / gateway {gateway['p50_ms']:.2f} ms, "
        f"added p50 {row['added_p50_ms']:+.2f} / p99 {row['added_p99_ms']:+.2f} ms; "
        f"gateway CPU {gateway['gateway_cpu_us_per_req']:.0f} µs/req; other load {row['background_cpu_pct']:.0f}%"
    )


# ---- processes and report ---------------------------------------------------------------------------


def gateway_config(directory: Path, upstream_port: int) -> Path:
    path = directory / "crossroads.yaml"
    path.write_text(
        "backends:\n"
        f"  fake: {{type: openai_compat, base_url: 'http://127.0.0.1:{upstream_port}/v1', location: local}}\n"
        f"models:\n  {MODEL}: {{backend: fake}}\n"
    )
    return path


async def measure(plan: Plan, fake: Server, gateway: Server) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=2048, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        client = Client(session, {"direct": fake, "gateway": gateway})
        closed = await closed_phase(client, plan)
        target = [await open_phase(client, TARGET_RATE, plan.target_seconds, s, plan) for s in (False, True)]
        sweep, best = await sweep_phase(client, plan)
        memory = await memory_phase(client, gateway, plan)
    return {
        "closed_loop": closed,
        "target_rate": target,
        "sweep": sweep,
        "max_rate_within_bound": best,
        "memory": memory,
    }


async def background_load(seconds: float = 3.0) -> float:
    """How busy the machine is before we start (% of all cores); warn when others would skew the figures."""
    busy, ours = machine_busy_seconds(), time.process_time()
    await asyncio.sleep(seconds)
    pct = ((machine_busy_seconds() - busy) - (time.process_time() - ours)) / (seconds * (os.cpu_count() or 1)) * 100
    if pct > 10:
        console.print(f"[yellow]warning: other processes use {pct:.0f}% of the CPU; latency figures will be noisy")
    return pct


def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for row in result["target_rate"]:
        mode = "streaming TTFT" if row["stream"] else "non-streaming"
        for q, bound in (("p50", TARGET_P50_MS), ("p99", TARGET_P99_MS)):
            value = row[f"added_{q}_ms"]
            name = f"added {q} ≤ {bound:g} ms at {TARGET_RATE:g} req/s, {mode}"
            out.append({"target": name, "value": round(value, 3), "unit": "ms", "met": value <= bound})
    growth = result["memory"]["growth_pct"]
    out.append({"target": f"RSS growth < {TARGET_RSS_PCT:g}%", "value": round(growth, 2), "unit": "%"})
    out[-1]["met"] = growth < TARGET_RSS_PCT
    return out


COLUMNS = ("mode", "direct p50", "direct p99", "gw p50", "gw p99", "added p50", "added p99")
MORE = ("gw CPU µs/req", "fake CPU µs/req", "gw req/s", "other CPU %", "errors d/gw")


def _latency_table(title: str, rows: list[dict[str, Any]], key: str) -> Table:
    table = Table(title=title)
    for column in (COLUMNS[0], key, *COLUMNS[1:], *MORE):
        table.add_column(column, justify="right")
    for row in rows:
        d, g = row["direct"], row["gateway"]
        table.add_row(
            "stream TTFT" if row["stream"] else "non-stream",
            f"{row[key]:g}",
            *(f"{v:.2f}" for v in (d["p50_ms"], d["p99_ms"], g["p50_ms"], g["p99_ms"])),
            *(f"{v:+.2f}" for v in (row["added_p50_ms"], row["added_p99_ms"])),
            f"{g['gateway_cpu_us_per_req']:.0f}",
            f"{d['fake_cpu_us_per_req']:.0f}",
            f"{g['req_per_s']:.0f}",
            f"{row['background_cpu_pct']:.0f}",
            f"{d['errors']}/{g['errors']}",
        )
    return table


def report(result: dict[str, Any]) -> None:
    console.print(_latency_table("Closed loop (ms)", result["closed_loop"], "concurrency"))
    console.print(_latency_table(f"Open loop at {TARGET_RATE:g} req/s (ms)", result["target_rate"], "rate"))
    console.print(_latency_table("Rate sweep, non-streaming (ms)", result["sweep"], "rate"))
    best = result["max_rate_within_bound"]
    console.print(f"Highest rate with added p99 ≤ {SWEEP_P99_MS:g} ms: " + (f"{best:g} req/s" if best else "none"))
    mem = result["memory"]
    console.print(
        f"Gateway RSS: {mem['rss_before_kib'] / 1024:.1f} MiB after {mem['warmup_requests']:,} requests, "
        f"{mem['rss_after_kib'] / 1024:.1f} MiB after {mem['requests']:,} more ({mem['growth_pct']:+.2f}%)"
    )
    table = Table(title="Targets")
    for column in ("target", "value", "verdict"):
        table.add_column(column)
    for v in result["verdicts"]:
        table.add_row(v["target"], f"{v['value']} {v['unit']}", "[green]met" if v["met"] else "[red]not met")
    console.print(table)


async def run(plan: Plan) -> dict[str, Any]:
    fake_port, gateway_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = gateway_config(Path(tmp), fake_port)
        with (
            server(["fake-upstream", "--port", str(fake_port)], fake_port, "/v1/models") as fake,
            server(
                ["serve", "--config", str(config), "--port", str(gateway_port), "--log-level", "warning"],
                gateway_port,
                "/health",
            ) as gateway,
        ):
            started = time.monotonic()
            idle = await background_load()
            figures = await measure(plan, fake, gateway)
    result = {"environment": environment(), "plan": plan.__dict__, "other_cpu_pct_before": idle, **figures}
    result["duration_s"] = round(time.monotonic() - started, 1)
    result["verdicts"] = verdicts(result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run (smoke check, about a minute)")
    parser.add_argument("--out", type=Path, default=RESULTS / "gateway_overhead.json", help="JSON result file")
    parser.add_argument(
        "--nice", type=int, default=0, help="niceness increment for the three processes (e.g. -10, needs root)"
    )
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)  # the servers started later inherit it
    result = _run_loop(run(QUICK if args.quick else FULL))
    result.update(quick=args.quick, niceness=os.nice(0))
    report(result)
    write_json(args.out, result)
    console.print(f"wrote {args.out}")


def _run_loop(coro: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
