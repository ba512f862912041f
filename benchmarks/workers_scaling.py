"""Workers and replicas: ``serve --workers 1`` vs ``--workers 2`` vs two single-worker replicas behind a
round-robin proxy, in front of the fake upstream, in the same run.

    python benchmarks/workers_scaling.py [--quick] [--out FILE]

Processes: the fake upstream (``crossroads fake-upstream``), the gateway under test, the proxy (replicas
only: ``rr_proxy.py``, per-connection round robin like a Kubernetes Service) and this load generator (aiohttp).
For each layout, in turns (A B C A B C …):

  saturation   closed loop at concurrency 64 for a few seconds: requests/s, p50/p99 latency
  added        concurrency 1: p50 latency through the layout minus p50 straight to the fake upstream

CPU seconds of every process are read from /proc around each block: gateway CPU per request is the cost of
the layout (all its processes, the proxy counted apart). On a 2-core machine the load generator and the fake
upstream share the cores with the gateways, so absolute requests/s understate what the layouts do on more
cores; compare the ratios, and CPU per request, which does not depend on who else runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from harness import RESULTS, Server, environment, machine_busy_seconds, percentile, server, wait_http, write_json
from rich.console import Console
from rich.table import Table

from crossroads.procs import stop_process
from crossroads.testing.server import free_port

MODEL = "gpt-4o-mini"
BODY = orjson.dumps(
    {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Say hi."}],
        "max_tokens": 16,
        "fake_fault": {"tokens": 16},
    }
)
LAYOUTS = ("workers_1", "workers_2", "replicas_2")
SATURATION = 64

console = Console()
if not console.is_terminal:
    console.width = 160


@dataclass(frozen=True)
class Plan:
    rounds: int
    saturation_seconds: float
    added_requests: int


FULL = Plan(rounds=4, saturation_seconds=6.0, added_requests=400)
QUICK = Plan(rounds=2, saturation_seconds=3.0, added_requests=150)


@dataclass
class Block:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    gateway_cpu: float = 0.0
    proxy_cpu: float = 0.0
    other_cpu_pct: float = 0.0

    def req_per_s(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")


@dataclass
class Layout:
    """A way to run the gateway: its URL and the processes whose CPU it costs."""

    name: str
    url: str
    pids: list[int]  # gateway processes (a manager and its workers, or the replicas)
    proxy_pid: int | None = None

    def cpu(self) -> tuple[float, float]:
        gateway = sum(_cpu(pid) for root in self.pids for pid in _tree(root))
        return gateway, _cpu(self.proxy_pid) if self.proxy_pid else 0.0


def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(p for child in children for p in _tree(int(child)))]


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _closed_loop(session: aiohttp.ClientSession, url: str, concurrency: int, until: float, limit: int) -> Block:
    block = Block()

    async def worker() -> None:
        while time.perf_counter() < until and len(block.latencies) + block.errors < limit:
            start = time.perf_counter()
            try:
                async with session.post(url, data=BODY, headers={"content-type": "application/json"}) as r:
                    await r.read()
                    ok = r.status == 200
            except aiohttp.ClientError:
                ok = False
            if ok:
                block.latencies.append(time.perf_counter() - start)
            else:
                block.errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return block


async def measure_block(layout: Layout, concurrency: int, seconds: float, limit: int) -> Block:
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        url = layout.url + "/v1/chat/completions"
        await _closed_loop(session, url, concurrency, time.perf_counter() + 0.5, 10**9)  # connections, warm-up
        busy, ours = machine_busy_seconds(), time.process_time()
        (gateway, proxy), start = layout.cpu(), time.perf_counter()
        block = await _closed_loop(session, url, concurrency, start + seconds, limit)
        block.seconds = time.perf_counter() - start
        gateway_after, proxy_after = layout.cpu()
    block.gateway_cpu, block.proxy_cpu = gateway_after - gateway, proxy_after - proxy
    other = machine_busy_seconds() - busy - (time.process_time() - ours) - block.gateway_cpu - block.proxy_cpu
    block.other_cpu_pct = max(0.0, other) / (block.seconds * (os.cpu_count() or 1)) * 100
    return block


@contextmanager
def gateway_process(config: Path, workers: int) -> Iterator[tuple[str, int]]:
    import subprocess

    port = free_port()
    args = [sys.executable, "-m", "crossroads", "serve", "--config", str(config), "--port", str(port)]
    args += ["--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/ready", proc)
        time.sleep(1.0 if workers > 1 else 0.0)  # every worker up, not only the first
        yield url, proc.pid
    finally:
        stop_process(proc)


@contextmanager
def proxy(backends: list[str]) -> Iterator[tuple[str, int]]:
    import subprocess

    port = free_port()
    ports = [b.rsplit(":", 1)[1] for b in backends]
    script = Path(__file__).parent / "rr_proxy.py"
    proc = subprocess.Popen([sys.executable, str(script), str(port), *ports])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health", proc)
        yield url, proc.pid
    finally:
        stop_process(proc)


def summarize(blocks: list[Block], direct_p50: float | None = None) -> dict[str, Any]:
    latencies = [x for b in blocks for x in b.latencies]
    seconds = sum(b.seconds for b in blocks)
    n = len(latencies)
    out = {
        "requests": n,
        "errors": sum(b.errors for b in blocks),
        "req_per_s": n / seconds if seconds else float("nan"),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "gateway_cpu_ms_per_req": sum(b.gateway_cpu for b in blocks) / n * 1000 if n else float("nan"),
        "proxy_cpu_ms_per_req": sum(b.proxy_cpu for b in blocks) / n * 1000 if n else float("nan"),
        "gateway_cores_busy": sum(b.gateway_cpu for b in blocks) / seconds if seconds else float("nan"),
        "other_cpu_pct_max": max(b.other_cpu_pct for b in blocks),
    }
    if direct_p50 is not None:
        out["added_p50_ms"] = out["p50_ms"] - direct_p50
    return out


async def measure(plan: Plan, layouts: dict[str, Layout], fake: Layout) -> dict[str, Any]:
    saturation: dict[str, list[Block]] = {name: [] for name in layouts}
    single: dict[str, list[Block]] = {name: [] for name in [*layouts, "direct"]}
    for rnd in range(plan.rounds):
        for name in [*layouts, "direct"]:
            layout = fake if name == "direct" else layouts[name]
            single[name].append(await measure_block(layout, 1, 30.0, plan.added_requests // plan.rounds))
        for name, layout in layouts.items():
            saturation[name].append(await measure_block(layout, SATURATION, plan.saturation_seconds, 10**9))
        rates = ", ".join(f"{n} {saturation[n][-1].req_per_s():.0f}" for n in layouts)
        console.print(f"round {rnd + 1}: saturation req/s {rates}")
    direct_p50 = percentile([x for b in single["direct"] for x in b.latencies], 50) * 1000
    return {
        "saturation": {name: summarize(blocks) for name, blocks in saturation.items()},
        "concurrency_1": {name: summarize(blocks, direct_p50) for name, blocks in single.items() if name != "direct"},
        "direct_p50_ms": direct_p50,
    }


def ratios(figures: dict[str, Any]) -> dict[str, float]:
    sat = figures["saturation"]
    base = sat["workers_1"]
    return {
        "workers_2_vs_1_req_per_s": sat["workers_2"]["req_per_s"] / base["req_per_s"],
        "replicas_2_vs_workers_1_req_per_s": sat["replicas_2"]["req_per_s"] / base["req_per_s"],
        "workers_2_vs_1_cpu_per_req": sat["workers_2"]["gateway_cpu_ms_per_req"] / base["gateway_cpu_ms_per_req"],
        "replicas_2_vs_workers_1_cpu_per_req": sat["replicas_2"]["gateway_cpu_ms_per_req"]
        / base["gateway_cpu_ms_per_req"],
    }


def gateway_config(directory: Path, upstream: str) -> Path:
    path = directory / "crossroads.yaml"
    path.write_text(
        f"backends:\n  fake: {{type: openai_compat, base_url: '{upstream}/v1', location: local}}\n"
        f"models:\n  {MODEL}: {{backend: fake}}\n"
    )
    return path


async def run(plan: Plan) -> dict[str, Any]:
    fake_port = free_port()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        fake: Server = stack.enter_context(server(["fake-upstream", "--port", str(fake_port)], fake_port, "/v1/models"))
        config = gateway_config(Path(tmp), fake.url)
        one_url, one_pid = stack.enter_context(gateway_process(config, 1))
        two_url, two_pid = stack.enter_context(gateway_process(config, 2))
        replica_a = stack.enter_context(gateway_process(config, 1))
        replica_b = stack.enter_context(gateway_process(config, 1))
        proxy_url, proxy_pid = stack.enter_context(proxy([replica_a[0], replica_b[0]]))
        layouts = {
            "workers_1": Layout("workers_1", one_url, [one_pid]),
            "workers_2": Layout("workers_2", two_url, [two_pid]),
            "replicas_2": Layout("replicas_2", proxy_url, [replica_a[1], replica_b[1]], proxy_pid),
        }
        started = time.monotonic()
        figures = await measure(plan, layouts, Layout("direct", fake.url, [fake.pid]))
    result = {"environment": environment(), "plan": plan.__dict__, **figures, "ratios": ratios(figures)}
    result["duration_s"] = round(time.monotonic() - started, 1)
    return result


def report(result: dict[str, Any]) -> None:
    table = Table(title=f"gateway layouts in front of the fake upstream — {result['environment']['cpu_count']} cores")
    columns = ("layout", "req/s (c=64)", "p50 ms", "p99 ms", "gateway CPU ms/req", "proxy CPU ms/req")
    for column in (*columns, "cores busy", "added p50 ms (c=1)"):
        table.add_column(column, justify="right")
    for name in LAYOUTS:
        sat, one = result["saturation"][name], result["concurrency_1"][name]
        table.add_row(
            name,
            f"{sat['req_per_s']:.0f}",
            f"{sat['p50_ms']:.1f}",
            f"{sat['p99_ms']:.1f}",
            f"{sat['gateway_cpu_ms_per_req']:.3f}",
            f"{sat['proxy_cpu_ms_per_req']:.3f}",
            f"{sat['gateway_cores_busy']:.2f}",
            f"{one['added_p50_ms']:.2f}",
        )
    console.print(table)
    for key, value in result["ratios"].items():
        console.print(f"{key}: {value:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (about a minute)")
    parser.add_argument("--out", type=Path, default=RESULTS / "workers_scaling.json", help="JSON result file")
    args = parser.parse_args()
    import uvloop

    result = uvloop.run(run(QUICK if args.quick else FULL))
    result["quick"] = args.quick
    report(result)
    write_json(args.out, result)
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
