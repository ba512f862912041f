"""Metering cost: added latency per request of the metering stage, and ledger write throughput.

    python benchmarks/metering_overhead.py [--quick] [--out FILE]

Overhead: the same gateway pipeline (``Gateway.send``, no HTTP, an instant in-process backend) with metering
off and with metering on in four set-ups, in alternating blocks of one run so machine drift hits every side:

  off          no metering stage
  open         metering on, no key exists (ledger + audit chain only; the default once enabled)
  key+limits   a key with an rpm and tpm limit (in process) and a model allow-list
  key+budget   the same plus a budget: an atomic reservation in SQLite on the request path

Added latency = side p50 − off p50. Target: ≤ 0.3 ms p50 for metering + keys + limits.

Ledger throughput: rows per second through the batched writer (ledger row + audit link per row, one
transaction per batch) on a SQLite file and on the local PostgreSQL (skipped when unreachable).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness import RESULTS, environment, percentile, write_json
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from crossroads.backends import Endpoint
from crossroads.config import parse_settings
from crossroads.gateway import Gateway
from crossroads.metering.config import LedgerConfig, MeteringConfig
from crossroads.metering.keys import create_key, utcnow
from crossroads.metering.ledger import LedgerWriter
from crossroads.metering.pricing import Pricer
from crossroads.metering.rows import Pending, build_rows
from crossroads.pipeline import Call
from crossroads.store import make_engine, upgrade

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BODY = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
    "max_tokens": 16,
}
REPLY = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16},
}
console = Console()


class Instant:
    name, location = "openai", "hosted"

    async def start(self) -> None: ...
    async def aclose(self) -> None: ...
    async def ready(self) -> None: ...

    async def send(self, endpoint: Any, body: Any) -> Any:
        return dict(REPLY)


def settings(url: str | None) -> Any:
    raw: dict[str, Any] = {
        "backends": {"openai": {"type": "openai_compat", "base_url": "http://x/v1"}},
        "models": {"gpt-4o": {"backend": "openai"}},
    }
    if url:
        raw["metering"] = {"enabled": True, "database_url": url, "ledger": {"queue_size": 1_000_000}}
    return parse_settings(raw, "bench")


async def timed(gateway: Gateway, headers: dict[str, str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        began = time.perf_counter()
        await gateway.send(Endpoint.CHAT, BODY, headers)
        out.append(time.perf_counter() - began)
    return out


async def overhead(requests: int, rounds: int, tmp: Path) -> dict[str, Any]:
    sides: dict[str, tuple[Gateway, dict[str, str]]] = {"off": (Gateway(settings(None), {"openai": Instant()}), {})}
    for name, spec in {"open": None, "key+limits": {}, "key+budget": {"budget": "1000000"}}.items():
        url = f"sqlite:///{tmp / (name.replace('+', '_') + '.db')}"
        engine = make_engine(url)
        upgrade(engine)
        headers = {}
        if spec is not None:
            budget = Decimal(spec["budget"]) if "budget" in spec else None
            _, key = create_key(engine, name, budget=budget, rpm=10**9, tpm=10**12, models=["gpt-4o"])
            headers = {"authorization": f"Bearer {key}"}
        engine.dispose()
        sides[name] = (Gateway(settings(url), {"openai": Instant()}), headers)
    for gateway, _ in sides.values():
        await gateway.start()
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for gateway, headers in sides.values():
        await timed(gateway, headers, 200)  # warm-up
    for _ in range(rounds):
        for name, (gateway, headers) in sides.items():
            samples[name] += await timed(gateway, headers, requests // rounds)
    for gateway, _ in sides.values():
        await gateway.aclose()
    base = percentile(samples["off"], 50)
    return {
        name: {
            "p50_ms": percentile(v, 50) * 1000,
            "p99_ms": percentile(v, 99) * 1000,
            "added_p50_ms": (percentile(v, 50) - base) * 1000,
            "requests": len(v),
        }
        for name, v in samples.items()
    }


async def throughput(url: str, rows: int) -> float:
    """Rows per second from the first put to the last commit."""
    engine = make_engine(url)
    upgrade(engine)
    pricer = Pricer(MeteringConfig(), dict(settings(None).backends))
    writer = LedgerWriter(engine, LedgerConfig(queue_size=rows + 1), lambda p: build_rows(p, pricer))
    pendings = []
    for _ in range(rows):
        call = Call(Endpoint.CHAT, BODY, "gpt-4o", facts={"backend": "openai", "upstream_model": "gpt-4o"})
        pendings.append(Pending(call, utcnow(), 0.012, 200, usage=REPLY["usage"], response_model="gpt-4o"))
    began = time.perf_counter()
    writer.start()
    for pending in pendings:
        await writer.put(pending)
    await writer.aclose()
    elapsed = time.perf_counter() - began
    engine.dispose()
    return rows / elapsed


def pg_schema() -> tuple[str, Any] | None:
    schema = "bench_" + uuid.uuid4().hex[:8]
    try:
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        console.print(f"[yellow]PostgreSQL skipped: {exc}")
        return None
    return f"{PG}?options=-csearch_path%3D{schema}", (admin, schema)


def drop(handle: Any) -> None:
    admin, schema = handle
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


async def main(quick: bool, out: Path) -> None:
    requests, rounds, rows = (2000, 2, 5000) if quick else (20000, 5, 50000)
    with tempfile.TemporaryDirectory() as tmp:
        sides = await overhead(requests, rounds, Path(tmp))
        rates = {"sqlite": await throughput(f"sqlite:///{Path(tmp) / 'throughput.db'}", rows)}
    pg = pg_schema()
    if pg is not None:
        try:
            rates["postgresql"] = await throughput(pg[0], rows)
        finally:
            drop(pg[1])
    report(sides, rates)
    write_json(out, {"environment": environment(), "overhead": sides, "ledger_rows_per_second": rates})
    console.print(f"written to {out}")


def report(sides: dict[str, Any], rates: dict[str, float]) -> None:
    table = Table("set-up", "p50 ms", "p99 ms", "added p50 ms", title="metering overhead per request (Gateway.send)")
    for name, r in sides.items():
        table.add_row(name, f"{r['p50_ms']:.3f}", f"{r['p99_ms']:.3f}", f"{r['added_p50_ms']:+.3f}")
    console.print(table)
    rows = Table("store", "ledger rows/s", title="batched ledger writer (row + audit link per row)")
    for name, rate in rates.items():
        rows.add_row(name, f"{rate:,.0f}")
    console.print(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer requests, for a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS / "metering_overhead.json")
    args = parser.parse_args()
    asyncio.run(main(args.quick, args.out))
