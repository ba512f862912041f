"""Server time of every dashboard page with 1,000,000 ledger rows, on SQLite and on PostgreSQL.

    python benchmarks/dashboard_pages.py [--rows 1000000] [--days 30] [--repeat 30] [--only sqlite|postgresql]
                                         [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--out FILE]

The rows are spread over the last ``--days`` days (20 keys, 6 models, 4 backends, errors, privacy actions with
entity types, streams with a TTFT) and written as the ledger writer writes them: ledger rows and their rollups
in one transaction per batch, then ANALYZE (what PostgreSQL's autovacuum does on a live store). PostgreSQL
gets a throwaway database, dropped at the end. Each page (HTML, and its JSON endpoint) is asked ``--repeat``
times in process (httpx over ASGI, signed in) for the default range (24 h) and the last 30 days (the whole
ledger); the goal is p95 <= 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from harness import RESULTS, environment, percentile, write_json
from sqlalchemy import create_engine, insert, text

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.metering import rollup
from crossroads.metering.keys import create_key, utcnow
from crossroads.store import make_engine, upgrade
from crossroads.store.models import LedgerRow, ShadowResult

MASTER = "bench-master-key"
PAGES = ["/ui", "/ui/privacy", "/ui/keys", "/ui/routing", "/ui/lab", "/ui/audit"]
APIS = ["/admin/api/overview", "/admin/api/privacy", "/admin/api/keys", "/admin/api/routing"]
MODELS = [("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude", "anthropic"), ("llama", "vllm"),
          ("smollm2", "embedded"), ("mistral", "vllm")]  # fmt: skip
ERRORS = [(429, "rate_limit_exceeded"), (502, "bad_gateway"), (403, "privacy_blocked"), (504, "timeout")]
ACTIONS = [(None, 0.70), ("pseudonymize", 0.15), ("redact", 0.06), ("keep_local", 0.06), ("allow", 0.02),
           ("block", 0.01)]  # fmt: skip
ENTITIES = ["EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE"]
BATCH = 20_000


def fake_rows(n: int, days: float, keys: list[str], seed: int = 7) -> Any:
    rng = random.Random(seed)
    now = utcnow()
    span = days * 86400
    weights = [w for _, w in ACTIONS]
    for i in range(n):
        at = now - timedelta(seconds=span * (1 - (i + rng.random()) / n))
        model, backend = rng.choice(MODELS)
        failed = rng.random() < 0.03
        status, error = rng.choice(ERRORS) if failed else (200, None)
        action = rng.choices([a for a, _ in ACTIONS], weights)[0]
        privacy = None
        if action is not None:
            found = {e: rng.randint(1, 3) for e in rng.sample(ENTITIES, rng.randint(1, 2))}
            privacy = {"action": action, "entities": found, "local_only": action in ("keep_local", "block")}
        stream = rng.random() < 0.5
        prompt, completion = rng.randint(20, 2000), 0 if failed else rng.randint(5, 800)
        reason = f"model {model}; priority -> {backend}:{model}" + (
            "; after x:y 502 bad_gateway" if i % 50 == 0 else ""
        )
        yield {
            "id": f"req_{i:08d}_{uuid.uuid4().hex[:8]}",
            "at": at,
            "key_id": rng.choice(keys),
            "endpoint": "chat.completions",
            "stream": stream,
            "model": model,
            "backend": backend,
            "upstream_model": model,
            "prompt_tokens": prompt,
            "cached_tokens": 0,
            "completion_tokens": completion,
            "reasoning_tokens": 0,
            "usage_source": "upstream",
            "cost": Decimal(prompt * 150 + completion * 600) / Decimal(10**9),
            "price_model": model,
            "latency_ms": round(rng.lognormvariate(6, 0.7), 3),
            "ttft_ms": round(rng.lognormvariate(5, 0.5), 3) if stream and not failed else None,
            "status": status,
            "error_type": error,
            "route_reason": reason,
            "privacy": privacy,
            "content": None,
        }


def fill(url: str, rows: int, days: float) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    keys = []
    for i in range(20):
        key, _ = create_key(engine, f"team-{i}", budget=Decimal(100 + i), rpm=600)
        keys.append(key.id)
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for row in fake_rows(rows, days, keys):
        batch.append(row)
        if len(batch) == BATCH:
            _write(engine, batch)
            batch = []
    if batch:
        _write(engine, batch)
    _shadows(engine, 20_000, days)
    seconds = time.perf_counter() - started
    with engine.begin() as conn:  # fresh statistics, as autovacuum (PostgreSQL) keeps them on a live store
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"rows": rows, "fill_seconds": round(seconds, 1)}


def _write(engine: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(LedgerRow), rows)
        rollup.add(conn, rows)


def _shadows(engine: Any, n: int, days: float) -> None:
    rng = random.Random(3)
    now = utcnow()
    rows = [
        {
            "id": f"sh_{i}",
            "at": now - timedelta(seconds=rng.random() * days * 86400),
            "request_id": f"req_{i}",
            "model": "gpt-4o-mini",
            "endpoint": "chat.completions",
            "sensitive": False,
            "request": {},
            "primary": {},
            "shadow": {},
            "primary_backend": "openai",
            "shadow_backend": "vllm",
            "shadow_upstream_model": "llama",
            "shadow_status": 200 if rng.random() > 0.02 else 502,
            "primary_latency_ms": rng.lognormvariate(6, 0.5),
            "shadow_latency_ms": rng.lognormvariate(5.5, 0.5),
            "primary_cost": Decimal("0.0004"),
            "shadow_cost": Decimal("0.0001"),
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(ShadowResult), rows)


async def measure(url: str, repeat: int, folder: Path) -> dict[str, Any]:
    settings = parse_settings(
        {
            "backends": {"openai": {"type": "openai_compat", "base_url": "http://127.0.0.1:9/v1"}},
            "models": {"gpt-4o-mini": {"backend": "openai"}},
            "metering": {"enabled": True, "database_url": url},
            "ui": {"runs_dir": str(folder), "report": str(folder / "report.html")},
        },
        "bench",
    )
    app = create_app(settings)
    results: dict[str, Any] = {}
    async with LifespanManager(app, startup_timeout=120) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as http:
            signed = await http.post("/ui/login", data={"key": MASTER, "next": "/ui"})
            assert signed.status_code == 303, signed.text
            for range_ in ("24h", "30d"):
                for path in PAGES + APIS:
                    times = []
                    for i in range(repeat + 3):
                        started = time.perf_counter()
                        answer = await http.get(path, params={"range": range_})
                        elapsed = (time.perf_counter() - started) * 1000
                        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                        if i >= 3:
                            times.append(elapsed)
                    results[f"{path}?range={range_}"] = {
                        "p50_ms": round(percentile(times, 50), 1),
                        "p95_ms": round(percentile(times, 95), 1),
                        "max_ms": round(max(times), 1),
                    }
    return results


def pg_database(admin_url: str) -> tuple[str, Any]:
    name = f"crossroads_dash_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def run(kind: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    drop = None
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'dashboard.db'}"
    else:
        url, drop = pg_database(args.pg)
    try:
        filled = fill(url, args.rows, args.days)
        print(f"{kind}: {filled['rows']:,} ledger rows written with their rollups in {filled['fill_seconds']} s")
        pages = asyncio.run(measure(url, args.repeat, folder))
    finally:
        if drop is not None:
            drop()
    return {**filled, "pages": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--out", type=Path, default=RESULTS / "dashboard_pages.json")
    args = parser.parse_args()
    os.environ["CROSSROADS_MASTER_KEY"] = MASTER
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in [args.only] if args.only else ["sqlite", "postgresql"]:
            results[kind] = run(kind, args, Path(tmp))
    print(f"\n{'page':<42} " + " ".join(f"{k + ' p50/p95 ms':>26}" for k in results))
    for page in next(iter(results.values()))["pages"]:
        cells = [f"{r['pages'][page]['p50_ms']:>12} / {r['pages'][page]['p95_ms']:<11}" for r in results.values()]
        print(f"{page:<42} " + " ".join(cells))
    worst = max(p["p95_ms"] for r in results.values() for p in r["pages"].values())
    print(f"\nworst p95: {worst} ms (goal: <= 200 ms)")
    write_json(args.out, {"environment": environment(), "rows": args.rows, "days": args.days, "results": results})


if __name__ == "__main__":
    main()
