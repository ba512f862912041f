"""Answered requests without a ledger row after the gateway is killed under load: SIGKILL next to SIGTERM.

    python benchmarks/ledger_kill.py [--quick] [--out FILE]

A real `crossroads serve` with metering on SQLite (and on the local PostgreSQL when it answers) in front
of the fake upstream; 8 clients send requests for a while, then the process gets the signal. Every 200 the
clients received should have its ledger row. SIGTERM (the baseline, in the same run) drains the writer;
SIGKILL loses what was still queued: rows wait at most ``ledger.flush_ms`` before their batch is written.
The rows lost are reported for ``flush_ms`` 50 (the default) and 5.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from harness import RESULTS, environment, wait_http, write_json
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text

from crossroads.store import LedgerRow, make_engine
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import free_port, serving

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "fake_fault": {"latency_ms": 20}}


def _load(base: str, answered: list[int], stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set():
            try:
                if http.post("/v1/chat/completions", json=BODY).status_code == 200:
                    answered.append(1)
            except httpx.HTTPError:  # the process is gone (or a request failed under load: keep going)
                continue


def run(upstream: str, url: str, sig: signal.Signals, flush_ms: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "crossroads.yaml"
        config.write_text(
            f"backends: {{hosted: {{type: openai_compat, base_url: '{upstream}/v1'}}}}\n"
            "models: {gpt-4o-mini: {backend: hosted}}\n"
            f"metering: {{enabled: true, database_url: '{url}', ledger: {{flush_ms: {flush_ms}}}}}\n"
        )
        port = free_port()
        args = [sys.executable, "-m", "crossroads", "serve", "--config", str(config), "--port", str(port)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/health", proc)
        answered: list[int] = []
        stop = threading.Event()
        workers = [threading.Thread(target=_load, args=(base, answered, stop)) for _ in range(8)]
        for worker in workers:
            worker.start()
        time.sleep(seconds)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        stop.set()
        for worker in workers:
            worker.join()
        engine = make_engine(url)
        with engine.connect() as conn:
            written = conn.execute(select(func.count()).where(LedgerRow.status == 200)).scalar_one()
        engine.dispose()
    lost = max(0, len(answered) - written)
    return {"answered": len(answered), "rows": written, "lost": lost, "lost_share": lost / max(1, len(answered))}


def stores(tmp: Path) -> dict[str, Any]:
    """Each store as a function giving a fresh, empty database URL."""
    found: dict[str, Any] = {"sqlite": lambda name: f"sqlite:///{tmp / name}.db"}
    try:
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # a benchmark: report and go on with SQLite
        print(f"PostgreSQL skipped: {exc.__class__.__name__}")
        return found

    def fresh(name: str) -> str:
        schema = "bench_kill_" + name
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        return f"{PG}?options=-csearch_path%3D{schema}"

    found["postgresql"] = fresh
    return found


def main(seconds: float, out: Path) -> None:
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, serving(create_fake_upstream(FakeConfig())) as upstream:
        for store, fresh in stores(Path(tmp)).items():
            for sig, flush_ms in ((signal.SIGTERM, 50), (signal.SIGKILL, 50), (signal.SIGKILL, 5)):
                name = f"{store} {sig.name} flush_ms={flush_ms}"
                rows[name] = run(upstream, fresh(f"{store}_{sig.name}_{flush_ms}".lower()), sig, flush_ms, seconds)
    table = Table("store, signal", "answered", "rows", "lost", "lost %", title="answered requests without a row")
    for name, r in rows.items():
        table.add_row(name, str(r["answered"]), str(r["rows"]), str(r["lost"]), f"{100 * r['lost_share']:.2f}")
    Console(width=120).print(table)
    write_json(out, {"environment": environment(), "seconds": seconds, "results": rows})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter load")
    parser.add_argument("--out", type=Path, default=RESULTS / "ledger_kill.json")
    args = parser.parse_args()
    main(2.0 if args.quick else 6.0, args.out)
